/**
 * A refused hub call carries "<code>: <reason>". The browser client's error message is the server's text,
 * which is usually "An unexpected error occurred invoking 'X' on the server. HubException: <code>: <reason>".
 */
export interface HubError {
  /** The stable code (`rate_limited`, `not_in_voice`, …), or null when the failure carried none (lost connection, binding error). */
  code: string | null;
  /** The server's reason, or the whole message when there was no code. */
  reason: string;
}

const afterHubException = /HubException:\s*([a-z][a-z0-9_]*):\s*([\s\S]*)$/;
const atStart = /^([a-z][a-z0-9_]*):\s*([\s\S]*)$/;

export function parseHubError(error: unknown): HubError {
  const message = messageOf(error).trim();
  const match = afterHubException.exec(message) ?? atStart.exec(message);
  if (match) return { code: match[1]!, reason: match[2]!.trim() };
  return { code: null, reason: message };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string') return error.message;
  return String(error);
}

/** Codes after which the same call may simply be retried later. */
export function isTransient(error: HubError): boolean {
  return error.code === null || error.code === 'unavailable' || error.code === 'internal';
}

/** Seconds to wait, from a `rate_limited` reason such as "At most 5 messages per 5 s; try again in 3 s.". */
export function retryAfterSeconds(error: HubError): number | null {
  if (error.code !== 'rate_limited') return null;
  const match = /try again in (\d+(?:\.\d+)?)\s*s\b/i.exec(error.reason);
  return match ? Math.max(0, Math.ceil(Number(match[1]))) : null;
}

/** A sentence for people, for errors shown next to the control that failed. */
export function describeError(error: HubError): string {
  switch (error.code) {
    case 'rate_limited': {
      const wait = retryAfterSeconds(error);
      const limit = /^At most [^;.]+/.exec(error.reason)?.[0];
      const rule = limit ? ` (${limit.charAt(0).toLowerCase()}${limit.slice(1)})` : '';
      return wait !== null
        ? `You are sending messages too quickly${rule}. You can send again in ${wait} s.`
        : `Slow down: ${error.reason}`;
    }
    case 'invalid_text':
      return `That message cannot be sent: ${error.reason}`;
    case 'unavailable':
      return 'The server is busy right now; try again in a moment.';
    case 'forbidden':
      return `Not allowed: ${error.reason}`;
    case 'unknown_message':
      return 'That message no longer exists.';
    case 'unknown_channel':
      return 'This channel no longer exists.';
    case 'voice_full':
      return 'This voice channel is full.';
    case 'not_in_voice':
      return 'You are not in that voice channel.';
    case null:
      return /connection/i.test(error.reason)
        ? 'Not connected to the server; try again once the connection is back.'
        : error.reason || 'Something went wrong.';
    default:
      return error.reason || error.code;
  }
}

import type { SessionDto } from '../protocol/types';

/** A refused `POST /api/session`. */
export class SessionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SessionError';
  }
}

/**
 * Starts a guest session. With the token of an earlier session the user keeps their id (and may change name).
 */
export async function createSession(displayName: string, previousToken: string | null, fetcher: typeof fetch = fetch): Promise<SessionDto> {
  let response: Response;
  try {
    response = await fetcher('/api/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ displayName, token: previousToken }),
    });
  } catch {
    throw new SessionError(0, 'network', 'The server could not be reached.');
  }
  if (response.ok) return (await response.json()) as SessionDto;
  let code = 'error';
  let message = `The server answered ${response.status}.`;
  try {
    const body = (await response.json()) as { error?: string; message?: string };
    if (body.error) code = body.error;
    if (body.message) message = body.message;
  } catch {
    // Not JSON (a proxy's page, the rate limiter's empty body): keep the generic text.
  }
  if (response.status === 429) message = 'Too many sign-ins from this address; wait a minute and try again.';
  throw new SessionError(response.status, code, message);
}

/** Mirrors the server's rule (2 to 32 characters, no control characters) for an instant answer. */
export function validateDisplayName(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length < 2) return 'Use at least 2 characters.';
  if (trimmed.length > 32) return 'Use at most 32 characters.';
  if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) return 'Control characters are not allowed.';
  return null;
}

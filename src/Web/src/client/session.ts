import type { InviteCheckDto, ResetLinkDto, ServerInfo, SessionDto } from '../protocol/types';

/** A refused or failed call to the session and account endpoints: the server's `{error, message}` (docs/protocol.md). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** For `throttled` (429): how long to wait, from the body's `retryAfterSeconds` or the `Retry-After` header. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Fetcher = typeof fetch;

/**
 * One JSON call; a 2xx answer's body (undefined for 204), anything else an {@link ApiError} (from the gateway's
 * `{error, message}` or a problem+json `{code | title, detail}`).
 */
export async function call<T>(path: string, init: { method?: string; token?: string; body?: unknown }, fetcher: Fetcher): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  let response: Response;
  try {
    response = await fetcher(path, {
      method: init.method ?? 'POST',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached.');
  }
  if (response.ok) return (response.status === 204 ? undefined : await response.json()) as T;
  let code = 'error';
  let message = `The server answered ${response.status}.`;
  let retryAfter: number | null = null;
  try {
    const body = (await response.json()) as { error?: unknown; message?: unknown; code?: unknown; title?: unknown; detail?: unknown; retryAfterSeconds?: unknown };
    const codeField = [body.error, body.code, body.title].find((c) => typeof c === 'string' && /^[a-z][a-z0-9_]*$/.test(c));
    if (typeof codeField === 'string') code = codeField;
    const text = [body.message, body.detail].find((m) => typeof m === 'string' && m);
    if (typeof text === 'string') message = text;
    if (typeof body.retryAfterSeconds === 'number') retryAfter = body.retryAfterSeconds;
  } catch {
    // Not JSON (a proxy's page, the rate limiter's empty body): keep the generic text.
  }
  if (response.status === 429) {
    if (code === 'error') code = 'throttled';
    const header = Number(response.headers.get('Retry-After'));
    if (retryAfter === null && response.headers.has('Retry-After') && Number.isFinite(header)) retryAfter = header;
  }
  throw new ApiError(response.status, code, message, retryAfter === null ? null : Math.max(0, Math.ceil(retryAfter)));
}

/** What the user was doing when a call was refused; `forbidden` and `name_taken` mean different things in each. */
export type AccountAction = 'guest' | 'signIn' | 'register' | 'claim' | 'setup' | 'reset' | 'resetLink' | 'password' | 'delete' | 'session';

/** A sentence for people about a refused call. */
export function describeApiError(error: unknown, action: AccountAction): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  switch (error.code) {
    case 'network':
      return 'The server could not be reached; check the connection and try again.';
    case 'invalid_credentials':
      return action === 'signIn' ? 'Wrong username or password.' : 'That password is not right.';
    case 'throttled':
      return error.retryAfterSeconds !== null
        ? `Too many attempts; try again in ${waitText(error.retryAfterSeconds)}.`
        : 'Too many attempts; wait a minute and try again.';
    case 'name_taken':
      return action === 'guest'
        ? 'That name belongs to a registered account: sign in, or choose another name.'
        : 'That username is taken; choose another.';
    case 'forbidden':
      switch (action) {
        case 'guest':
          return 'This server does not allow guests; sign in or create an account.';
        case 'register':
        case 'claim':
          return 'This server does not accept new accounts.';
        case 'setup':
          return 'That setup code is not right, or the server already has an owner.';
        case 'reset':
          return 'This reset link is unknown, was used already or has expired; ask the owner for a new one.';
        case 'resetLink':
          return 'No account has that username.';
        default:
          return `Not allowed: ${error.message}`;
      }
    case 'invalid_token':
      return 'You were signed out.';
    case 'session_ended':
      return error.message;
    default:
      if (error.status === 429) return 'Too many attempts; wait a minute and try again.';
      return error.message;
  }
}

function waitText(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  return `${Math.ceil(seconds / 60)} min`;
}

/** `GET /api/info`, or null when it cannot be read. */
export async function fetchServerInfo(fetcher: Fetcher = fetch): Promise<ServerInfo | null> {
  try {
    const response = await fetcher('/api/info', { cache: 'no-store' });
    return response.ok ? ((await response.json()) as ServerInfo) : null;
  } catch {
    return null;
  }
}

/** What the server allows; a server from before accounts (no `auth`) or an unknown one has guests only. */
export function authOptions(info: ServerInfo | null): { guestsAllowed: boolean; registrationOpen: boolean; setupRequired: boolean } {
  if (info?.auth) return info.auth;
  return { guestsAllowed: true, registrationOpen: info === null, setupRequired: false };
}

/**
 * Starts a guest session. With the token of an earlier session the user keeps their id (and may change name).
 */
export function createSession(displayName: string, previousToken: string | null, fetcher: Fetcher = fetch): Promise<SessionDto> {
  return call('/api/session', { body: { displayName, token: previousToken } }, fetcher);
}

export function signInWithPassword(username: string, password: string, fetcher: Fetcher = fetch): Promise<SessionDto> {
  return call('/api/session/sign-in', { body: { username, password } }, fetcher);
}

/** Registers an account; with a guest's token the account takes over that guest (same id and history). */
export function register(username: string, password: string, guestToken: string | null, fetcher: Fetcher = fetch, invite: string | null = null): Promise<SessionDto> {
  return call('/api/accounts', { token: guestToken ?? undefined, body: invite ? { username, password, invite } : { username, password } }, fetcher);
}

/** Whether an invite link's code can be used, and which server it is for; rejects with `invite_invalid` when not. */
export function checkInvite(code: string, fetcher: Fetcher = fetch): Promise<InviteCheckDto> {
  return call(`/api/invites/${encodeURIComponent(code)}`, { method: 'GET' }, fetcher);
}

/** A new token for the same session; 401 `invalid_token` past the maximum age or once revoked. */
export function renewSession(token: string, fetcher: Fetcher = fetch): Promise<SessionDto> {
  return call('/api/session/renew', { token }, fetcher);
}

export function signOutSession(token: string, fetcher: Fetcher = fetch): Promise<void> {
  return call('/api/session/sign-out', { token }, fetcher);
}

/** Ends every other session of the user; the answer is a fresh session for this client. */
export function signOutEverywhere(token: string, fetcher: Fetcher = fetch): Promise<SessionDto> {
  return call('/api/session/sign-out-everywhere', { token }, fetcher);
}

export function changePassword(token: string, currentPassword: string, newPassword: string, fetcher: Fetcher = fetch): Promise<SessionDto> {
  return call('/api/account/password', { method: 'PUT', token, body: { currentPassword, newPassword } }, fetcher);
}

export function deleteAccount(token: string, password: string, fetcher: Fetcher = fetch): Promise<void> {
  return call('/api/account', { method: 'DELETE', token, body: { password } }, fetcher);
}

/** Makes the signed-in account the server's owner with the setup code from the server's log. */
export function claimServer(token: string, code: string, fetcher: Fetcher = fetch): Promise<SessionDto> {
  return call('/api/setup', { token, body: { code } }, fetcher);
}

/** Sets a new password with a one-time reset code and signs in. */
export function resetPassword(code: string, newPassword: string, fetcher: Fetcher = fetch): Promise<SessionDto> {
  return call('/api/account/reset', { body: { code, newPassword } }, fetcher);
}

/** The owner's one-time password reset link for the account named `username`. */
export function issueResetLink(token: string, username: string, fetcher: Fetcher = fetch): Promise<ResetLinkDto> {
  return call('/api/accounts/reset-link', { token, body: { username } }, fetcher);
}

/** Mirrors the server's rule (2 to 32 characters, no control characters) for an instant answer. */
export function validateDisplayName(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length < 2) return 'Use at least 2 characters.';
  if (trimmed.length > 32) return 'Use at most 32 characters.';
  if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) return 'Control characters are not allowed.';
  return null;
}

const scripts = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Hebrew', 'Arabic', 'Devanagari', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Thai'];
const scriptPatterns = scripts.map((s) => new RegExp(`\\p{Script=${s}}`, 'u'));

/**
 * Mirrors the server's username rule: 2 to 32 characters (after NFKC), letters and digits (0-9) of one script, and
 * `_ . -` between them (not first, last or twice in a row).
 */
export function validateUsername(username: string): string | null {
  const name = username.trim().normalize('NFKC');
  if (name.length < 2) return 'Use at least 2 characters.';
  if (name.length > 32) return 'Use at most 32 characters.';
  if (!/^[\p{L}\p{M}0-9_.-]+$/u.test(name) || /^\p{M}/u.test(name)) return 'Use only letters, digits and _ . - (no spaces).';
  if (/^[_.-]|[_.-]$|[_.-]{2}/.test(name)) return 'Use _ . - only between letters or digits.';
  const used = new Set<number>();
  for (const ch of name) {
    if (!/\p{L}/u.test(ch)) continue;
    const script = scriptPatterns.findIndex((p) => p.test(ch));
    if (script >= 0) used.add(script);
  }
  if (used.size > 1) return 'Use letters of one script only.';
  return null;
}

/** Mirrors the server's password rule (8 to 128 characters, not containing the username) and checks the repeat. */
export function validateNewPassword(password: string, repeat: string, username: string | null): string | null {
  if (password.length < 8) return 'Use a password of at least 8 characters.';
  if (password.length > 128) return 'Use a password of at most 128 characters.';
  const name = username?.trim().toLowerCase();
  if (name && password.toLowerCase().includes(name)) return 'The password cannot contain the username.';
  if (password !== repeat) return 'The passwords do not match.';
  return null;
}

import type { SessionDto } from '../protocol/types';
import { ApiError, createSession, renewSession } from './session';
import type { StoredSession } from './storage';

const Day = 24 * 60 * 60 * 1000;

/** What this client keeps of a session the server answered, received at `now`. */
export function toStored(dto: SessionDto, now: number = Date.now()): StoredSession {
  return {
    token: dto.token,
    userId: dto.userId,
    displayName: dto.displayName,
    expiresAt: dto.expiresAt,
    // A server that does not say is one from before accounts: its sessions renew the old way.
    kind: dto.kind,
    username: dto.username ?? null,
    owner: dto.owner ?? false,
    issuedAt: new Date(now).toISOString(),
  };
}

/** Whether the session was stored before accounts (no kind): a guest session renewed through `POST /api/session`. */
export const isLegacy = (session: StoredSession) => session.kind === undefined;

/** A guest, including a session from before accounts. */
export const isGuest = (session: StoredSession) => session.kind !== 'account';

/**
 * When the token should be renewed: once less than a day, or a quarter of its lifetime when that is shorter, is
 * left. (A token whose issue time is unknown, stored before accounts, is renewed a day before its end, as it was.)
 */
export function renewalDueAt(session: StoredSession): number {
  const expires = Date.parse(session.expiresAt);
  if (!Number.isFinite(expires)) return 0;
  const issued = session.issuedAt ? Date.parse(session.issuedAt) : NaN;
  const lifetime = Number.isFinite(issued) && issued < expires ? expires - issued : 4 * Day;
  return expires - Math.min(Day, lifetime / 4);
}

export const renewalDue = (session: StoredSession, now: number = Date.now()) => now >= renewalDueAt(session);

/** The server ended the session (past its maximum age, revoked, signed out elsewhere): the user signs in again. */
export class SignedOutError extends Error {
  /** `message`: why, when the server said (a moderator's kick or ban); else "You were signed out." */
  constructor(message = 'You were signed out.') {
    super(message);
    this.name = 'SignedOutError';
  }
}

/**
 * A new token for the stored session. Sessions from before accounts renew as they always did, through
 * `POST /api/session` with their token (a token the server no longer knows starts a new guest of the same name);
 * others through `POST /api/session/renew`. A 401 means the session is over, a 403 that guests are no longer
 * allowed: both {@link SignedOutError}.
 * Other failures (network, 5xx) are thrown as they are: the token may still be good.
 */
export async function renewStored(session: StoredSession, fetcher: typeof fetch = fetch, now: () => number = Date.now): Promise<StoredSession> {
  try {
    if (!isLegacy(session)) return toStored(await renewSession(session.token, fetcher), now());
    try {
      return toStored(await createSession(session.displayName, session.token, fetcher), now());
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'invalid_token') throw e;
      return toStored(await createSession(session.displayName, null, fetcher), now());
    }
  } catch (e) {
    // 401: the session is over; 403: guests are no longer allowed.
    if (e instanceof ApiError && (e.status === 401 || e.status === 403))
      throw e.code === 'session_ended' ? new SignedOutError(e.message) : new SignedOutError();
    throw e;
  }
}

// @vitest-environment happy-dom
import { describe, expect, test, vi } from 'vitest';
import { ApiError } from './session';
import { isGuest, isLegacy, renewalDue, renewalDueAt, renewStored, SignedOutError, toStored } from './sessionKeeper';
import { loadSession, saveSession, type StoredSession } from './storage';

const Hour = 60 * 60 * 1000;
const Day = 24 * Hour;
const t0 = Date.parse('2026-12-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const account = (lifetimeMs: number): StoredSession => ({
  token: 'v2.old',
  userId: 'u-1',
  displayName: 'Alice',
  expiresAt: iso(t0 + lifetimeMs),
  kind: 'account',
  username: 'alice',
  owner: false,
  issuedAt: iso(t0),
});

const renewedDto = { token: 'v2.new', userId: 'u-1', displayName: 'Alice', expiresAt: iso(t0 + 8 * Day), kind: 'account', username: 'alice', owner: false };

const answering = (...answers: Array<[number, unknown]>) => {
  const queue = [...answers];
  return vi.fn(async () => {
    const [status, body] = queue.shift()!;
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  }) as unknown as typeof fetch & ReturnType<typeof vi.fn>;
};

describe('renewal timing', () => {
  test('a week-long token is renewed once less than a day is left', () => {
    const s = account(7 * Day);
    expect(renewalDueAt(s)).toBe(t0 + 6 * Day);
    expect(renewalDue(s, t0 + 6 * Day - 1)).toBe(false);
    expect(renewalDue(s, t0 + 6 * Day)).toBe(true);
  });

  test('a short-lived token is renewed once less than a quarter of its lifetime is left', () => {
    const s = account(Hour);
    expect(renewalDueAt(s)).toBe(t0 + 45 * 60 * 1000);
    expect(renewalDue(s, t0 + 30 * 60 * 1000)).toBe(false);
  });

  test('a token whose issue time is unknown is renewed a day before its end; an unreadable expiry is due at once', () => {
    const { issuedAt: _, ...legacy } = account(7 * Day);
    expect(renewalDueAt(legacy)).toBe(t0 + 6 * Day);
    expect(renewalDue({ ...legacy, expiresAt: 'never' }, t0)).toBe(true);
  });
});

describe('renewing a stored session', () => {
  test('an account session renews through POST /api/session/renew with its token and keeps kind, username and owner', async () => {
    const fetcher = answering([200, { ...renewedDto, owner: true }]);
    const renewed = await renewStored(account(7 * Day), fetcher, () => t0 + 6 * Day);
    expect(fetcher).toHaveBeenCalledWith('/api/session/renew', expect.objectContaining({ method: 'POST', headers: { Authorization: 'Bearer v2.old' } }));
    expect(renewed).toEqual({ ...renewedDto, owner: true, issuedAt: iso(t0 + 6 * Day) });
  });

  test('a 401 from renewal (past the maximum age, revoked) means signed out', async () => {
    const fetcher = answering([401, { error: 'invalid_token', message: 'The session has ended.' }]);
    await expect(renewStored(account(7 * Day), fetcher)).rejects.toBeInstanceOf(SignedOutError);
  });

  test('a session a moderator ended is a sign-out that says why; another 401 says only that', async () => {
    const kicked = await renewStored(account(7 * Day), answering([401, { error: 'session_ended', message: 'A moderator removed you from the server: spam.' }])).catch(
      (x: unknown) => x,
    );
    expect(kicked).toBeInstanceOf(SignedOutError);
    expect((kicked as Error).message).toBe('A moderator removed you from the server: spam.');
    const plain = await renewStored(account(7 * Day), answering([401, { error: 'invalid_token', message: 'The session has ended.' }])).catch((x: unknown) => x);
    expect((plain as Error).message).toBe('You were signed out.');
  });

  test('an unreachable or failing server is not a sign-out: the token may still be good', async () => {
    const e = await renewStored(account(7 * Day), answering([503, { error: 'unavailable', message: 'Busy.' }])).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).not.toBeInstanceOf(SignedOutError);
  });

  test('a session stored before accounts (no kind) is a guest session renewed through POST /api/session with its token', async () => {
    localStorage.clear();
    localStorage.setItem('openchat.session', JSON.stringify({ token: 'v1.legacy', userId: 'u-old', displayName: 'Ada', expiresAt: iso(t0 + Day) }));
    const stored = loadSession()!;
    expect(isLegacy(stored)).toBe(true);
    expect(isGuest(stored)).toBe(true);

    const fetcher = answering([200, { token: 'v2.guest', userId: 'u-old', displayName: 'Ada', expiresAt: iso(t0 + 7 * Day), kind: 'guest', username: null, owner: false }]);
    const renewed = await renewStored(stored, fetcher, () => t0);
    expect(fetcher).toHaveBeenCalledTimes(1);
    expect(fetcher.mock.calls[0]![0]).toBe('/api/session');
    expect(JSON.parse(fetcher.mock.calls[0]![1].body)).toEqual({ displayName: 'Ada', token: 'v1.legacy' });
    expect(renewed).toMatchObject({ token: 'v2.guest', userId: 'u-old', kind: 'guest' });
    // From now on it renews like any other session.
    saveSession(renewed);
    expect(isLegacy(loadSession()!)).toBe(false);
  });

  test('a stored pre-accounts token the server no longer knows starts a new guest of the same name, as before', async () => {
    const fetcher = answering(
      [401, { error: 'invalid_token', message: 'The previous token is invalid or expired.' }],
      [200, { token: 'v2.fresh', userId: 'g-2', displayName: 'Ada', expiresAt: iso(t0 + 7 * Day), kind: 'guest' }],
    );
    const renewed = await renewStored({ token: 'v1.dead', userId: 'u-old', displayName: 'Ada', expiresAt: iso(t0) }, fetcher, () => t0);
    expect(JSON.parse(fetcher.mock.calls[1]![1].body)).toEqual({ displayName: 'Ada', token: null });
    expect(renewed.userId).toBe('g-2');
  });

  test('a stored pre-accounts session on a server that no longer allows guests is signed out', async () => {
    const fetcher = answering([403, { error: 'forbidden', message: 'Guests are not allowed.' }]);
    await expect(renewStored({ token: 'v1', userId: 'u', displayName: 'Ada', expiresAt: iso(t0) }, fetcher)).rejects.toBeInstanceOf(SignedOutError);
  });

  test('a server that does not say what kind of session it answered keeps the old way of renewing', () => {
    expect(isLegacy(toStored({ token: 't', userId: 'u', displayName: 'Ada', expiresAt: iso(t0) }))).toBe(true);
  });
});

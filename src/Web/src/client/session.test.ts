import { describe, expect, test, vi } from 'vitest';
import {
  ApiError,
  authOptions,
  claimServer,
  deleteAccount,
  describeApiError,
  issueResetLink,
  register,
  signInWithPassword,
  validateNewPassword,
  validateUsername,
} from './session';

const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
  vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status, headers })) as unknown as typeof fetch & ReturnType<typeof vi.fn>;

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('account calls', () => {
  test('a refusal carries the server’s code and message', async () => {
    const e = await refusal(signInWithPassword('alice', 'wrong-pass', answer(401, { error: 'invalid_credentials', message: 'Wrong username or password.' })));
    expect([e.status, e.code, e.message]).toEqual([401, 'invalid_credentials', 'Wrong username or password.']);
  });

  test('throttled takes its wait from the body, or else from the Retry-After header', async () => {
    const fromBody = await refusal(signInWithPassword('a', 'b', answer(429, { error: 'throttled', message: 'Slow down.', retryAfterSeconds: 42 }, { 'Retry-After': '7' })));
    expect(fromBody.retryAfterSeconds).toBe(42);
    const fromHeader = await refusal(signInWithPassword('a', 'b', answer(429, undefined, { 'Retry-After': '7' })));
    expect([fromHeader.code, fromHeader.retryAfterSeconds]).toEqual(['throttled', 7]);
  });

  test('an unreachable server is a network error, a page that is not JSON a generic one', async () => {
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    expect((await refusal(signInWithPassword('a', 'b', offline))).code).toBe('network');
    const html = vi.fn(async () => new Response('<html>bad gateway</html>', { status: 502 })) as unknown as typeof fetch;
    expect((await refusal(signInWithPassword('a', 'b', html))).message).toBe('The server answered 502.');
  });

  test('a guest claims an account by registering with the guest token as the bearer', async () => {
    const fetcher = answer(200, { token: 't2', userId: 'g-1', displayName: 'Ada', expiresAt: '2030-01-01T00:00:00Z', kind: 'account', username: 'ada', owner: false });
    await register('ada', 'correct horse', 'guest-token', fetcher);
    expect(fetcher).toHaveBeenCalledWith('/api/accounts', expect.objectContaining({ method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer guest-token' } }));
    expect(JSON.parse(fetcher.mock.calls[0]![1].body)).toEqual({ username: 'ada', password: 'correct horse' });
    await register('bob', 'correct horse', null, fetcher);
    expect(fetcher.mock.calls[1]![1].headers).toEqual({ 'Content-Type': 'application/json' });
  });

  test('deleting the account sends the password with DELETE and takes the empty 204', async () => {
    const fetcher = answer(204);
    await expect(deleteAccount('tok', 'secret-pass', fetcher)).resolves.toBeUndefined();
    expect(fetcher).toHaveBeenCalledWith('/api/account', expect.objectContaining({ method: 'DELETE', body: JSON.stringify({ password: 'secret-pass' }) }));
  });

  test('the setup code goes to /api/setup with the account’s token', async () => {
    const fetcher = answer(403, { error: 'forbidden', message: 'Wrong code.' });
    const e = await refusal(claimServer('tok', 'ABCD-1234', fetcher));
    expect(e.code).toBe('forbidden');
    expect(fetcher).toHaveBeenCalledWith('/api/setup', expect.objectContaining({ headers: expect.objectContaining({ Authorization: 'Bearer tok' }) }));
  });
});

describe('reset links', () => {
  test('the owner asks for one by username with their token', async () => {
    const fetcher = answer(200, { code: 'abc', url: '/#reset=abc', expiresAt: '2099-01-01T00:00:00Z' });
    expect((await issueResetLink('tok', 'grace', fetcher)).url).toBe('/#reset=abc');
    expect(fetcher).toHaveBeenCalledWith(
      '/api/accounts/reset-link',
      expect.objectContaining({ method: 'POST', body: JSON.stringify({ username: 'grace' }), headers: expect.objectContaining({ Authorization: 'Bearer tok' }) }),
    );
  });

  test('an unknown name (forbidden) reads as such', () => {
    expect(describeApiError(new ApiError(403, 'forbidden', 'x'), 'resetLink')).toBe('No account has that username.');
  });
});

describe('messages for refusals', () => {
  const err = (status: number, code: string, message = 'server text', retry: number | null = null) => new ApiError(status, code, message, retry);

  test('each code reads as what went wrong for what the user was doing', () => {
    expect(describeApiError(err(401, 'invalid_credentials'), 'signIn')).toBe('Wrong username or password.');
    expect(describeApiError(err(401, 'invalid_credentials'), 'password')).toBe('That password is not right.');
    expect(describeApiError(err(429, 'throttled', 'x', 30), 'signIn')).toBe('Too many attempts; try again in 30 s.');
    expect(describeApiError(err(429, 'throttled', 'x', 600), 'signIn')).toBe('Too many attempts; try again in 10 min.');
    expect(describeApiError(err(429, 'throttled'), 'signIn')).toBe('Too many attempts; wait a minute and try again.');
    expect(describeApiError(err(409, 'name_taken'), 'register')).toBe('That username is taken; choose another.');
    expect(describeApiError(err(409, 'name_taken'), 'guest')).toBe('That name belongs to a registered account: sign in, or choose another name.');
    expect(describeApiError(err(403, 'forbidden'), 'guest')).toBe('This server does not allow guests; sign in or create an account.');
    expect(describeApiError(err(403, 'forbidden'), 'register')).toBe('This server does not accept new accounts.');
    expect(describeApiError(err(403, 'forbidden'), 'setup')).toBe('That setup code is not right, or the server already has an owner.');
    expect(describeApiError(err(403, 'forbidden'), 'reset')).toContain('This reset link is unknown');
    expect(describeApiError(err(400, 'invalid_argument', 'The password may not be the username.'), 'register')).toBe('The password may not be the username.');
    expect(describeApiError(err(0, 'network'), 'signIn')).toContain('could not be reached');
  });
});

describe('client-side checks mirror the server’s rules', () => {
  test('usernames: 2 to 32 letters and digits of one script, and _ . - between them', () => {
    expect(validateUsername('alice')).toBeNull();
    expect(validateUsername('Ali_ce.2-x')).toBeNull();
    expect(validateUsername('ＡＬＩＣＥ')).toBeNull();
    expect(validateUsername('Алиса')).toBeNull();
    expect(validateUsername('a')).toBe('Use at least 2 characters.');
    expect(validateUsername('a'.repeat(33))).toBe('Use at most 32 characters.');
    expect(validateUsername('al ice')).toContain('only letters, digits');
    expect(validateUsername('al@ice')).toContain('only letters, digits');
    expect(validateUsername('Аlice')).toBe('Use letters of one script only.'); // Cyrillic А, Latin lice
    expect(validateUsername('١٢')).toContain('only letters, digits'); // digits other than 0-9 look like others
    expect(validateUsername('_alice')).toBe('Use _ . - only between letters or digits.');
    expect(validateUsername('ali..ce')).toBe('Use _ . - only between letters or digits.');
    expect(validateUsername('alice-')).toBe('Use _ . - only between letters or digits.');
  });

  test('passwords: 8 to 128 characters, not containing the username, repeated the same', () => {
    expect(validateNewPassword('correct horse', 'correct horse', 'alice')).toBeNull();
    expect(validateNewPassword('short', 'short', 'alice')).toBe('Use a password of at least 8 characters.');
    expect(validateNewPassword('x'.repeat(129), 'x'.repeat(129), 'alice')).toBe('Use a password of at most 128 characters.');
    expect(validateNewPassword('Alice.123', 'Alice.123', 'alice.123')).toBe('The password cannot contain the username.');
    expect(validateNewPassword('my-alice-pw', 'my-alice-pw', 'Alice')).toBe('The password cannot contain the username.');
    expect(validateNewPassword('correct horse', 'correct hose', 'alice')).toBe('The passwords do not match.');
  });
});

describe('what the server allows', () => {
  test('a server from before accounts allows guests only; an unknown one shows every way in', () => {
    expect(authOptions({ name: 'OpenChat', version: '1' })).toEqual({ guestsAllowed: true, registrationOpen: false, setupRequired: false });
    expect(authOptions(null)).toEqual({ guestsAllowed: true, registrationOpen: true, setupRequired: false });
    const auth = { guestsAllowed: false, registrationOpen: true, setupRequired: true };
    expect(authOptions({ name: 'x', version: '2', auth })).toBe(auth);
  });
});

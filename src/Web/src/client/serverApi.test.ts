import { describe, expect, test, vi } from 'vitest';
import { createServerApi, describeSettingsError } from './serverApi';
import { ApiError } from './session';

const answer = (status: number, body?: unknown) =>
  vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status })) as unknown as typeof fetch & ReturnType<typeof vi.fn>;

const api = (fetcher: typeof fetch, refused = () => {}) => createServerApi(async () => 'tok', refused, fetcher);

describe('the settings API', () => {
  test('calls each endpoint with the method, path, body and bearer token of the contract', async () => {
    const fetcher = answer(200, { id: 'r1', name: 'Crew', position: 1, permissions: [], color: null, everyone: false });
    const a = api(fetcher);
    await a.createRole('Crew', ['speak']);
    await a.updateRole('r/1', { position: 2 });
    await a.setOverride('c 1', 'role', 'r1', ['viewChannel', 'connect'], ['speak']);
    await a.createChannel('crew-room', 'voice');
    const calls = fetcher.mock.calls.map(([path, init]) => [path, init.method, init.body === undefined ? undefined : JSON.parse(init.body)]);
    expect(calls).toEqual([
      ['/api/server/roles', 'POST', { name: 'Crew', permissions: ['speak'] }],
      ['/api/server/roles/r%2F1', 'PATCH', { position: 2 }],
      ['/api/channels/c%201/overrides/role/r1', 'PUT', { allow: ['viewChannel', 'connect'], deny: ['speak'] }],
      ['/api/channels', 'POST', { name: 'crew-room', kind: 'voice' }],
    ]);
    expect(fetcher.mock.calls[0]![1].headers).toEqual({ 'Content-Type': 'application/json', Authorization: 'Bearer tok' });
  });

  test('lists are unwrapped (null as empty); 204 answers resolve empty', async () => {
    expect(await api(answer(200, { roles: [{ id: 'everyone' }] })).roles()).toEqual([{ id: 'everyone' }]);
    expect(await api(answer(200, { members: null })).members('ad')).toEqual([]);
    const fetcher = answer(204);
    await expect(api(fetcher).assignRole('u1', 'crew')).resolves.toBeUndefined();
    expect(fetcher.mock.calls[0]!.slice(0, 1)).toEqual(['/api/server/members/u1/roles/crew']);
    expect(fetcher.mock.calls[0]![1].method).toBe('PUT');
    const search = answer(200, { members: [] });
    await api(search).members('a&b');
    expect(search.mock.calls[0]![0]).toBe('/api/server/members?query=a%26b');
  });

  test('member moderation: kick, ban, unban, the ban list and time-outs with their reasons', async () => {
    const fetcher = answer(204);
    const a = api(fetcher);
    await a.kick('u 1', 'spam');
    await a.ban('u1', null);
    await a.unban('u1');
    await a.timeOut('u1', 60, 'cool off');
    await a.liftTimeOut('u1');
    const calls = fetcher.mock.calls.map(([path, init]) => [path, init.method, init.body === undefined ? undefined : JSON.parse(init.body)]);
    expect(calls).toEqual([
      ['/api/server/members/u%201/kick', 'POST', { reason: 'spam' }],
      ['/api/server/members/u1/ban', 'POST', { reason: null }],
      ['/api/server/members/u1/ban', 'DELETE', undefined],
      ['/api/server/members/u1/timeout', 'POST', { minutes: 60, reason: 'cool off' }],
      ['/api/server/members/u1/timeout', 'DELETE', undefined],
    ]);
    const ban = { userId: 'u1', name: 'Rowdy', by: 'u2', byName: 'Mod', reason: null, at: '2026-01-01T00:00:00Z' };
    expect(await api(answer(200, { bans: [ban] })).bans()).toEqual([ban]);
    expect(await api(answer(200, { bans: null })).bans()).toEqual([]);
  });

  test('a problem+json refusal carries its code and detail; a 401 asks for a new token', async () => {
    const refused = vi.fn();
    const problem = { type: 'about:blank', title: 'forbidden', status: 403, detail: 'Only roles below your own.', code: 'forbidden' };
    const e = await api(answer(403, problem), refused).deleteRole('mods').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect([(e as ApiError).code, (e as ApiError).message]).toEqual(['forbidden', 'Only roles below your own.']);
    expect(describeSettingsError(e)).toBe('Not allowed: Only roles below your own.');
    expect(refused).not.toHaveBeenCalled();
    await api(answer(401, { error: 'invalid_token', message: 'Sign in again.' }), refused).roles().catch(() => {});
    expect(refused).toHaveBeenCalledOnce();
    const unknown = await api(answer(404, { title: 'unknown_role', detail: 'No such role.' })).deleteRole('x').catch((x: unknown) => x);
    expect(describeSettingsError(unknown)).toBe('That role no longer exists.');
  });
});

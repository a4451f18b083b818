import { describe, expect, test } from 'vitest';
import { RenewAt, toIceConfig } from './iceServers';

describe('toIceConfig', () => {
  test('no servers: an empty list and no renewal, as without TURN', () => {
    expect(toIceConfig({ iceServers: [], expiresAt: null, ttlSeconds: null })).toEqual({ iceServers: [], renewAfterMs: null });
  });

  test('STUN without a credential, TURN with one; renews at three quarters of the lifetime', () => {
    const config = toIceConfig({
      iceServers: [
        { urls: ['stun:stun.example.org:3478'], username: null, credential: null },
        { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:443?transport=tcp'], username: '1700000000:u1', credential: 'c2VjcmV0' },
      ],
      expiresAt: '2023-11-14T22:13:20Z',
      ttlSeconds: 3600,
    });
    expect(config.iceServers).toEqual([
      { urls: ['stun:stun.example.org:3478'] },
      { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:443?transport=tcp'], username: '1700000000:u1', credential: 'c2VjcmV0' },
    ]);
    expect(config.renewAfterMs).toBe(3600 * 1000 * RenewAt);
  });

  test('only STUN: nothing expires, so no renewal', () => {
    const config = toIceConfig({ iceServers: [{ urls: ['stun:stun.example.org'], username: null, credential: null }], expiresAt: null, ttlSeconds: null });
    expect(config.renewAfterMs).toBeNull();
  });

  test('entries without URLs are dropped', () => {
    const config = toIceConfig({ iceServers: [{ urls: [], username: 'a', credential: 'b' }], expiresAt: null, ttlSeconds: 60 });
    expect(config).toEqual({ iceServers: [], renewAfterMs: null });
  });
});

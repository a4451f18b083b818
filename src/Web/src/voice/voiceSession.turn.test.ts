import { beforeEach, describe, expect, test } from 'vitest';
import type { IceServersDto } from '../protocol/types';
import { hubError, settle, peers, signalling, clock, session, joinConnected, resetVoiceFixture } from './voiceSession.fixture';

beforeEach(resetVoiceFixture);

/** A GetIceServers answer whose credential names the call it was made for, valid for `ttl` seconds. */
function issueCredentials(ttl: number): void {
  let issued = 0;
  signalling.iceResult = (): Promise<IceServersDto> => {
    issued++;
    return Promise.resolve({
      iceServers: [{ urls: ['turns:turn.example.org:443?transport=tcp'], username: `${1000 + issued * ttl}:u-me`, credential: `cred-${issued}` }],
      expiresAt: null,
      ttlSeconds: ttl,
    });
  };
}

describe('TURN credentials', () => {
  test('each join asks for ICE servers first and gives them to the new peer', async () => {
    issueCredentials(60);
    const peer = await joinConnected();
    expect(signalling.calls.map((c) => c.method)).toEqual(['GetIceServers', 'JoinVoice']);
    expect(peer.iceServers).toEqual([{ urls: ['turns:turn.example.org:443?transport=tcp'], username: '1060:u-me', credential: 'cred-1' }]);
  });

  test('without TURN the peer gets no ICE servers and nothing is renewed', async () => {
    const peer = await joinConnected();
    expect(peer.iceServers).toEqual([]);
    await clock.advance(24 * 3600 * 1000);
    expect(peers).toHaveLength(1);
    expect(session.status.phase).toBe('connected');
  });

  test('a server that cannot say joins without ICE servers, as before', async () => {
    signalling.iceResult = () => Promise.reject(hubError('unavailable'));
    const peer = await joinConnected();
    expect(peer.iceServers).toEqual([]);
    expect(session.activePeer).toBe(peer);
  });

  test('before the credential expires, a new peer with a fresh one replaces the playing one (make before break)', async () => {
    issueCredentials(60);
    const first = await joinConnected();
    await clock.advance(44_000);
    expect(peers).toHaveLength(1);
    await clock.advance(1_000); // 45 s: three quarters of 60 s
    expect(peers).toHaveLength(2);
    const second = peers[1]!;
    expect(second.iceServers[0]!.credential).toBe('cred-2');
    expect(signalling.named('JoinVoice')).toHaveLength(2);
    // The old peer plays on, and the session stays connected, while the new one connects.
    expect(session.activePeer).toBe(first);
    expect(session.status.phase).toBe('connected');
    second.set('connected');
    await settle();
    expect(session.activePeer).toBe(second);
    expect(first.state).toBe('closed');

    // The new peer's credential is renewed in its turn.
    await clock.advance(45_000);
    expect(peers).toHaveLength(3);
    expect(peers[2]!.iceServers[0]!.credential).toBe('cred-3');
  });

  test('a peer replaced by a VoiceReconnect renews on its own credential, not the replaced one', async () => {
    issueCredentials(60);
    await joinConnected();
    await clock.advance(30_000);
    const reconnecting = session.handleReconnect('lounge');
    await settle();
    peers[1]!.set('connected');
    await reconnecting;
    // 45 s after the first credential: not the playing peer's, nothing happens.
    await clock.advance(15_000);
    expect(peers).toHaveLength(2);
    // 45 s after the second.
    await clock.advance(30_000);
    expect(peers).toHaveLength(3);
  });

  test('a resume that keeps the playing peer keeps its renewal', async () => {
    issueCredentials(60);
    await joinConnected();
    await session.resume();
    expect(peers).toHaveLength(1);
    await clock.advance(45_000);
    expect(peers).toHaveLength(2);
  });

  test('after leaving, the renewal does nothing', async () => {
    issueCredentials(60);
    await joinConnected();
    await session.leave();
    await clock.advance(60_000);
    expect(peers).toHaveLength(1);
    expect(signalling.named('JoinVoice')).toHaveLength(1);
  });
});

import { beforeEach, describe, expect, test } from 'vitest';
import {
  hubError,
  settle,
  peers,
  signalling,
  clock,
  memberUpdates,
  session,
  lastActive,
  joinConnected,
  resetVoiceFixture,
} from './voiceSession.fixture';

beforeEach(resetVoiceFixture);

describe('VoiceReconnect', () => {
  test('renegotiates with a new peer, keeping the old one playing until the new one connects', async () => {
    const old = await joinConnected();
    const reconnecting = session.handleReconnect('lounge');
    await settle();
    expect(session.status.phase).toBe('reconnecting');
    expect(peers).toHaveLength(2);
    expect(signalling.named('JoinVoice')[1]!.args).toEqual(['lounge', 'offer-2', false, false]);
    // Still playing the old one.
    expect(old.state).toBe('connected');
    expect(session.activePeer).toBe(old);

    peers[1]!.set('connected');
    await reconnecting;
    expect(session.activePeer).toBe(peers[1]);
    expect(lastActive()).toBe(peers[1]);
    expect(old.state).toBe('closed');
    expect(session.status.phase).toBe('connected');
  });

  test('a second VoiceReconnect during the first abandons the first new peer', async () => {
    const old = await joinConnected();
    void session.handleReconnect('lounge');
    await settle();
    const second = session.handleReconnect('lounge');
    await settle();
    expect(peers).toHaveLength(3);
    expect(peers[1]!.state).toBe('closed');
    expect(session.activePeer).toBe(old);
    peers[2]!.set('connected');
    await second;
    expect(session.activePeer).toBe(peers[2]);
    expect(old.state).toBe('closed');
  });

  test('a new peer that fails is replaced after a pause while the old keeps playing', async () => {
    const old = await joinConnected();
    const reconnecting = session.handleReconnect('lounge');
    await settle();
    peers[1]!.set('failed');
    await settle();
    expect(session.activePeer).toBe(old);
    await clock.advance(1_000);
    expect(peers).toHaveLength(3);
    peers[2]!.set('connected');
    await reconnecting;
    expect(session.activePeer).toBe(peers[2]);
    expect(old.state).toBe('closed');
  });

  test('JoinVoice refused as unavailable is retried; a fatal refusal ends voice', async () => {
    await joinConnected();
    let calls = 0;
    signalling.joinResult = () => (++calls === 1 ? Promise.reject(hubError('unavailable')) : Promise.reject(hubError('forbidden', 'no')));
    const reconnecting = session.handleReconnect('lounge');
    await settle();
    await clock.advance(1_000);
    await reconnecting;
    expect(calls).toBe(2);
    expect(session.status).toMatchObject({ phase: 'idle', error: 'Not allowed: no' });
    expect(peers.every((p) => p.state === 'closed')).toBe(true);
  });

  test('is ignored for another channel or when not in voice', async () => {
    await session.handleReconnect('lounge');
    expect(peers).toHaveLength(0);
    await joinConnected('lounge');
    await session.handleReconnect('studio');
    expect(peers).toHaveLength(1);
  });

  test('the playing peer failing (ICE lost) renegotiates by itself', async () => {
    const old = await joinConnected();
    old.set('failed');
    await settle();
    expect(session.status.phase).toBe('reconnecting');
    expect(peers).toHaveLength(2);
    peers[1]!.set('connected');
    await settle();
    expect(session.activePeer).toBe(peers[1]);
    expect(session.status.phase).toBe('connected');
  });
});

describe('resuming after the signalling connection came back', () => {
  test('ResumeVoice keeps the media session when it is still connected', async () => {
    const peer = await joinConnected();
    signalling.members = [];
    await session.resume();
    expect(signalling.named('ResumeVoice')).toEqual([{ method: 'ResumeVoice', args: ['lounge'] }]);
    expect(peers).toHaveLength(1);
    expect(session.activePeer).toBe(peer);
    expect(session.status.phase).toBe('connected');
    expect(memberUpdates[memberUpdates.length - 1]).toEqual({ channelId: 'lounge', members: [] });
  });

  test('not_in_voice joins again with a new peer, no user action', async () => {
    const old = await joinConnected();
    signalling.resumeResult = () => Promise.reject(hubError('not_in_voice', 'You are not in that voice channel.'));
    const resuming = session.resume();
    await settle();
    expect(signalling.named('JoinVoice')).toHaveLength(2);
    expect(session.status.phase).toBe('reconnecting');
    peers[1]!.set('connected');
    await resuming;
    expect(session.activePeer).toBe(peers[1]);
    expect(old.state).toBe('closed');
    expect(session.status.phase).toBe('connected');
  });

  test('a media session that died meanwhile is replaced even when ResumeVoice succeeds', async () => {
    const old = await joinConnected();
    old.state = 'failed'; // failed while the hub was away (no event: it changed before the listener mattered)
    const resuming = session.resume();
    await settle();
    expect(peers).toHaveLength(2);
    peers[1]!.set('connected');
    await resuming;
    expect(session.activePeer).toBe(peers[1]);
  });

  test('a deleted channel ends voice', async () => {
    await joinConnected();
    signalling.resumeResult = () => Promise.reject(hubError('unknown_channel'));
    await session.resume();
    expect(session.status).toMatchObject({ phase: 'idle', error: 'This channel no longer exists.' });
  });

  test('does nothing when not in voice', async () => {
    await session.resume();
    expect(signalling.calls).toEqual([]);
  });

  test('a mute that could not be sent while disconnected is sent after resuming', async () => {
    await joinConnected();
    signalling.setStateResult = () => Promise.reject(new Error('Invocation canceled due to the underlying connection being closed.'));
    session.setMuted(true);
    await settle();
    signalling.setStateResult = null;
    await session.resume();
    await settle();
    expect(signalling.named('SetVoiceState').map((c) => c.args)).toEqual([
      [true, false],
      [true, false],
    ]);
  });
});

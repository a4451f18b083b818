import { beforeEach, describe, expect, test } from 'vitest';
import type { VoiceJoinedDto } from '../protocol/types';
import { mediaPathFailed, retryPause, VoiceSession } from './voiceSession';
import {
  FakePeer,
  hubError,
  settle,
  peers,
  signalling,
  clock,
  statuses,
  memberUpdates,
  session,
  lastActive,
  joinConnected,
  resetVoiceFixture,
} from './voiceSession.fixture';

beforeEach(resetVoiceFixture);

describe('joining', () => {
  test('offers, calls JoinVoice, sets the answer and is connected once the peer is', async () => {
    const joining = session.join('lounge');
    await settle();
    expect(peers).toHaveLength(1);
    expect(signalling.named('JoinVoice')).toEqual([{ method: 'JoinVoice', args: ['lounge', 'offer-1', false, false] }]);
    expect(peers[0]!.answer).toBe('answer-to-offer-1');
    expect(session.status.phase).toBe('joining');
    expect(session.activePeer).toBeNull();

    peers[0]!.set('connected');
    await joining;
    expect(session.status).toMatchObject({ phase: 'connected', channelId: 'lounge', error: null });
    expect(session.activePeer).toBe(peers[0]);
    expect(lastActive()).toBe(peers[0]);
    expect(memberUpdates).toEqual([{ channelId: 'lounge', members: signalling.members }]);
  });

  test('joins muted and deafened when the user chose so beforehand, without a SetVoiceState call', async () => {
    session.setMuted(true);
    session.setDeafened(true);
    await joinConnected();
    expect(signalling.named('JoinVoice')[0]!.args).toEqual(['lounge', 'offer-1', true, true]);
    expect(signalling.named('SetVoiceState')).toEqual([]);
  });

  test('a full channel ends the join with the reason and no retry', async () => {
    signalling.joinResult = () => Promise.reject(hubError('voice_full', 'The channel is full.'));
    await session.join('lounge');
    expect(session.status).toMatchObject({ phase: 'idle', channelId: null, error: 'This voice channel is full.' });
    expect(peers[0]!.state).toBe('closed');
    expect(signalling.named('JoinVoice')).toHaveLength(1);
  });

  test('a microphone that cannot be opened ends the join before any offer', async () => {
    const s = new VoiceSession({
      signalling,
      createPeer: () => new FakePeer(99),
      prepare: () => Promise.reject(new Error('Permission denied')),
      onStatus: () => {},
      onMembers: () => {},
    });
    await s.join('lounge');
    expect(s.status).toMatchObject({ phase: 'idle', error: 'Microphone unavailable: Permission denied' });
    expect(signalling.calls).toEqual([]);
  });

  test('pauses between attempts are spread from half to one and a half times their length', () => {
    expect(retryPause(1_000, () => 0)).toBe(500);
    expect(retryPause(1_000, () => 0.5)).toBe(1_000);
    expect(retryPause(1_000, () => 0.999)).toBe(1_499);
    const pauses = new Set(Array.from({ length: 50 }, () => retryPause(2_000)));
    expect(pauses.size).toBeGreaterThan(10);
    for (const p of pauses) {
      expect(p).toBeGreaterThanOrEqual(1_000);
      expect(p).toBeLessThanOrEqual(3_000);
    }
  });

  test('a peer that never connects is retried with a new one, then given up (and the server told)', async () => {
    const joining = session.join('lounge');
    await settle();
    await clock.advance(10_000); // first attempt times out
    expect(peers[0]!.state).toBe('closed');
    await clock.advance(1_000); // pause, second attempt
    expect(peers).toHaveLength(2);
    await clock.advance(10_000);
    await clock.advance(2_000); // pause, third attempt
    expect(peers).toHaveLength(3);
    await clock.advance(10_000);
    await joining;
    expect(session.status.phase).toBe('idle');
    expect(session.status.error).toBe(`Could not connect to voice: ${mediaPathFailed}`);
    expect(session.status.error).not.toContain('Not connected to the server');
    expect(session.status.error).toContain('TURN');
    expect(signalling.named('JoinVoice')).toHaveLength(3);
    expect(signalling.named('LeaveVoice')).toHaveLength(1);
    expect(peers.every((p) => p.state === 'closed')).toBe(true);
  });

  test('joining another channel closes the first session at once', async () => {
    const first = await joinConnected('lounge');
    const second = session.join('studio');
    await settle();
    expect(first.state).toBe('closed');
    expect(session.activePeer).toBeNull();
    peers[1]!.set('connected');
    await second;
    expect(session.status).toMatchObject({ phase: 'connected', channelId: 'studio' });
  });

  test('joining the channel already joined does nothing', async () => {
    await joinConnected('lounge');
    await session.join('lounge');
    expect(peers).toHaveLength(1);
  });
});

describe('mute, deafen, leave and end', () => {
  test('mute and deafen are sent to the server while in voice, and only changes', async () => {
    await joinConnected();
    session.setMuted(true);
    session.setMuted(true);
    session.setDeafened(true);
    session.setMuted(false);
    expect(signalling.named('SetVoiceState').map((c) => c.args)).toEqual([
      [true, false],
      [true, true],
      [false, true],
    ]);
    expect(session.status).toMatchObject({ muted: false, deafened: true });
  });

  test('leave closes the peer and tells the server', async () => {
    const peer = await joinConnected();
    await session.leave();
    expect(peer.state).toBe('closed');
    expect(session.status).toMatchObject({ phase: 'idle', channelId: null, error: null });
    expect(signalling.named('LeaveVoice')).toHaveLength(1);
    expect(lastActive()).toBeNull();
  });

  test('leaving while JoinVoice is outstanding closes the peer it would have used', async () => {
    let answer!: (dto: VoiceJoinedDto) => void;
    signalling.joinResult = () => new Promise((resolve) => (answer = resolve));
    const joining = session.join('lounge');
    await settle();
    await session.leave();
    answer({ channelId: 'lounge', sdpAnswer: 'late', members: [] });
    await joining;
    expect(peers[0]!.state).toBe('closed');
    expect(peers[0]!.answer).toBeNull();
    expect(session.activePeer).toBeNull();
    expect(session.status.phase).toBe('idle');
  });

  test('VoiceEnded ends the session with its reason and without LeaveVoice', async () => {
    const peer = await joinConnected();
    session.handleEnded('lounge', 'joined from another connection');
    expect(session.status).toMatchObject({ phase: 'idle', error: 'Voice ended: joined from another connection' });
    expect(peer.state).toBe('closed');
    expect(signalling.named('LeaveVoice')).toHaveLength(0);
  });

  test('VoiceMoved joins the other channel with a new peer, and one for another channel is ignored', async () => {
    const peer = await joinConnected('lounge');
    await session.handleMoved('studio', 'stage');
    expect(session.status.channelId).toBe('lounge');
    const moving = session.handleMoved('lounge', 'stage');
    await settle();
    peers[peers.length - 1]!.set('connected');
    await moving;
    expect(peer.state).toBe('closed');
    expect(session.status).toMatchObject({ channelId: 'stage', phase: 'connected' });
    expect(signalling.named('JoinVoice').map((c) => c.args[0])).toEqual(['lounge', 'stage']);
  });

  test('VoiceEnded for another channel is ignored', async () => {
    await joinConnected('lounge');
    session.handleEnded('studio', 'gone');
    expect(session.status.phase).toBe('connected');
  });

  test('every status change is reported', async () => {
    await joinConnected();
    expect(statuses.map((s) => s.phase)).toEqual(['joining', 'connected']);
  });
});

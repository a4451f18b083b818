import { beforeEach, describe, expect, test } from 'vitest';
import type { VoiceJoinedDto, VoiceMemberDto } from '../protocol/types';
import type { VoiceStatus } from './types';
import { VoiceSession, type PeerState, type VoicePeer, type VoiceSignalling } from './voiceSession';

/** A peer connection stand-in whose state the test drives. */
class FakePeer implements VoicePeer {
  state: PeerState = 'new';
  answer: string | null = null;
  readonly remoteStream: MediaStream;
  private readonly listeners = new Set<() => void>();

  constructor(readonly id: number) {
    this.remoteStream = { id: `stream-${id}` } as unknown as MediaStream;
  }

  async createOffer(): Promise<string> {
    this.state = 'connecting';
    return `offer-${this.id}`;
  }

  async acceptAnswer(sdp: string): Promise<void> {
    this.answer = sdp;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(state: PeerState): void {
    this.state = state;
    for (const l of [...this.listeners]) l();
  }

  close(): void {
    if (this.state !== 'closed') this.set('closed');
  }
}

type Call = { method: string; args: unknown[] };

/** The hub, answering JoinVoice with an answer for the offer unless a test says otherwise. */
class FakeSignalling implements VoiceSignalling {
  calls: Call[] = [];
  members: VoiceMemberDto[] = [{ userId: 'u-me', displayName: 'Me', muted: false, deafened: false, speaking: false }];
  joinResult: ((channelId: string, offer: string) => Promise<VoiceJoinedDto>) | null = null;
  resumeResult: ((channelId: string) => Promise<VoiceJoinedDto>) | null = null;
  setStateResult: (() => Promise<void>) | null = null;

  joinVoice(channelId: string, sdpOffer: string, muted: boolean, deafened: boolean): Promise<VoiceJoinedDto> {
    this.calls.push({ method: 'JoinVoice', args: [channelId, sdpOffer, muted, deafened] });
    if (this.joinResult) return this.joinResult(channelId, sdpOffer);
    return Promise.resolve({ channelId, sdpAnswer: `answer-to-${sdpOffer}`, members: this.members });
  }

  resumeVoice(channelId: string): Promise<VoiceJoinedDto> {
    this.calls.push({ method: 'ResumeVoice', args: [channelId] });
    if (this.resumeResult) return this.resumeResult(channelId);
    return Promise.resolve({ channelId, sdpAnswer: null, members: this.members });
  }

  leaveVoice(): Promise<void> {
    this.calls.push({ method: 'LeaveVoice', args: [] });
    return Promise.resolve();
  }

  setVoiceState(muted: boolean, deafened: boolean): Promise<void> {
    this.calls.push({ method: 'SetVoiceState', args: [muted, deafened] });
    return this.setStateResult ? this.setStateResult() : Promise.resolve();
  }

  named(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }
}

/** Virtual time: `delay` waits until `advance` passes its due time. */
class Clock {
  now = 0;
  private waiting: { due: number; resolve: () => void }[] = [];

  delay = (ms: number): Promise<void> => new Promise((resolve) => this.waiting.push({ due: this.now + ms, resolve }));

  async advance(ms: number): Promise<void> {
    this.now += ms;
    const due = this.waiting.filter((w) => w.due <= this.now);
    this.waiting = this.waiting.filter((w) => w.due > this.now);
    due.forEach((w) => w.resolve());
    await settle();
  }
}

const hubError = (code: string, reason = 'refused') =>
  new Error(`An unexpected error occurred invoking 'X' on the server. HubException: ${code}: ${reason}`);

/** Lets every pending promise callback run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

let peers: FakePeer[];
let signalling: FakeSignalling;
let clock: Clock;
let statuses: VoiceStatus[];
let active: (VoicePeer | null)[];
let memberUpdates: { channelId: string; members: VoiceMemberDto[] }[];
let session: VoiceSession;

beforeEach(() => {
  peers = [];
  signalling = new FakeSignalling();
  clock = new Clock();
  statuses = [];
  active = [];
  memberUpdates = [];
  session = new VoiceSession({
    signalling,
    createPeer: () => {
      const peer = new FakePeer(peers.length + 1);
      peers.push(peer);
      return peer;
    },
    onStatus: (s) => statuses.push(s),
    onMembers: (channelId, members) => memberUpdates.push({ channelId, members }),
    onActivePeer: (p) => active.push(p),
    delay: clock.delay,
    connectTimeoutMs: 10_000,
    retryDelaysMs: [1_000, 2_000],
  });
});

const lastActive = () => active[active.length - 1] ?? null;

async function joinConnected(channelId = 'lounge'): Promise<FakePeer> {
  const joining = session.join(channelId);
  await settle();
  const peer = peers[peers.length - 1]!;
  peer.set('connected');
  await joining;
  return peer;
}

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
    expect(session.status.error).toMatch(/^Could not connect to voice/);
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

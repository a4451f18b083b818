/** The fakes and the session under test shared by the VoiceSession test files. */
import type { IceServersDto, VoiceJoinedDto, VoiceMemberDto } from '../protocol/types';
import type { VoiceStatus } from './types';
import { VoiceSession, type PeerState, type VoicePeer, type VoiceSignalling } from './voiceSession';

/** A peer connection stand-in whose state the test drives. */
export class FakePeer implements VoicePeer {
  state: PeerState = 'new';
  answer: string | null = null;
  readonly remoteStream: MediaStream;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly id: number,
    readonly iceServers: RTCIceServer[] = [],
  ) {
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
export class FakeSignalling implements VoiceSignalling {
  calls: Call[] = [];
  members: VoiceMemberDto[] = [{ userId: 'u-me', displayName: 'Me', muted: false, deafened: false, speaking: false }];
  joinResult: ((channelId: string, offer: string) => Promise<VoiceJoinedDto>) | null = null;
  resumeResult: ((channelId: string) => Promise<VoiceJoinedDto>) | null = null;
  setStateResult: (() => Promise<void>) | null = null;
  /** What GetIceServers answers; no servers (as a server without TURN) unless a test says otherwise. */
  iceResult: () => Promise<IceServersDto> = () => Promise.resolve({ iceServers: [], expiresAt: null, ttlSeconds: null });

  getIceServers(): Promise<IceServersDto> {
    this.calls.push({ method: 'GetIceServers', args: [] });
    return this.iceResult();
  }

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
export class Clock {
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

export const hubError = (code: string, reason = 'refused') =>
  new Error(`An unexpected error occurred invoking 'X' on the server. HubException: ${code}: ${reason}`);

/** Lets every pending promise callback run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

export let peers: FakePeer[];
export let signalling: FakeSignalling;
export let clock: Clock;
export let statuses: VoiceStatus[];
export let active: (VoicePeer | null)[];
export let memberUpdates: { channelId: string; members: VoiceMemberDto[] }[];
export let session: VoiceSession;

/** A new session and fakes for each test (the test files call it from beforeEach). */
export function resetVoiceFixture(): void {
  peers = [];
  signalling = new FakeSignalling();
  clock = new Clock();
  statuses = [];
  active = [];
  memberUpdates = [];
  session = new VoiceSession({
    signalling,
    createPeer: (iceServers) => {
      const peer = new FakePeer(peers.length + 1, iceServers);
      peers.push(peer);
      return peer;
    },
    onStatus: (s) => statuses.push(s),
    onMembers: (channelId, members) => memberUpdates.push({ channelId, members }),
    onActivePeer: (p) => active.push(p),
    delay: clock.delay,
    connectTimeoutMs: 10_000,
    retryDelaysMs: [1_000, 2_000],
    random: () => 0.5, // pauses exactly as listed
  });
}

export const lastActive = () => active[active.length - 1] ?? null;

export async function joinConnected(channelId = 'lounge'): Promise<FakePeer> {
  const joining = session.join(channelId);
  await settle();
  const peer = peers[peers.length - 1]!;
  peer.set('connected');
  await joining;
  return peer;
}

import { describeError, parseHubError, type HubError } from '../protocol/errors';
import type { IceServersDto, VoiceJoinedDto, VoiceMemberDto } from '../protocol/types';
import { noIceServers, toIceConfig, type IceConfig } from './iceServers';
import { initialVoice, type VoiceStatus } from './types';

export type PeerState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** One media session with the room's mixer: what `VoiceSession` needs of an RTCPeerConnection. */
export interface VoicePeer {
  /** Creates the offer (with the microphone track, sendrecv) and sets it as the local description. */
  createOffer(): Promise<string>;
  acceptAnswer(sdp: string): Promise<void>;
  readonly state: PeerState;
  /** The mixed audio the server sends, once the answer is set. */
  readonly remoteStream: MediaStream | null;
  /** Calls `listener` on every change of state or stream; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  close(): void;
}

/** The hub methods voice uses. */
export interface VoiceSignalling {
  /** The STUN/TURN servers for the next peer connection, with a fresh TURN credential. */
  getIceServers(): Promise<IceServersDto>;
  joinVoice(channelId: string, sdpOffer: string, muted: boolean, deafened: boolean): Promise<VoiceJoinedDto>;
  resumeVoice(channelId: string): Promise<VoiceJoinedDto>;
  leaveVoice(): Promise<void>;
  setVoiceState(muted: boolean, deafened: boolean): Promise<void>;
}

export interface VoiceSessionOptions {
  signalling: VoiceSignalling;
  /** A new peer connection carrying the (one, shared) microphone track, using these STUN/TURN servers. */
  createPeer: (iceServers: RTCIceServer[]) => VoicePeer;
  /** Gets the microphone ready before the first offer; a rejection ends the join with its message. */
  prepare?: () => Promise<void>;
  onStatus: (status: VoiceStatus) => void;
  onMembers: (channelId: string, members: VoiceMemberDto[]) => void;
  /** The peer whose audio should be played now (null: none). */
  onActivePeer?: (peer: VoicePeer | null) => void;
  delay?: (ms: number) => Promise<void>;
  /** How long a new peer may take to connect before the attempt counts as failed. */
  connectTimeoutMs?: number;
  /** Pauses between attempts; their count + 1 is how many attempts are made before giving up. */
  retryDelaysMs?: number[];
  /** A number in [0, 1): spreads each pause between half and one and a half times its length (see `retryPause`). */
  random?: () => number;
}

/**
 * The pause before the next attempt: `baseMs` scaled by a random factor between 0.5 and 1.5. When a media node
 * fails, every member of its rooms tries again at once (that first attempt is not delayed: it bounds the gap
 * everyone hears); those that fail then come back spread over a second or more instead of together.
 */
export const retryPause = (baseMs: number, random: () => number = Math.random) => Math.round(baseMs * (0.5 + random()));

/** Errors after which trying again cannot help. */
/**
 * The peer connection did not open while the hub answered: ICE (or DTLS) found no working route to the media node.
 * Not phrased as a lost server connection, which it is not.
 */
export const mediaPathFailed =
  'the media path to the voice server could not be established. A firewall may block UDP and TCP to the media ' +
  'node; on such a network voice needs a TURN server (ask the server operator).';

const fatalCodes = new Set(['forbidden', 'unknown_channel', 'wrong_channel_kind', 'voice_full', 'invalid_argument']);

type Attempt = { outcome: 'done' } | { outcome: 'stale' } | { outcome: 'retry'; error: HubError } | { outcome: 'fatal'; error: HubError };

/**
 * The user's voice session: joining, renegotiating when the server moves the mixer (`VoiceReconnect`) or the
 * media path fails, resuming after the signalling connection came back, and leaving.
 *
 * Each attempt asks for ICE servers first, so every new peer connection has a fresh TURN credential. A TURN
 * server refuses new allocations with an expired credential (the browser makes one on an ICE restart or a network
 * change), so before expiry (`RenewAt` of the lifetime) a connected session moves to a new peer connection the
 * same way as on `VoiceReconnect`.
 *
 * Every operation bumps a generation; a step that finds the generation changed after an await stops and
 * closes what it created, so a newer operation always wins. The active peer keeps playing until a newer one
 * has connected.
 */
export class VoiceSession {
  private readonly opts: Required<Omit<VoiceSessionOptions, 'prepare' | 'onActivePeer'>> &
    Pick<VoiceSessionOptions, 'prepare' | 'onActivePeer'>;
  private generation = 0;
  private active: VoicePeer | null = null;
  private stopWatchingActive: (() => void) | null = null;
  private pending: VoicePeer | null = null;
  private state: VoiceStatus = initialVoice;
  /** The server may not know the latest mute/deafen choice (the call failed); send it on resume. */
  private stateUnsent = false;
  /** The credential of the peer now playing; its renewal timer acts only while this is still the same object. */
  private credential: object | null = null;

  constructor(options: VoiceSessionOptions) {
    this.opts = {
      delay: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      connectTimeoutMs: 10_000,
      retryDelaysMs: [1_000, 2_000, 5_000],
      random: Math.random,
      ...options,
    };
  }

  get status(): VoiceStatus {
    return this.state;
  }

  get activePeer(): VoicePeer | null {
    return this.active;
  }

  /** Joins a voice channel (leaving any other); resolves when connected, given up, or superseded. */
  async join(channelId: string): Promise<void> {
    if (this.state.channelId === channelId && this.state.phase !== 'idle') return;
    const gen = this.cancel();
    this.setActive(null);
    this.update({ channelId, phase: 'joining', error: null });
    if (this.opts.prepare) {
      try {
        await this.opts.prepare();
      } catch (e) {
        if (gen === this.generation) this.end(`Microphone unavailable: ${e instanceof Error ? e.message : String(e)}`, false);
        return;
      }
    }
    if (gen === this.generation) await this.negotiate(gen);
  }

  /** Leaves voice at the user's request. */
  async leave(): Promise<void> {
    if (this.state.phase === 'idle') return;
    this.end(null, false);
    await this.opts.signalling.leaveVoice().catch(() => {});
  }

  /** The server moved the room's mixer: a new peer with the same track, JoinVoice again, no user action. */
  async handleReconnect(channelId: string): Promise<void> {
    if (this.state.phase === 'idle' || this.state.channelId !== channelId) return;
    const gen = this.cancel();
    this.update({ phase: this.state.phase === 'joining' ? 'joining' : 'reconnecting' });
    await this.negotiate(gen);
  }

  /** The membership ended without the user asking (moved to another connection, channel deleted, timed out). */
  handleEnded(channelId: string, reason: string): void {
    if (this.state.phase === 'idle' || this.state.channelId !== channelId) return;
    this.end(reason ? `Voice ended: ${reason}` : 'Voice ended.', false);
  }

  /** A moderator moved the user to another voice channel: join it with the same microphone, no user action. */
  async handleMoved(channelId: string, toChannelId: string): Promise<void> {
    if (this.state.phase === 'idle' || this.state.channelId !== channelId) return;
    await this.join(toChannelId);
  }

  /** The signalling connection is back: bind the membership to it, or join again when the server lost it. */
  async resume(): Promise<void> {
    const channelId = this.state.channelId;
    if (this.state.phase === 'idle' || channelId === null) return;
    const gen = this.cancel();
    try {
      const resumed = await this.opts.signalling.resumeVoice(channelId);
      if (gen !== this.generation) return;
      this.opts.onMembers(resumed.channelId, resumed.members);
      if (this.active && (this.active.state === 'connected' || this.active.state === 'disconnected')) {
        this.update({ phase: 'connected', error: null });
        if (this.stateUnsent) this.sendState();
        return;
      }
    } catch (e) {
      if (gen !== this.generation) return;
      const error = parseHubError(e);
      if (fatalCodes.has(error.code ?? '')) {
        this.end(describeError(error), false);
        return;
      }
      // not_in_voice (the server let the membership go) or a transient failure: join again below.
    }
    if (this.state.phase !== 'joining') this.update({ phase: 'reconnecting' });
    await this.negotiate(gen);
  }

  setMuted(muted: boolean): void {
    if (this.state.muted === muted) return;
    this.update({ muted });
    this.sendState();
  }

  setDeafened(deafened: boolean): void {
    if (this.state.deafened === deafened) return;
    this.update({ deafened });
    this.sendState();
  }

  /** Closes everything without telling the server (the page is going away). */
  dispose(): void {
    this.cancel();
    this.setActive(null);
  }

  private sendState(): void {
    if (this.state.phase === 'idle') return;
    this.stateUnsent = false;
    const { muted, deafened } = this.state;
    this.opts.signalling.setVoiceState(muted, deafened).catch((e) => {
      if (parseHubError(e).code !== 'not_in_voice') this.stateUnsent = true;
    });
  }

  private async negotiate(gen: number): Promise<void> {
    const delays = this.opts.retryDelaysMs;
    for (let attempt = 0; ; attempt++) {
      const result = await this.attempt(gen);
      if (result.outcome === 'done' || result.outcome === 'stale') return;
      if (result.outcome === 'fatal') {
        this.end(describeError(result.error), false);
        return;
      }
      if (attempt >= delays.length) {
        this.end(`Could not connect to voice: ${describeError(result.error)}`, true);
        return;
      }
      await this.opts.delay(retryPause(delays[attempt]!, this.opts.random));
      if (gen !== this.generation) return;
    }
  }

  private async attempt(gen: number): Promise<Attempt> {
    const channelId = this.state.channelId!;
    const ice = await this.iceConfig();
    if (gen !== this.generation) return { outcome: 'stale' };
    // The renewal timer starts when the credential was issued, not when the peer connected.
    const credential = {};
    if (ice.renewAfterMs !== null) void this.opts.delay(ice.renewAfterMs).then(() => this.renew(credential));
    const peer = this.opts.createPeer(ice.iceServers);
    this.pending = peer;
    const stale = (): Attempt => {
      if (this.pending === peer) this.pending = null;
      peer.close();
      return { outcome: 'stale' };
    };
    try {
      const offer = await peer.createOffer();
      if (gen !== this.generation) return stale();
      const joined = await this.opts.signalling.joinVoice(channelId, offer, this.state.muted, this.state.deafened);
      if (gen !== this.generation) return stale();
      this.stateUnsent = false;
      this.opts.onMembers(joined.channelId, joined.members);
      if (!joined.sdpAnswer) throw new Error('internal: the server sent no answer.');
      await peer.acceptAnswer(joined.sdpAnswer);
      if (gen !== this.generation) return stale();
      const connected = await this.whenConnected(peer);
      if (gen !== this.generation) return stale();
      if (!connected) {
        this.pending = null;
        peer.close();
        return { outcome: 'retry', error: { code: 'media_path', reason: mediaPathFailed } };
      }
      this.pending = null;
      this.setActive(peer);
      this.credential = credential;
      this.update({ phase: 'connected', error: null });
      return { outcome: 'done' };
    } catch (e) {
      if (this.pending === peer) this.pending = null;
      peer.close();
      if (gen !== this.generation) return { outcome: 'stale' };
      const error = parseHubError(e);
      return fatalCodes.has(error.code ?? '') ? { outcome: 'fatal', error } : { outcome: 'retry', error };
    }
  }

  /** The ICE servers for a new peer; none when the server cannot say (the peer then uses host candidates, as without TURN). */
  private async iceConfig(): Promise<IceConfig> {
    try {
      return toIceConfig(await this.opts.signalling.getIceServers());
    } catch {
      return noIceServers;
    }
  }

  /**
   * The playing peer's TURN credential is about to expire: negotiate a new peer with a fresh one, keeping the old
   * one playing until it connects. Nothing to do when that peer was replaced or voice ended meanwhile (its successor
   * has a credential of its own), or when another negotiation is under way (it fetches a fresh one).
   */
  private async renew(credential: object): Promise<void> {
    if (credential !== this.credential || this.state.phase !== 'connected') return;
    await this.negotiate(this.cancel());
  }

  /** True once the peer is connected; false when it fails, closes or takes longer than the timeout. */
  private whenConnected(peer: VoicePeer): Promise<boolean> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (ok: boolean) => {
        if (settled) return;
        settled = true;
        unsubscribe();
        resolve(ok);
      };
      const check = () => {
        if (peer.state === 'connected') finish(true);
        else if (peer.state === 'failed' || peer.state === 'closed') finish(false);
      };
      const unsubscribe = peer.subscribe(check);
      void this.opts.delay(this.opts.connectTimeoutMs).then(() => finish(false));
      check();
    });
  }

  /** Makes `peer` the one being played, closing the previous one, and watches it for failure. */
  private setActive(peer: VoicePeer | null): void {
    const old = this.active;
    if (old === peer) return;
    this.stopWatchingActive?.();
    this.stopWatchingActive = null;
    this.active = peer;
    if (!peer) this.credential = null;
    if (peer) {
      this.stopWatchingActive = peer.subscribe(() => {
        if (peer !== this.active) return;
        if (peer.state === 'failed' && this.state.phase === 'connected' && this.state.channelId)
          void this.handleReconnect(this.state.channelId);
        else this.opts.onActivePeer?.(peer);
      });
    }
    this.opts.onActivePeer?.(peer);
    old?.close();
  }

  /** Starts a new generation: whatever was in flight stops at its next step. */
  private cancel(): number {
    this.generation++;
    const pending = this.pending;
    this.pending = null;
    pending?.close();
    return this.generation;
  }

  private end(error: string | null, tellServer: boolean): void {
    this.cancel();
    this.setActive(null);
    this.update({ channelId: null, phase: 'idle', error });
    if (tellServer) void this.opts.signalling.leaveVoice().catch(() => {});
  }

  private update(change: Partial<VoiceStatus>): void {
    this.state = { ...this.state, ...change };
    this.opts.onStatus(this.state);
  }
}

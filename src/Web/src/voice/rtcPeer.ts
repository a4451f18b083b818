import type { PeerState, VoicePeer } from './voiceSession';

/** How long to let ICE gathering run before sending the offer anyway (the server is ICE-lite and needs no candidates). */
const GatheringWaitMs = 500;

/** A `VoicePeer` over a browser RTCPeerConnection that sends `track` and receives the room's mix. */
export class RtcVoicePeer implements VoicePeer {
  readonly pc: RTCPeerConnection;
  private stream: MediaStream | null = null;
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(track: MediaStreamTrack, stream: MediaStream, iceServers: RTCIceServer[] = []) {
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
    this.pc.ontrack = (e) => {
      this.stream = e.streams[0] ?? new MediaStream([e.track]);
      this.notify();
    };
    this.pc.onconnectionstatechange = () => this.notify();
  }

  get state(): PeerState {
    if (this.closed) return 'closed';
    return this.pc.connectionState;
  }

  get remoteStream(): MediaStream | null {
    return this.stream;
  }

  async createOffer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await this.gathering(GatheringWaitMs);
    return this.pc.localDescription?.sdp ?? offer.sdp ?? '';
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
    this.notify();
    this.listeners.clear();
  }

  private gathering(maxMs: number): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pc.removeEventListener('icegatheringstatechange', onChange);
        resolve();
      };
      const onChange = () => {
        if (this.pc.iceGatheringState === 'complete') done();
      };
      const timer = setTimeout(done, maxMs);
      this.pc.addEventListener('icegatheringstatechange', onChange);
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

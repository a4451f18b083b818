import type { BeepOptions, Microphone } from './microphone';
import type { VoiceSession } from './voiceSession';
import { RtcVoicePeer } from './rtcPeer';

/**
 * `window.__openchat`: a small window on voice (and the page's hub connection) for automated browser tests (docs/web.md).
 * A test attaches its own probe (an AnalyserNode or an AudioWorklet) to `remoteStream` or `localStream` to
 * measure what the page hears or sends, and calls `beep` to put a tone into what it sends.
 */
export interface OpenChatTestHook {
  readonly version: 1;
  /** The room's mix as received on the voice peer connection now playing, or null. */
  readonly remoteStream: MediaStream | null;
  /** What voice sends: the microphone plus any beep, after WebAudio (null before voice first started). */
  readonly localStream: MediaStream | null;
  /** The raw microphone capture, while in voice. */
  readonly microphoneStream: MediaStream | null;
  /** The voice peer connection now playing, or null. */
  readonly peerConnection: RTCPeerConnection | null;
  /** The voice session's phase, channel and mute/deafen flags. */
  readonly voice: { phase: string; channelId: string | null; muted: boolean; deafened: boolean; sending: boolean };
  /** Mixes a tone into the sent audio; returns the `performance.now()` time it starts at, or null when voice never started. */
  beep(options?: BeepOptions): number | null;
  /** Calls a hub method on the page's own connection, as the user (a test checks what the server refuses). */
  invoke(method: string, ...args: unknown[]): Promise<unknown>;
}

/** The page's hub connection, as the test hook uses it. */
export interface HubInvoker {
  invoke(method: string, ...args: unknown[]): Promise<unknown>;
}

declare global {
  interface Window {
    __openchat?: OpenChatTestHook;
  }
}

export function installTestHook(session: VoiceSession, microphone: Microphone, hub: HubInvoker): void {
  const activeRtc = () => {
    const peer = session.activePeer;
    return peer instanceof RtcVoicePeer ? peer : null;
  };
  const hook: OpenChatTestHook = Object.freeze({
    version: 1 as const,
    get remoteStream() {
      return session.activePeer?.remoteStream ?? null;
    },
    get localStream() {
      return microphone.sendStream;
    },
    get microphoneStream() {
      return microphone.capturedStream;
    },
    get peerConnection() {
      return activeRtc()?.pc ?? null;
    },
    get voice() {
      const s = session.status;
      return { phase: s.phase, channelId: s.channelId, muted: s.muted, deafened: s.deafened, sending: microphone.isSending };
    },
    beep: (options?: BeepOptions) => microphone.beep(options),
    invoke: (method: string, ...args: unknown[]) => hub.invoke(method, ...args),
  });
  Object.defineProperty(window, '__openchat', { value: hook, configurable: true, enumerable: false, writable: false });
}

/** Capture settings for voice: the browser's echo cancellation, noise suppression and gain control, on. */
export function captureConstraints(deviceId: string | null): MediaStreamConstraints {
  return {
    audio: {
      ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
      echoCancellation: true,
      noiseSuppression: true,
      autoGainControl: true,
      channelCount: 1,
    },
    video: false,
  };
}

/** How long starting the microphone waits for the audio context to run. */
export const audioResumeTimeoutMs = 1000;

/** Resolves when `promise` settles (either way) or after `ms`, whichever comes first. */
export function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

export interface BeepOptions {
  /** Hz; default 1000. */
  frequency?: number;
  /** Default 200 ms. */
  durationMs?: number;
  /** Linear amplitude 0 to 1; default 0.5. */
  gain?: number;
}

/**
 * The microphone as voice sends it. The captured device feeds a WebAudio graph whose output track is what
 * every peer connection sends, so switching devices or mixing in a test tone never touches the peer
 * connections. An analyser on the captured signal drives the input level meter.
 *
 *   getUserMedia ─▶ source ─┬─▶ destination (the sent track)
 *                           └─▶ analyser (level)
 *   oscillator (beep) ─▶ gain ─▶ destination
 */
export class Microphone {
  private context: AudioContext | null = null;
  private destination: MediaStreamAudioDestinationNode | null = null;
  private analyser: AnalyserNode | null = null;
  private source: MediaStreamAudioSourceNode | null = null;
  private captured: MediaStream | null = null;
  private samples: Float32Array<ArrayBuffer> | null = null;
  private sending = true;
  private device: string | null = null;

  /** The stream peer connections send (null before the first start). */
  get sendStream(): MediaStream | null {
    return this.destination?.stream ?? null;
  }

  get sendTrack(): MediaStreamTrack | null {
    return this.destination?.stream.getAudioTracks()[0] ?? null;
  }

  /** The raw captured stream, while capturing. */
  get capturedStream(): MediaStream | null {
    return this.captured;
  }

  get deviceId(): string | null {
    return this.device;
  }

  /** Opens the device (the default when null). Call from a user gesture the first time, so audio may start. */
  async start(deviceId: string | null = this.device): Promise<void> {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error(explainMicrophoneError(null, window.isSecureContext));
    try {
      await this.open(deviceId);
    } catch (e) {
      throw new Error(explainMicrophoneError(e, window.isSecureContext));
    }
  }

  private async open(deviceId: string | null): Promise<void> {
    const context = this.ensureGraph();
    // Without a sound device (Firefox with no output) resume() may never settle: go on, so the peer connection is
    // still made; the graph starts sending once the context runs.
    if (context.state !== 'running') await settledWithin(context.resume(), audioResumeTimeoutMs);
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(captureConstraints(deviceId));
    } catch (e) {
      // A remembered device that is gone: fall back to the default one.
      if (deviceId === null || !(e instanceof DOMException) || (e.name !== 'OverconstrainedError' && e.name !== 'NotFoundError'))
        throw e;
      stream = await navigator.mediaDevices.getUserMedia(captureConstraints(null));
      deviceId = null;
    }
    this.attach(stream);
    this.device = deviceId;
  }

  /** Switches the input device while capturing; the sent track stays the same. */
  async useDevice(deviceId: string | null): Promise<void> {
    if (!this.captured) {
      this.device = deviceId;
      return;
    }
    await this.start(deviceId);
  }

  /** Sends the microphone or silence (mute, deafen, push-to-talk released). */
  setSending(sending: boolean): void {
    this.sending = sending;
    const track = this.sendTrack;
    if (track) track.enabled = sending;
  }

  get isSending(): boolean {
    return this.sending;
  }

  /** The captured signal's RMS level, 0 to 1 (0 when not capturing). */
  level(): number {
    if (!this.analyser || !this.captured || !this.samples) return 0;
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const s of this.samples) sum += s * s;
    return Math.sqrt(sum / this.samples.length);
  }

  /**
   * Mixes a tone into the sent audio. Returns the page's `performance.now()` time at which the tone starts,
   * or null when voice has not started.
   */
  beep(options: BeepOptions = {}): number | null {
    const context = this.context;
    const destination = this.destination;
    if (!context || !destination) return null;
    const frequency = options.frequency ?? 1000;
    const duration = (options.durationMs ?? 200) / 1000;
    const level = Math.min(1, Math.max(0, options.gain ?? 0.5));
    const oscillator = context.createOscillator();
    oscillator.frequency.value = frequency;
    const gain = context.createGain();
    const startAt = context.currentTime + 0.02;
    gain.gain.setValueAtTime(level, startAt);
    oscillator.connect(gain).connect(destination);
    oscillator.start(startAt);
    oscillator.stop(startAt + duration);
    oscillator.onended = () => {
      oscillator.disconnect();
      gain.disconnect();
    };
    const stamp = context.getOutputTimestamp?.();
    if (stamp && stamp.contextTime !== undefined && stamp.performanceTime !== undefined && stamp.performanceTime > 0)
      return stamp.performanceTime + (startAt - stamp.contextTime) * 1000;
    return performance.now() + (startAt - context.currentTime) * 1000;
  }

  /** Releases the device (the sent track stays, silent). */
  stop(): void {
    this.source?.disconnect();
    this.source = null;
    this.captured?.getTracks().forEach((t) => t.stop());
    this.captured = null;
    void this.context?.suspend().catch(() => {});
  }

  private ensureGraph(): AudioContext {
    if (this.context && this.destination) return this.context;
    const context = new AudioContext({ latencyHint: 'interactive' });
    this.context = context;
    this.destination = context.createMediaStreamDestination();
    this.destination.channelCount = 1;
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 1024;
    this.samples = new Float32Array(this.analyser.fftSize);
    this.setSending(this.sending);
    return context;
  }

  private attach(stream: MediaStream): void {
    const context = this.context!;
    this.source?.disconnect();
    this.captured?.getTracks().forEach((t) => t.stop());
    this.captured = stream;
    this.source = context.createMediaStreamSource(stream);
    this.source.connect(this.destination!);
    this.source.connect(this.analyser!);
    const track = stream.getAudioTracks()[0];
    if (track) {
      // Unplugged: carry on with the default device.
      track.onended = () => {
        if (this.captured === stream) void this.start(null).catch(() => {});
      };
    }
  }
}

/** The audio input devices (labels appear once the page may use the microphone). */
export async function listInputDevices(): Promise<MediaDeviceInfo[]> {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((d) => d.kind === 'audioinput');
}

/**
 * Why the microphone could not be opened, in words for the user: `error` is what getUserMedia threw, or null
 * when the browser offers no getUserMedia at all (which is what an http:// page other than localhost gets).
 */
export function explainMicrophoneError(error: unknown, secureContext: boolean): string {
  if (error === null)
    return secureContext
      ? 'this browser cannot capture audio.'
      : 'browsers allow the microphone only on https:// pages or on localhost; ask the operator for the https:// address ' +
        '(a server on a home or office network can make its own certificate: start it with OpenChat__Https__Mode=self-signed).';
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'access was refused. Allow the microphone for this site in the browser (the icon in the address bar) and join again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no microphone was found. Connect one and join again.';
    case 'NotReadableError':
    case 'AbortError':
      return 'the microphone could not be started; another application may be using it.';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

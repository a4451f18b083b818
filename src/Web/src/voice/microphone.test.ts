import { afterEach, describe, expect, test, vi } from 'vitest';
import { audioResumeTimeoutMs, explainMicrophoneError, Microphone } from './microphone';

const domError = (name: string) => Object.assign(new Error('raw browser text'), { name });

describe('explainMicrophoneError', () => {
  test('an insecure page is told to use https', () => {
    expect(explainMicrophoneError(null, false)).toContain('https://');
    expect(explainMicrophoneError(null, false)).toContain('OpenChat__Https__Mode=self-signed');
    expect(explainMicrophoneError(null, true)).toBe('this browser cannot capture audio.');
  });

  test.each([
    ['NotAllowedError', 'access was refused'],
    ['SecurityError', 'access was refused'],
    ['NotFoundError', 'no microphone was found'],
    ['OverconstrainedError', 'no microphone was found'],
    ['NotReadableError', 'another application'],
    ['AbortError', 'another application'],
  ])('%s is explained', (name, words) => {
    const text = explainMicrophoneError(domError(name), true);
    expect(text).toContain(words);
    expect(text).not.toContain('raw browser text');
  });

  test('anything else keeps its own message', () => {
    expect(explainMicrophoneError(new TypeError('boom'), true)).toBe('boom');
    expect(explainMicrophoneError('plain', true)).toBe('plain');
  });
});

describe('Microphone.start', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  /** An audio context whose resume() never settles, as in Firefox without a sound device. */
  class StuckContext {
    state = 'suspended';
    resume = () => new Promise<void>(() => {});
    createMediaStreamDestination = () => ({ channelCount: 2, stream: { getAudioTracks: () => [{ enabled: true }] } });
    createAnalyser = () => ({ fftSize: 0, connect: () => {} });
    createMediaStreamSource = () => ({ connect: () => {}, disconnect: () => {} });
  }

  test('goes on to open the device when the audio context never starts', async () => {
    vi.useFakeTimers();
    const track = { onended: null };
    const getUserMedia = vi.fn(() => Promise.resolve({ getAudioTracks: () => [track], getTracks: () => [track] }));
    vi.stubGlobal('AudioContext', StuckContext);
    vi.stubGlobal('navigator', { mediaDevices: { getUserMedia } });
    vi.stubGlobal('window', { isSecureContext: true });

    const mic = new Microphone();
    let started = false;
    const start = mic.start().then(() => {
      started = true;
    });
    await vi.advanceTimersByTimeAsync(audioResumeTimeoutMs - 1);
    expect(started).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await start;
    expect(started).toBe(true);
    expect(getUserMedia).toHaveBeenCalledTimes(1);
    expect(mic.sendTrack).not.toBeNull();
    expect(mic.capturedStream).not.toBeNull();
  });
});

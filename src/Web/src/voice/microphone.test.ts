import { describe, expect, test } from 'vitest';
import { explainMicrophoneError } from './microphone';

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

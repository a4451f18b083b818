import { describe, expect, test } from 'vitest';
import { describeError, isTransient, parseHubError, retryAfterSeconds } from './errors';

describe('parseHubError', () => {
  test('reads the code after "HubException:" in the server text the browser client passes on', () => {
    const e = new Error(
      "An unexpected error occurred invoking 'PostMessage' on the server. HubException: rate_limited: At most 5 messages per 5 s; try again in 3 s.",
    );
    expect(parseHubError(e)).toEqual({ code: 'rate_limited', reason: 'At most 5 messages per 5 s; try again in 3 s.' });
  });

  test('reads a bare "code: reason"', () => {
    expect(parseHubError(new Error('not_in_voice: You are not in a voice channel.'))).toEqual({
      code: 'not_in_voice',
      reason: 'You are not in a voice channel.',
    });
  });

  test('keeps colons inside the reason', () => {
    expect(parseHubError('invalid_argument: limit: must be 1 to 100')).toEqual({ code: 'invalid_argument', reason: 'limit: must be 1 to 100' });
  });

  test('has no code for a lost connection or a binding error', () => {
    expect(parseHubError(new Error('Invocation canceled due to the underlying connection being closed.')).code).toBeNull();
    const binding = parseHubError(new Error("Failed to invoke 'JoinVoice' due to an error on the server. InvalidDataException: Error binding arguments."));
    expect(binding.code).toBeNull();
    expect(binding.reason).toContain('InvalidDataException');
  });

  test('does not take a capitalised word for a code', () => {
    expect(parseHubError('Error: something').code).toBeNull();
  });

  test('accepts objects with a message and plain values', () => {
    expect(parseHubError({ message: 'voice_full: The channel is full.' }).code).toBe('voice_full');
    expect(parseHubError(42)).toEqual({ code: null, reason: '42' });
  });
});

describe('rate limits and descriptions', () => {
  test('retryAfterSeconds reads the wait from the reason', () => {
    expect(retryAfterSeconds({ code: 'rate_limited', reason: 'At most 5 messages per 5 s; try again in 3 s.' })).toBe(3);
    expect(retryAfterSeconds({ code: 'rate_limited', reason: 'Too many calls; slow down.' })).toBeNull();
    expect(retryAfterSeconds({ code: 'invalid_text', reason: 'try again in 3 s' })).toBeNull();
  });

  test('a message rate limit is explained with the rule and the wait', () => {
    const text = describeError({ code: 'rate_limited', reason: 'At most 5 messages per 5 s; try again in 4 s.' });
    expect(text).toBe('You are sending messages too quickly (at most 5 messages per 5 s). You can send again in 4 s.');
  });

  test('a call rate limit without a wait still says to slow down', () => {
    expect(describeError({ code: 'rate_limited', reason: 'Too many calls; slow down.' })).toBe('Slow down: Too many calls; slow down.');
  });

  test('a reply to, edit or delete of a message that is gone says so', () => {
    expect(describeError(parseHubError('HubException: unknown_message: No message 7 in this channel.'))).toBe('That message no longer exists.');
  });

  test('transient failures are the ones worth retrying', () => {
    expect(isTransient({ code: 'unavailable', reason: '' })).toBe(true);
    expect(isTransient({ code: null, reason: 'connection closed' })).toBe(true);
    expect(isTransient({ code: 'forbidden', reason: '' })).toBe(false);
  });
});

import { describe, expect, test } from 'vitest';
import { newPostNonce, postNoncePattern } from './postNonce';

describe('post nonces', () => {
  test('follow the server rule and differ every time', () => {
    const nonces = Array.from({ length: 1000 }, () => newPostNonce());
    for (const nonce of nonces) expect(nonce).toMatch(postNoncePattern);
    expect(new Set(nonces).size).toBe(nonces.length);
  });
});

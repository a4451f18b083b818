import type { RetryContext } from '@microsoft/signalr';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { maxReconnectDelayMs, minReconnectDelayMs, nextReconnectDelay, reconnectCeilingMs } from './chatClient';
import { checkToken, isUnauthorized, reconnectPolicy } from './hubConnection';

const lost = (previousRetryCount: number, retryReason: Error = new Error('WebSocket closed with status code: 1006')): RetryContext => ({
  previousRetryCount,
  elapsedMilliseconds: previousRetryCount * 15_000,
  retryReason,
});

describe("SignalR's automatic reconnect", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('never gives up: every retry gets a pause of 1 to 30 s, however many came before', () => {
    const policy = reconnectPolicy(() => {});
    for (let i = 0; i < 200; i++) {
      const pause = policy.nextRetryDelayInMilliseconds(lost(i));
      expect(pause).toBeGreaterThanOrEqual(minReconnectDelayMs);
      expect(pause).toBeLessThanOrEqual(Math.min(reconnectCeilingMs(i), maxReconnectDelayMs));
    }
  });

  test('the pause is drawn from the attempt’s range, so clients that lost the same gateway come back spread out', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(reconnectPolicy(() => {}).nextRetryDelayInMilliseconds(lost(3))).toBe(minReconnectDelayMs);
    vi.spyOn(Math, 'random').mockReturnValue(0.999999);
    expect(reconnectPolicy(() => {}).nextRetryDelayInMilliseconds(lost(3))).toBe(reconnectCeilingMs(3));
  });

  test('a refused token is reported before the next attempt asks for one', () => {
    let refused = 0;
    const policy = reconnectPolicy(() => refused++);
    policy.nextRetryDelayInMilliseconds(lost(3));
    expect(refused).toBe(0);
    policy.nextRetryDelayInMilliseconds(lost(4, new Error("Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'")));
    expect(refused).toBe(1);
  });
});

describe('reconnect backoff', () => {
  test('the ceiling starts at 2 s and doubles up to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 100, 10_000].map(reconnectCeilingMs)).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000, 30_000]);
  });

  test('a thousand clients that lost their gateway together spread their first attempt over 1 to 2 s, and later ones wider', () => {
    // An even spread of random draws, as a thousand browsers would make them.
    const draws = Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 1000);
    for (const retry of [0, 4]) {
      const pauses = draws.map((d) => nextReconnectDelay(retry, () => d));
      expect(Math.min(...pauses)).toBeGreaterThanOrEqual(minReconnectDelayMs);
      expect(Math.max(...pauses)).toBeLessThanOrEqual(reconnectCeilingMs(retry));
      // No 100 ms slot gets more than its share: the herd arrives as a trickle.
      const slots = new Map<number, number>();
      for (const p of pauses) slots.set(Math.floor(p / 100), (slots.get(Math.floor(p / 100)) ?? 0) + 1);
      const perSlot = 1000 / ((reconnectCeilingMs(retry) - minReconnectDelayMs) / 100);
      for (const count of slots.values()) expect(count).toBeLessThanOrEqual(Math.ceil(perSlot) + 1);
    }
  });
});

describe('isUnauthorized', () => {
  test('knows a 401 by its status code or its message', () => {
    expect(isUnauthorized({ statusCode: 401 })).toBe(true);
    expect(isUnauthorized(new Error("Unauthorized: Status code '401'"))).toBe(true);
    expect(isUnauthorized({ statusCode: 503 })).toBe(false);
    expect(isUnauthorized(new Error('Failed to fetch'))).toBe(false);
    expect(isUnauthorized(new Error('request 4015 failed'))).toBe(false);
    expect(isUnauthorized(null)).toBe(false);
  });
});

describe('the token check after a failed WebSocket connect', () => {
  const answering = (status: number) => vi.fn(async () => new Response(null, { status })) as unknown as typeof fetch;

  test('a 401 from /api/session reports the token refused, with the token as a bearer', async () => {
    const refused = vi.fn();
    const fetcher = answering(401);
    await checkToken(async () => 'tok', refused, fetcher);
    expect(refused).toHaveBeenCalledTimes(1);
    expect(fetcher).toHaveBeenCalledWith('/api/session', expect.objectContaining({ headers: { Authorization: 'Bearer tok' } }));
  });

  test('an accepted token, another status or an unreachable gateway says nothing about the token', async () => {
    const refused = vi.fn();
    await checkToken(async () => 'tok', refused, answering(200));
    await checkToken(async () => 'tok', refused, answering(503));
    await checkToken(async () => 'tok', refused, (async () => { throw new TypeError('Failed to fetch'); }) as unknown as typeof fetch);
    expect(refused).not.toHaveBeenCalled();
  });

  test('the reconnect policy checks the token after each failed attempt, not on the first loss', () => {
    const failed = vi.fn();
    const policy = reconnectPolicy(() => {}, failed);
    policy.nextRetryDelayInMilliseconds(lost(0));
    expect(failed).not.toHaveBeenCalled();
    policy.nextRetryDelayInMilliseconds(lost(1));
    policy.nextRetryDelayInMilliseconds(lost(2));
    expect(failed).toHaveBeenCalledTimes(2);
  });
});

import type { RetryContext } from '@microsoft/signalr';
import { describe, expect, test } from 'vitest';
import { nextReconnectDelay } from './chatClient';
import { isUnauthorized, reconnectPolicy } from './hubConnection';

const lost = (previousRetryCount: number, retryReason: Error = new Error('WebSocket closed with status code: 1006')): RetryContext => ({
  previousRetryCount,
  elapsedMilliseconds: previousRetryCount * 15_000,
  retryReason,
});

describe("SignalR's automatic reconnect", () => {
  test('never gives up: every retry gets a pause, however many came before', () => {
    const policy = reconnectPolicy(() => {});
    expect(policy.nextRetryDelayInMilliseconds(lost(0))).toBe(0);
    for (let i = 1; i < 200; i++) {
      const pause = policy.nextRetryDelayInMilliseconds(lost(i));
      expect(pause).toBe(nextReconnectDelay(i));
      expect(pause).toBeGreaterThan(0);
    }
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

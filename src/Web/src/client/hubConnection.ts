import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection, type IRetryPolicy } from '@microsoft/signalr';
import { nextReconnectDelay } from './chatClient';

/** Whether a failed start or a lost connection was the hub refusing the token. */
export const isUnauthorized = (error: unknown) =>
  (error as { statusCode?: number } | null)?.statusCode === 401 || /\b401\b/.test(String((error as Error | null)?.message ?? ''));

/**
 * Asks the gateway whether it still accepts the token. The hub connects by WebSocket without negotiation, and a
 * browser never learns the status of a refused WebSocket upgrade, so a failed (re)connect is followed by this check;
 * a 401 reports the token refused (a network error or another status says nothing about the token).
 */
export async function checkToken(getToken: () => Promise<string>, onTokenRefused: () => void, fetcher: typeof fetch = fetch): Promise<void> {
  try {
    const response = await fetcher('/api/session', { headers: { Authorization: `Bearer ${await getToken()}` }, cache: 'no-store' });
    if (response.status === 401) onTokenRefused();
  } catch {
    // The gateway is unreachable: the next attempt tries again.
  }
}

/** SignalR's automatic reconnect: never gives up; a refused token is reported before the next attempt asks for one. */
export function reconnectPolicy(onTokenRefused: () => void, onAttemptFailed: () => void = () => {}): IRetryPolicy {
  return {
    nextRetryDelayInMilliseconds: (ctx) => {
      if (isUnauthorized(ctx.retryReason)) onTokenRefused();
      else if (ctx.previousRetryCount > 0) onAttemptFailed();
      return nextReconnectDelay(ctx.previousRetryCount);
    },
  };
}

/**
 * The hub connection to the gateway; it asks for the token on every (re)connect. It opens the WebSocket directly,
 * skipping SignalR's negotiation request: a negotiation answered by one gateway replica and a WebSocket that a load
 * balancer sends to another would fail, so this way any replica can take any connection and no sticky sessions are
 * needed behind a Kubernetes Service or an ingress. Every browser the client supports has WebSockets.
 */
export function createHubConnection(getToken: () => Promise<string>, onTokenRefused: () => void): HubConnection {
  return new HubConnectionBuilder()
    .withUrl('/hub', { accessTokenFactory: getToken, skipNegotiation: true, transport: HttpTransportType.WebSockets })
    .withAutomaticReconnect(reconnectPolicy(onTokenRefused, () => void checkToken(getToken, onTokenRefused)))
    .configureLogging(LogLevel.Warning)
    .build();
}

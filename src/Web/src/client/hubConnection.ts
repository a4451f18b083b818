import { HubConnectionBuilder, LogLevel, type HubConnection, type IRetryPolicy } from '@microsoft/signalr';
import { nextReconnectDelay } from './chatClient';

/** Whether a failed start or a lost connection was the hub refusing the token. */
export const isUnauthorized = (error: unknown) =>
  (error as { statusCode?: number } | null)?.statusCode === 401 || /\b401\b/.test(String((error as Error | null)?.message ?? ''));

/** SignalR's automatic reconnect: never gives up; a refused token is reported before the next attempt asks for one. */
export function reconnectPolicy(onTokenRefused: () => void): IRetryPolicy {
  return {
    nextRetryDelayInMilliseconds: (ctx) => {
      if (isUnauthorized(ctx.retryReason)) onTokenRefused();
      return nextReconnectDelay(ctx.previousRetryCount);
    },
  };
}

/** The hub connection to the gateway; it asks for the token on every (re)connect. */
export function createHubConnection(getToken: () => Promise<string>, onTokenRefused: () => void): HubConnection {
  return new HubConnectionBuilder()
    .withUrl('/hub', { accessTokenFactory: getToken })
    .withAutomaticReconnect(reconnectPolicy(onTokenRefused))
    .configureLogging(LogLevel.Warning)
    .build();
}

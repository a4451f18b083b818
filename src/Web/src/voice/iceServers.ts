import type { IceServersDto } from '../protocol/types';

/** The ICE servers for one peer connection, and when to get new ones. */
export interface IceConfig {
  iceServers: RTCIceServer[];
  /** Milliseconds after the servers were fetched at which the session should move to fresh credentials; null: never. */
  renewAfterMs: number | null;
}

/** No STUN or TURN: host candidates only (a server without TURN, or one that could not be asked). */
export const noIceServers: IceConfig = { iceServers: [], renewAfterMs: null };

/** Fraction of a TURN credential's lifetime after which the session renews it, leaving the rest for the new connection. */
export const RenewAt = 0.75;

/** The server's answer as `RTCIceServer`s (dropping empty fields), with the renewal time its TURN credential implies. */
export function toIceConfig(dto: IceServersDto): IceConfig {
  const iceServers = (dto.iceServers ?? [])
    .filter((s) => Array.isArray(s.urls) && s.urls.length > 0)
    .map((s): RTCIceServer => {
      const server: RTCIceServer = { urls: [...s.urls] };
      if (s.username) server.username = s.username;
      if (s.credential) server.credential = s.credential;
      return server;
    });
  const hasCredential = iceServers.some((s) => s.credential);
  const ttl = dto.ttlSeconds;
  const renewAfterMs = hasCredential && typeof ttl === 'number' && ttl > 0 ? Math.round(ttl * 1000 * RenewAt) : null;
  return { iceServers, renewAfterMs };
}

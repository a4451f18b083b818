/**
 * How the media reaches the media node: straight over UDP (best), straight over TCP (the node's ICE-TCP port, when UDP
 * is blocked), or through a TURN relay (and how this browser reaches the relay: udp, tcp or tls).
 */
export type MediaPath = { kind: 'udp' } | { kind: 'tcp' } | { kind: 'relay'; via: 'udp' | 'tcp' | 'tls' | null };

/** What the voice panel shows about the media connection: its path, round trip to the media node and packets lost on the way back. */
export interface ConnectionQuality {
  /** The selected candidate pair's path (null before ICE selected one). */
  path: MediaPath | null;
  /** Round trip of the last ICE consent check, in ms (null before the first). */
  rttMs: number | null;
  /** Share of the room's packets lost since the previous reading (null before any arrived). */
  lossPercent: number | null;
}

type Stats = Record<string, unknown>;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Reads `RTCPeerConnection.getStats()` reports one after another: the selected candidate pair's round trip, and
 * from the inbound audio stream the loss between two readings (the first reading counts since the start).
 * One meter per peer connection.
 */
export class QualityMeter {
  private received = 0;
  private lost = 0;

  update(report: Iterable<Stats>): ConnectionQuality {
    const all = [...report];
    const byId = new Map(all.map((s) => [s.id, s]));
    const transport = all.find((s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string');
    const pair =
      (transport ? byId.get(transport.selectedCandidatePairId) : undefined) ??
      all.find((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded');
    const rtt = pair ? num(pair.currentRoundTripTime) : null;
    const path = pair ? pathOf(byId.get(pair.localCandidateId)) : null;

    const inbound = all.find((s) => s.type === 'inbound-rtp' && s.kind === 'audio');
    let lossPercent: number | null = null;
    const received = inbound ? num(inbound.packetsReceived) : null;
    const lost = inbound ? num(inbound.packetsLost) : null;
    if (received !== null && lost !== null) {
      const dReceived = Math.max(0, received - this.received);
      const dLost = Math.max(0, lost - this.lost);
      this.received = received;
      this.lost = lost;
      lossPercent = dReceived + dLost > 0 ? (100 * dLost) / (dReceived + dLost) : 0;
    }
    return { path, rttMs: rtt === null ? null : rtt * 1000, lossPercent };
  }
}

/** The path of a local candidate report: a relay candidate is relayed whatever its protocol; otherwise its protocol. */
function pathOf(local: Stats | undefined): MediaPath | null {
  if (!local) return null;
  if (local.candidateType === 'relay') {
    const via = local.relayProtocol;
    return { kind: 'relay', via: via === 'udp' || via === 'tcp' || via === 'tls' ? via : null };
  }
  if (local.protocol === 'udp') return { kind: 'udp' };
  if (local.protocol === 'tcp') return { kind: 'tcp' };
  return null;
}

/** "Direct UDP", "Direct TCP", "Relayed (TLS)". */
export function describePath(path: MediaPath): string {
  switch (path.kind) {
    case 'udp':
      return 'Direct UDP';
    case 'tcp':
      return 'Direct TCP';
    case 'relay':
      return path.via ? `Relayed (${path.via.toUpperCase()})` : 'Relayed';
  }
}

/** "Direct UDP · Ping 3 ms · 0.0 % loss" ("Ping <1 ms" on a local network); parts not known yet are left out. */
export function describeQuality(q: ConnectionQuality): string {
  const parts: string[] = [];
  if (q.path !== null) parts.push(describePath(q.path));
  if (q.rttMs !== null) parts.push(q.rttMs < 1 ? 'Ping <1 ms' : `Ping ${Math.round(q.rttMs)} ms`);
  if (q.lossPercent !== null) parts.push(`${q.lossPercent.toFixed(1)} % loss`);
  return parts.join(' · ');
}

import { useEffect, useState } from 'react';
import { describeSettingsError, type ServerApi } from '../../client/serverApi';
import type { ClusterDto, ClusterMemberDto, MediaNodeDto } from '../../protocol/cluster';
import type { State } from '../../state/store';
import { useChatState } from '../context';

/** How often the page asks again while it is open. */
export const ClusterRefreshMs = 2000;

const selectChannels = (s: State) => s.channels;

/** `akka.tcp://openchat@10.0.0.5:4053` → `10.0.0.5:4053`: what tells the nodes apart. */
export function nodeName(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : address.slice(at + 1);
}

/**
 * The admin panel's Cluster page: every node with its roles, status and reachability, each media node's load, each
 * voice room and the node its mixer runs on. Asks again every 2 s while open (one request at a time); when a request
 * fails, the last answer stays, marked as such.
 */
export function ClusterTab({ api }: { api: ServerApi }) {
  const [cluster, setCluster] = useState<ClusterDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const next = await api.cluster();
        if (stopped) return;
        setCluster(next);
        setError(null);
        setUpdatedAt(new Date());
      } catch (e) {
        if (!stopped) setError(describeSettingsError(e));
      }
      if (!stopped) timer = setTimeout(() => void load(), ClusterRefreshMs);
    };
    void load();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [api]);

  if (!cluster) {
    return error ? (
      <p className="field-error" role="alert">
        {error}
      </p>
    ) : (
      <p className="muted" role="status">
        Loading…
      </p>
    );
  }
  return (
    <div className="cluster-page">
      <p className="muted small" role="status">
        {error ? `Could not refresh: ${error} Showing the answer from ${updatedAt?.toLocaleTimeString() ?? 'before'}.` : `Updated ${updatedAt?.toLocaleTimeString() ?? ''}; refreshes every 2 s.`}
      </p>
      <Nodes cluster={cluster} />
      <VoiceRooms cluster={cluster} />
    </div>
  );
}

function Nodes({ cluster }: { cluster: ClusterDto }) {
  const loads = new Map(cluster.mediaNodes.map((m) => [m.node, m]));
  const shards = new Map(cluster.shards.map((s) => [s.node, s]));
  return (
    <section aria-labelledby="cluster-nodes-title">
      <h3 id="cluster-nodes-title">Nodes</h3>
      <div className="table-scroll">
        <table className="cluster-table" aria-label="Nodes">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Roles</th>
              <th scope="col">Status</th>
              <th scope="col">Reachability</th>
              <th scope="col">Load</th>
            </tr>
          </thead>
          <tbody>
            {cluster.members.map((m) => (
              <tr key={m.address} data-node={m.address} data-reachable={m.reachable}>
                <th scope="row">
                  {nodeName(m.address)}
                  {m.address === cluster.self && <span className="muted small"> (this gateway)</span>}
                  {m.address === cluster.leader && <span className="muted small"> (leader)</span>}
                </th>
                <td>{m.roles.length ? m.roles.join(', ') : '—'}</td>
                <td>{m.status}</td>
                <td className={m.reachable ? 'reachable' : 'unreachable'}>{m.reachable ? 'Reachable' : 'Unreachable'}</td>
                <td>{load(m, loads.get(m.address), shards.get(m.address))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!cluster.shardsComplete && <p className="muted small">A channels node did not answer in time: its shard figures are missing.</p>}
    </section>
  );
}

/** What a node carries: a media node's rooms, members and mixing cost; a channels node's shards. */
function load(member: ClusterMemberDto, media: MediaNodeDto | undefined, shards: { shards: number; entities: number } | undefined): string {
  const parts: string[] = [];
  if (media) {
    parts.push(
      `${media.rooms} room${media.rooms === 1 ? '' : 's'}, ${media.members}/${media.maxMembers} members, mixing ${media.mixCpuPercent.toFixed(1)}% CPU, p99 tick ${media.tickP99Ms.toFixed(1)} ms`,
    );
    if (media.draining) parts.push('draining');
  } else if (member.roles.includes('media')) {
    parts.push('no load report');
  }
  if (shards) parts.push(`${shards.shards} shard${shards.shards === 1 ? '' : 's'}, ${shards.entities} channel${shards.entities === 1 ? '' : 's'} running`);
  return parts.length ? parts.join('; ') : '—';
}

function VoiceRooms({ cluster }: { cluster: ClusterDto }) {
  const channels = useChatState(selectChannels);
  const nameOf = (id: string) => channels.find((c) => c.id === id)?.name ?? id;
  const rooms = cluster.voiceRooms.filter((r) => r.node !== null || r.members.length > 0);
  return (
    <section aria-labelledby="cluster-voice-title">
      <h3 id="cluster-voice-title">Voice rooms</h3>
      {rooms.length === 0 ? (
        <p className="muted">No voice room is open.</p>
      ) : (
        <div className="table-scroll">
          <table className="cluster-table" aria-label="Voice rooms">
            <thead>
              <tr>
                <th scope="col">Channel</th>
                <th scope="col">Mixer on</th>
                <th scope="col">Members</th>
              </tr>
            </thead>
            <tbody>
              {rooms.map((r) => (
                <tr key={r.channelId} data-channel-id={r.channelId}>
                  <th scope="row">{nameOf(r.channelId)}</th>
                  <td>{r.node ? nodeName(r.node) : '—'}</td>
                  <td>{r.members.length}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!cluster.voiceComplete && <p className="muted small">A voice channel did not answer in time: the list may be missing rooms.</p>}
    </section>
  );
}

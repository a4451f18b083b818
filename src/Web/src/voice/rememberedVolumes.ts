import type { State } from '../state/store';

/**
 * Per-member volumes the user chose, remembered on this device across voice sessions (the server keeps them only
 * while the user is in a voice channel). When the user is connected and someone with a remembered volume is in the
 * room, the volume is applied once for that voice session.
 */
export class RememberedVolumes {
  private applied = new Set<string>();
  private session: string | null = null;
  private lastMembers: unknown = null;

  constructor(
    private readonly load: () => Record<string, number>,
    private readonly apply: (userId: string, volume: number) => void,
  ) {}

  /** The volumes to apply now for `state` (and marks them applied). */
  due(state: State): Array<[string, number]> {
    const channelId = state.voice.phase === 'connected' ? state.voice.channelId : null;
    if (channelId !== this.session) {
      this.session = channelId;
      this.applied = new Set();
      this.lastMembers = null;
    }
    if (!channelId) return [];
    const members = state.views[channelId]?.voice ?? [];
    // Only a changed member list can bring someone new (the store replaces the list when it changes).
    if (members === this.lastMembers) return [];
    this.lastMembers = members;
    const remembered = this.load();
    const due: Array<[string, number]> = [];
    for (const member of members) {
      const volume = remembered[member.userId];
      if (member.userId === state.me?.id || volume === undefined || this.applied.has(member.userId)) continue;
      this.applied.add(member.userId);
      if ((state.volumes[member.userId] ?? 1) !== volume) due.push([member.userId, volume]);
    }
    return due;
  }

  /** Applies what is due for `state`. */
  update(state: State): void {
    for (const [userId, volume] of this.due(state)) this.apply(userId, volume);
  }
}

/** The remembered map after the user set `userId` to `volume`: 1 (unchanged) is forgotten; at most `limit` entries, newest kept. */
export function remember(map: Record<string, number>, userId: string, volume: number, limit = 500): Record<string, number> {
  const next = { ...map };
  delete next[userId];
  if (volume !== 1) next[userId] = volume;
  const keys = Object.keys(next);
  for (let i = 0; i < keys.length - limit; i++) delete next[keys[i]];
  return next;
}

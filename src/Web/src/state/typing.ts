/** Someone typing in a channel, shown until `until` (a `Date.now()` time). */
export interface TypingEntry {
  userId: string;
  displayName: string;
  until: number;
}

/** How long a `Typing` event shows its user as typing. */
export const TypingShowMs = 6_000;

/** The client sends `SendTyping` at most this often per channel while the user types. */
export const TypingSendEveryMs = 3_000;

/** The line under the composer: one name, two names, or "Several people"; null when nobody types. */
export function typingLine(entries: TypingEntry[]): string | null {
  switch (entries.length) {
    case 0:
      return null;
    case 1:
      return `${entries[0]!.displayName} is typing…`;
    case 2:
      return `${entries[0]!.displayName} and ${entries[1]!.displayName} are typing…`;
    default:
      return 'Several people are typing…';
  }
}

/** The entries with `userId`'s (re)set to show until `until`; the order is who started typing first. */
export function typingStarted(entries: TypingEntry[], entry: TypingEntry): TypingEntry[] {
  const i = entries.findIndex((e) => e.userId === entry.userId);
  if (i < 0) return [...entries, entry];
  const held = entries[i]!;
  if (held.until >= entry.until && held.displayName === entry.displayName) return entries;
  const copy = entries.slice();
  copy[i] = { ...entry, until: Math.max(held.until, entry.until) };
  return copy;
}

/** The entries still shown at `now` (the same list when none expired). */
export function typingAt(entries: TypingEntry[], now: number): TypingEntry[] {
  return entries.some((e) => e.until <= now) ? entries.filter((e) => e.until > now) : entries;
}

/** The entries without `userId`'s (the same list when they had none). */
export function typingStopped(entries: TypingEntry[], userId: string): TypingEntry[] {
  return entries.some((e) => e.userId === userId) ? entries.filter((e) => e.userId !== userId) : entries;
}

/**
 * Decides when the user's typing is worth telling the server: the first keystroke in a channel, then at most once
 * per `everyMs`; sending a message starts over (the next keystroke tells at once).
 */
export class TypingThrottle {
  private readonly last = new Map<string, number>();

  constructor(private readonly everyMs = TypingSendEveryMs) {}

  /** Whether to send now; if so, counts it as sent. */
  shouldSend(channelId: string, now: number): boolean {
    const last = this.last.get(channelId);
    if (last !== undefined && now - last < this.everyMs && now >= last) return false;
    this.last.set(channelId, now);
    return true;
  }

  reset(channelId: string): void {
    this.last.delete(channelId);
  }
}

/** The time-outs a moderator can give, in minutes (the server takes 1..40320). */
export const TimeOutDurations: readonly { label: string; minutes: number }[] = [
  { label: '1 minute', minutes: 1 },
  { label: '10 minutes', minutes: 10 },
  { label: '1 hour', minutes: 60 },
  { label: '1 day', minutes: 1440 },
  { label: '1 week', minutes: 10080 },
];

/** When a member's time-out ends, or null when they are not timed out (none, unreadable, or already over at `now`). */
export function timeOutEnd(timedOutUntil: string | null | undefined, now: number): Date | null {
  if (!timedOutUntil) return null;
  const end = Date.parse(timedOutUntil);
  return Number.isNaN(end) || end <= now ? null : new Date(end);
}

/** The end of a time-out as a member-list line: "Timed out until 14:05" today, with the date otherwise. */
export function describeTimeOut(end: Date, now: number, locale?: string): string {
  const today = new Date(now).toDateString() === end.toDateString();
  const when = today
    ? end.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
    : end.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
  return `Timed out until ${when}`;
}

/** The end time a time-out of `minutes` given at `now` will have, as the member list shows it until the server says. */
export const timeOutUntil = (minutes: number, now: number): string => new Date(now + minutes * 60_000).toISOString();

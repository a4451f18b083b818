/** "14:05" in the reader's locale. */
export function shortTime(date: Date): string {
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** "Tuesday 4 March 2025" style, for day lines and tooltips. */
export function longDate(date: Date): string {
  return date.toLocaleDateString(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}

export function fullTimestamp(date: Date): string {
  return `${longDate(date)} ${date.toLocaleTimeString()}`;
}

/** A stable hue per user, for avatars. */
export function userHue(userId: string): number {
  let h = 0;
  for (let i = 0; i < userId.length; i++) h = (h * 31 + userId.charCodeAt(i)) >>> 0;
  return h % 360;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0]!, parts[parts.length - 1]!].map((p) => [...p][0]) : [...(parts[0] ?? '?')].slice(0, 1);
  return letters.join('').toUpperCase();
}

/**
 * A server version for people: build metadata after `+` (the commit the server was built from) shortened to its
 * first 7 characters, as `git log --oneline` shows a commit.
 */
export function shortVersion(version: string): string {
  const plus = version.indexOf('+');
  return plus < 0 ? version : version.slice(0, plus + 1 + 7);
}

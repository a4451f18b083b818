/** What the client keeps in localStorage, under one prefix. Every read tolerates missing or corrupt values. */

const prefix = 'openchat.';

export interface StoredSession {
  token: string;
  userId: string;
  displayName: string;
  expiresAt: string;
}

export type ThemeChoice = 'system' | 'light' | 'dark';

export interface Preferences {
  theme: ThemeChoice;
  pushToTalk: boolean;
  pushToTalkKey: string;
  inputDeviceId: string | null;
  lastChannelId: string | null;
}

export const defaultPreferences: Preferences = {
  theme: 'system',
  pushToTalk: false,
  pushToTalkKey: 'Space',
  inputDeviceId: null,
  lastChannelId: null,
};

function read<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(prefix + key);
    return raw === null ? null : (JSON.parse(raw) as T);
  } catch {
    return null;
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value === null) localStorage.removeItem(prefix + key);
    else localStorage.setItem(prefix + key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the client still works, it just forgets.
  }
}

export function loadSession(): StoredSession | null {
  const s = read<StoredSession>('session');
  return s && typeof s.token === 'string' && typeof s.displayName === 'string' ? s : null;
}

export function saveSession(session: StoredSession | null): void {
  write('session', session);
}

/** The name last used, kept after signing out so the join form is filled in. */
export function loadLastName(): string {
  return read<string>('name') ?? loadSession()?.displayName ?? '';
}

export function saveLastName(name: string): void {
  write('name', name);
}

export function loadPreferences(): Preferences {
  return { ...defaultPreferences, ...(read<Partial<Preferences>>('prefs') ?? {}) };
}

export function savePreferences(prefs: Preferences): void {
  write('prefs', prefs);
}

/** Per user: the highest message id seen in each channel. */
export function loadReadMarkers(userId: string): Record<string, number> {
  return read<Record<string, number>>(`read.${userId}`) ?? {};
}

export function saveReadMarkers(userId: string, markers: Record<string, number>): void {
  write(`read.${userId}`, markers);
}

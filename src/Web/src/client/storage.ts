/** What the client keeps in localStorage, under one prefix. Every read tolerates missing or corrupt values. */

const prefix = 'openchat.';

export interface StoredSession {
  token: string;
  userId: string;
  displayName: string;
  expiresAt: string;
  /** Absent in sessions stored before accounts: those are guest sessions renewed through `POST /api/session`. */
  kind?: 'account' | 'guest';
  username?: string | null;
  owner?: boolean;
  /** When this client received the token (ISO-8601), to tell its lifetime. */
  issuedAt?: string;
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

/** The name last used, kept when changing name so the join form is filled in. */
export function loadLastName(): string {
  return read<string>('name') ?? loadSession()?.displayName ?? '';
}

export function saveLastName(name: string): void {
  write('name', name);
}

/**
 * Signing out: forgets the session (the next join makes a new user), the name, what this user has read and the
 * member volumes they chose.
 * Device preferences (theme, push to talk, input device) stay.
 */
export function forgetUser(userId: string): void {
  write('session', null);
  write('name', null);
  write(`read.${userId}`, null);
  write(`volumes.${userId}`, null);
}

export function loadPreferences(): Preferences {
  const stored = read<Partial<Preferences>>('prefs');
  return { ...defaultPreferences, ...(stored && typeof stored === 'object' && !Array.isArray(stored) ? stored : {}) };
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

/** Per user: the volume (0 to 2) they chose for each other member, kept across voice sessions. */
export function loadMemberVolumes(userId: string): Record<string, number> {
  const stored = read<Record<string, unknown>>(`volumes.${userId}`);
  const volumes: Record<string, number> = {};
  if (stored && typeof stored === 'object' && !Array.isArray(stored))
    for (const [id, v] of Object.entries(stored)) if (typeof v === 'number' && v >= 0 && v <= 2) volumes[id] = v;
  return volumes;
}

export function saveMemberVolumes(userId: string, volumes: Record<string, number>): void {
  write(`volumes.${userId}`, volumes);
}

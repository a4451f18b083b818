import { useCallback, useEffect, useRef, useState } from 'react';
import { createSession, SessionError } from '../client/session';
import {
  forgetUser,
  loadLastName,
  loadPreferences,
  loadSession,
  saveLastName,
  savePreferences,
  saveSession,
  type Preferences,
  type StoredSession,
} from '../client/storage';
import { ChatApp } from './ChatApp';
import { JoinScreen } from './JoinScreen';
import { applyTheme } from './theme';

/** Refresh the token when less than this is left of it. */
const RefreshBeforeExpiryMs = 24 * 60 * 60 * 1000;

type Phase = { kind: 'join'; error: string | null } | { kind: 'resuming' } | { kind: 'chat'; session: StoredSession };

/**
 * The top level: the join screen, or the chat once a session exists. A stored session is refreshed at start
 * (POST /api/session with the previous token keeps the user id).
 */
export function App() {
  const [prefs, setPrefsState] = useState<Preferences>(loadPreferences);
  const [phase, setPhase] = useState<Phase>(() => (loadSession() ? { kind: 'resuming' } : { kind: 'join', error: null }));
  const [busy, setBusy] = useState(false);
  const sessionRef = useRef<StoredSession | null>(loadSession());

  useEffect(() => applyTheme(prefs.theme), [prefs.theme]);

  const setPrefs = useCallback((change: Partial<Preferences>) => {
    setPrefsState((p) => {
      const next = { ...p, ...change };
      savePreferences(next);
      return next;
    });
  }, []);

  const signIn = useCallback(async (displayName: string): Promise<boolean> => {
    const previous = sessionRef.current;
    try {
      let dto;
      try {
        dto = await createSession(displayName, previous?.token ?? null);
      } catch (e) {
        // An expired or foreign token: start as a new user rather than not at all.
        if (!(e instanceof SessionError) || e.code !== 'invalid_token') throw e;
        dto = await createSession(displayName, null);
      }
      const session: StoredSession = { token: dto.token, userId: dto.userId, displayName: dto.displayName, expiresAt: dto.expiresAt };
      sessionRef.current = session;
      saveSession(session);
      saveLastName(session.displayName);
      setPhase({ kind: 'chat', session });
      return true;
    } catch (e) {
      setPhase({ kind: 'join', error: e instanceof Error ? e.message : String(e) });
      return false;
    }
  }, []);

  useEffect(() => {
    if (phase.kind === 'resuming' && sessionRef.current) void signIn(sessionRef.current.displayName);
    // Only once, at start.
  }, []);

  const tokenRefused = useRef(false);

  // The hub asks for the token on every (re)connect: refresh it when it is about to expire or was refused.
  const getToken = useCallback(async (): Promise<string> => {
    const session = sessionRef.current;
    if (!session) return '';
    if (tokenRefused.current || Date.parse(session.expiresAt) - Date.now() < RefreshBeforeExpiryMs) {
      try {
        const dto = await createSession(session.displayName, session.token);
        tokenRefused.current = false;
        sessionRef.current = { ...session, token: dto.token, expiresAt: dto.expiresAt };
        saveSession(sessionRef.current);
      } catch (e) {
        if (e instanceof SessionError && e.code === 'invalid_token') {
          // The server no longer knows this token (its signing key changed): sign in again as a new user.
          tokenRefused.current = false;
          void signIn(session.displayName);
        }
        // Otherwise use what we have; the hub says whether it still works.
      }
    }
    return sessionRef.current!.token;
  }, [signIn]);

  const onTokenRefused = useCallback(() => {
    tokenRefused.current = true;
  }, []);

  const changeName = useCallback(() => setPhase({ kind: 'join', error: null }), []);

  const signOut = useCallback(() => {
    const session = sessionRef.current;
    sessionRef.current = null;
    if (session) forgetUser(session.userId);
    setPhase({ kind: 'join', error: null });
  }, []);

  if (phase.kind === 'chat') {
    return <ChatApp key={phase.session.token} session={phase.session} getToken={getToken} onTokenRefused={onTokenRefused} prefs={prefs} setPrefs={setPrefs} changeName={changeName} signOut={signOut} />;
  }
  if (phase.kind === 'resuming') {
    return (
      <main className="splash" aria-busy="true">
        <p role="status">Signing in…</p>
      </main>
    );
  }
  return (
    <JoinScreen
      initialName={loadLastName()}
      error={phase.error}
      busy={busy}
      prefs={prefs}
      setPrefs={setPrefs}
      onJoin={async (name) => {
        setBusy(true);
        await signIn(name);
        setBusy(false);
      }}
    />
  );
}

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  ApiError,
  authOptions,
  changePassword,
  claimServer,
  createSession,
  deleteAccount,
  fetchServerInfo,
  issueResetLink,
  register,
  resetPassword,
  signInWithPassword,
  signOutEverywhere,
  signOutSession,
} from '../client/session';
import { isGuest, renewalDueAt, renewStored, SignedOutError, toStored } from '../client/sessionKeeper';
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
import type { ServerInfo, SessionDto } from '../protocol/types';
import { AccountContext, type Account } from './account';
import { ChatApp } from './ChatApp';
import { SignInScreen, type SignInActions, type SignInMode } from './SignInScreen';
import { applyTheme } from './theme';

/** The longest a browser timer can wait. */
const MaxTimerMs = 2 ** 31 - 1;

type Phase =
  | { kind: 'signIn'; mode: SignInMode; notice: string | null }
  | { kind: 'resuming' }
  /** `generation` changes when the session is replaced (not when renewed): the chat then connects again with the new token. */
  | { kind: 'chat'; session: StoredSession; generation: number };

/** A password reset link opens the client at `/#reset=<code>`. */
function resetCodeFromUrl(): string | null {
  const match = /^#reset=([^&]+)$/.exec(window.location.hash);
  return match ? decodeURIComponent(match[1]!) : null;
}

function clearResetCode() {
  if (window.location.hash.startsWith('#reset=')) history.replaceState(null, '', window.location.pathname + window.location.search);
}

/** The code of an invite link (`/invite/<code>`), or null. */
function inviteCodeFromUrl(): string | null {
  const match = /^\/invite\/([A-Za-z0-9_-]{1,64})\/?$/.exec(window.location.pathname);
  return match ? match[1]! : null;
}

function clearInviteCode() {
  if (window.location.pathname.startsWith('/invite/')) history.replaceState(null, '', '/');
}

function initialPhase(resetCode: string | null, inviteCode: string | null = null): Phase {
  if (resetCode) return { kind: 'signIn', mode: 'reset', notice: null };
  if (inviteCode && !loadSession()) return { kind: 'signIn', mode: 'register', notice: null };
  return loadSession() ? { kind: 'resuming' } : { kind: 'signIn', mode: 'signIn', notice: null };
}

/**
 * The top level: the sign-in screen, or the chat once a session exists. A stored session is renewed at start; while
 * the chat runs its token is renewed before it expires and whenever the hub refused it. A session the server ended
 * (401 from renewal) returns to the sign-in screen with "You were signed out".
 */
export function App() {
  const [prefs, setPrefsState] = useState<Preferences>(loadPreferences);
  const resetCode = useRef(resetCodeFromUrl());
  const inviteCode = useRef(inviteCodeFromUrl());
  const [phase, setPhase] = useState<Phase>(() => initialPhase(resetCode.current, inviteCode.current));
  const [info, setInfo] = useState<ServerInfo | null>(null);
  const sessionRef = useRef<StoredSession | null>(loadSession());
  const generation = useRef(0);

  useEffect(() => applyTheme(prefs.theme), [prefs.theme]);

  const refreshInfo = useCallback(() => void fetchServerInfo().then((i) => i && setInfo(i)), []);
  useEffect(refreshInfo, [refreshInfo]);

  const setPrefs = useCallback((change: Partial<Preferences>) => {
    setPrefsState((p) => {
      const next = { ...p, ...change };
      savePreferences(next);
      return next;
    });
  }, []);

  /** Keeps `session` (a renewal of the current one when `renewed`, else a new one: the chat reconnects). */
  const keep = useCallback((session: StoredSession, renewed = false) => {
    sessionRef.current = session;
    saveSession(session);
    saveLastName(session.displayName);
    if (!renewed) generation.current++;
    setPhase({ kind: 'chat', session, generation: generation.current });
  }, []);

  const enter = useCallback((dto: SessionDto) => keep(toStored(dto)), [keep]);

  /** The server ended the session: forget it (not the name, the read markers) and show the sign-in screen. */
  const signedOut = useCallback((notice: string | null) => {
    sessionRef.current = null;
    saveSession(null);
    setPhase({ kind: 'signIn', mode: 'signIn', notice });
    refreshInfo();
  }, [refreshInfo]);

  // One renewal at a time; the hub's reconnects, the timer and a refused token may all ask at once.
  const renewing = useRef<Promise<void> | null>(null);
  const renew = useCallback((): Promise<void> => {
    const session = sessionRef.current;
    if (!session) return Promise.resolve();
    renewing.current ??= renewStored(session)
      .then((renewed) => {
        // A session replaced meanwhile (sign-out, another sign-in) stays as it is.
        if (sessionRef.current === session) keep(renewed, renewed.userId === session.userId);
      })
      .catch((e) => {
        if (e instanceof SignedOutError && sessionRef.current === session) signedOut(e.message);
        else throw e;
      })
      .finally(() => {
        renewing.current = null;
      });
    return renewing.current;
  }, [keep, signedOut]);

  // At start: renew the stored session; a network failure keeps it while it is still valid (the hub will tell).
  useEffect(() => {
    if (phase.kind !== 'resuming') return;
    const stored = sessionRef.current!;
    renew().catch((e) => {
      if (sessionRef.current !== stored) return;
      if (Date.parse(stored.expiresAt) > Date.now()) keep(stored, true);
      else setPhase({ kind: 'signIn', mode: 'signIn', notice: e instanceof ApiError ? e.message : String(e) });
    });
    // Only once, at start.
  }, []);

  // While the chat runs: renew when the token comes near its end.
  const chatSession = phase.kind === 'chat' ? phase.session : null;
  useEffect(() => {
    if (!chatSession) return;
    const timer = setTimeout(() => void renew().catch(() => {}), Math.min(MaxTimerMs, Math.max(0, renewalDueAt(chatSession) - Date.now())));
    return () => clearTimeout(timer);
  }, [chatSession, renew]);

  const tokenRefused = useRef(false);

  // The hub asks for the token on every (re)connect: renew it first when it is due or was refused.
  const getToken = useCallback(async (): Promise<string> => {
    const session = sessionRef.current;
    if (!session) return '';
    if (tokenRefused.current || Date.now() >= renewalDueAt(session)) {
      try {
        await renew();
        tokenRefused.current = false;
      } catch {
        // Unreachable or busy: use what we have; the hub says whether it still works.
      }
    }
    return sessionRef.current?.token ?? '';
  }, [renew]);

  // The hub or GET /api/session refused the token: renew now, so a session ended elsewhere shows the sign-in screen at once.
  const onTokenRefused = useCallback(() => {
    tokenRefused.current = true;
    void renew().then(
      () => (tokenRefused.current = false),
      () => {},
    );
  }, [renew]);

  const changeName = useCallback(() => setPhase({ kind: 'signIn', mode: 'signIn', notice: null }), []);

  const signOut = useCallback(() => {
    const session = sessionRef.current;
    sessionRef.current = null;
    if (session) {
      void signOutSession(session.token).catch(() => {});
      forgetUser(session.userId);
    }
    setPhase({ kind: 'signIn', mode: 'signIn', notice: null });
    refreshInfo();
  }, [refreshInfo]);

  // An account made by a setup attempt whose code was refused: the next attempt uses it instead of registering again.
  const setupAccount = useRef<StoredSession | null>(null);

  const signInActions: SignInActions = useMemo(
    () => ({
      guest: async (displayName) => {
        const previous = sessionRef.current;
        const token = previous && isGuest(previous) ? previous.token : null;
        let dto: SessionDto;
        try {
          dto = await createSession(displayName, token);
        } catch (e) {
          // An expired or foreign token: start as a new guest rather than not at all.
          if (!(e instanceof ApiError) || e.code !== 'invalid_token' || token === null) throw e;
          dto = await createSession(displayName, null);
        }
        enter(dto);
      },
      signIn: async (username, password) => enter(await signInWithPassword(username, password)),
      register: async (username, password) => {
        enter(await register(username, password, null, undefined, inviteCode.current));
        inviteCode.current = null;
        clearInviteCode();
      },
      setup: async (code, username, password) => {
        const account = setupAccount.current ?? toStored(await register(username, password, null));
        setupAccount.current = account;
        try {
          enter(await claimServer(account.token, code));
          setupAccount.current = null;
          refreshInfo();
        } catch (e) {
          if (e instanceof ApiError && e.code === 'forbidden')
            throw new ApiError(e.status, e.code, e.message + ` The account ${account.username} was created; try the code again.`);
          throw e;
        }
      },
      reset: async (newPassword) => {
        enter(await resetPassword(resetCode.current ?? '', newPassword));
        resetCode.current = null;
        clearResetCode();
      },
    }),
    [enter, refreshInfo],
  );

  // Tied to the chat's generation: a later sign-in or session change makes it stale.
  const [accountNotice, setAccountNotice] = useState<{ generation: number; text: string } | null>(null);
  const auth = authOptions(info);
  const account: Account | null = useMemo(() => {
    if (!chatSession) return null;
    const token = () => sessionRef.current?.token ?? '';
    return {
      session: chatSession,
      notice: accountNotice?.generation === generation.current ? accountNotice.text : null,
      clearNotice: () => setAccountNotice(null),
      setupRequired: auth.setupRequired,
      registrationOpen: auth.registrationOpen,
      claim: async (username, password) => enter(await register(username, password, token())),
      changePassword: async (current, next) => {
        enter(await changePassword(token(), current, next));
        setAccountNotice({ generation: generation.current, text: 'Password changed; your other sessions were signed out.' });
      },
      signOutEverywhere: async () => {
        enter(await signOutEverywhere(token()));
        setAccountNotice({ generation: generation.current, text: 'Your other sessions were signed out.' });
      },
      deleteAccount: async (password) => {
        await deleteAccount(token(), password);
        const session = sessionRef.current;
        if (session) forgetUser(session.userId);
        signedOut('Your account was deleted.');
      },
      setup: async (code) => {
        enter(await claimServer(token(), code));
        refreshInfo();
      },
      issueResetLink: async (username) => {
        const link = await issueResetLink(token(), username);
        return { url: new URL(link.url, window.location.href).href, expiresAt: link.expiresAt };
      },
    };
  }, [chatSession, accountNotice, auth.setupRequired, auth.registrationOpen, enter, signedOut, refreshInfo]);

  if (phase.kind === 'chat') {
    return (
      <AccountContext.Provider value={account}>
        <ChatApp
          key={phase.generation}
          session={phase.session}
          getToken={getToken}
          onTokenRefused={onTokenRefused}
          prefs={prefs}
          setPrefs={setPrefs}
          changeName={changeName}
          signOut={signOut}
        />
      </AccountContext.Provider>
    );
  }
  if (phase.kind === 'resuming') {
    return (
      <main className="splash" aria-busy="true">
        <p role="status">Signing in…</p>
      </main>
    );
  }
  return (
    <SignInScreen
      key={phase.mode}
      info={info}
      invite={phase.mode === 'register' ? inviteCode.current : null}
      initialMode={phase.mode}
      initialName={loadLastName()}
      notice={phase.notice}
      prefs={prefs}
      setPrefs={setPrefs}
      actions={signInActions}
    />
  );
}

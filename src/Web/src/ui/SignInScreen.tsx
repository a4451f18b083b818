import { useEffect, useState, type FormEvent } from 'react';
import { authOptions, checkInvite, describeApiError, validateDisplayName, validateNewPassword } from '../client/session';
import type { Preferences } from '../client/storage';
import type { InviteCheckDto, ServerInfo } from '../protocol/types';
import { Field, FormError, NewAccountForm, useNewAccount, useSubmit } from './Field';
import { shortVersion } from './format';
import { ThemeToggle } from './ThemeToggle';

export type SignInMode = 'signIn' | 'register' | 'setup' | 'reset';

/** What the screen asks the app to do; each rejects with the server's refusal, which the form then explains. */
export interface SignInActions {
  guest: (displayName: string) => Promise<void>;
  signIn: (username: string, password: string) => Promise<void>;
  register: (username: string, password: string) => Promise<void>;
  /** Registers (unless an account was made by an earlier attempt) and claims the server with the setup code. */
  setup: (code: string, username: string, password: string) => Promise<void>;
  reset: (newPassword: string) => Promise<void>;
}

interface Props {
  info: ServerInfo | null;
  /** The code of the invite link the page was opened with, used when registering; null without one. */
  invite?: string | null;
  initialMode: SignInMode;
  initialName: string;
  /** Why the screen shows ("You were signed out."), or null. */
  notice: string | null;
  prefs: Preferences;
  setPrefs: (change: Partial<Preferences>) => void;
  actions: SignInActions;
}

/**
 * The first screen: sign in with a username and password, create an account, continue as a guest (when the server
 * allows guests), set up a server that has no owner yet with the code from its log, or choose a new password with a
 * reset link.
 */
export function SignInScreen({ info, invite = null, initialMode, initialName, notice, prefs, setPrefs, actions }: Props) {
  const [mode, setMode] = useState<SignInMode>(initialMode);
  const auth = authOptions(info);

  return (
    <main className="join">
      <div className="join-theme">
        <ThemeToggle prefs={prefs} setPrefs={setPrefs} />
      </div>
      <div className="join-card">
        <h1 id="join-title">OpenChat</h1>
        <p className="muted join-version">{info ? `${info.name} ${shortVersion(info.version)}` : 'Voice and text chat'}</p>
        {notice && (
          <p className="join-notice" role="status">
            {notice}
          </p>
        )}
        {mode === 'register' && invite && <InviteNotice code={invite} />}
        {mode === 'signIn' && <SignInForm actions={actions} />}
        {mode === 'register' && <NewAccountForm action="register" className="join-form" autoFocus onCreate={actions.register} />}
        {mode === 'setup' && <SetupForm actions={actions} />}
        {mode === 'reset' && <ResetForm actions={actions} />}
        <div className="join-links">
          {mode !== 'signIn' && (
            <button type="button" className="link-button" onClick={() => setMode('signIn')}>
              Back to sign in
            </button>
          )}
          {mode === 'signIn' && auth.registrationOpen && (
            <button type="button" className="link-button" onClick={() => setMode('register')}>
              Create an account
            </button>
          )}
          {mode === 'signIn' && auth.setupRequired && (
            <button type="button" className="link-button" onClick={() => setMode('setup')}>
              Set up this server
            </button>
          )}
        </div>
        {mode === 'signIn' && auth.guestsAllowed && <GuestForm initialName={initialName} actions={actions} />}
      </div>
    </main>
  );
}

/** Which server invited the user, or why the invite cannot be used. */
function InviteNotice({ code }: { code: string }) {
  const [state, setState] = useState<{ invite: InviteCheckDto } | { error: string } | null>(null);
  useEffect(() => {
    let live = true;
    checkInvite(code).then(
      (invite) => live && setState({ invite }),
      (e) => live && setState({ error: describeApiError(e, 'register') }),
    );
    return () => {
      live = false;
    };
  }, [code]);
  if (state === null) return null;
  if ('error' in state)
    return (
      <p className="join-notice" role="alert">
        {state.error}
      </p>
    );
  return (
    <div className="join-invite" role="status">
      <p>
        You are invited to join <strong>{state.invite.server}</strong>. Create your account.
      </p>
      {state.invite.description && <p className="muted small">{state.invite.description}</p>}
    </div>
  );
}

function SignInForm({ actions }: { actions: SignInActions }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const form = useSubmit('signIn');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(username.trim() && password ? null : 'Enter your username and password.', () => actions.signIn(username.trim(), password));
  };
  return (
    <form className="join-form" onSubmit={submit} aria-label="Sign in" noValidate>
      <Field label="Username" value={username} onChange={setUsername} autoComplete="username" autoFocus maxLength={32} disabled={form.busy} {...form.invalid} />
      <Field label="Password" type="password" value={password} onChange={setPassword} autoComplete="current-password" maxLength={128} disabled={form.busy} {...form.invalid} />
      <FormError id={form.errorId}>{form.error}</FormError>
      <button type="submit" className="primary" disabled={form.busy}>
        {form.busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

function SetupForm({ actions }: { actions: SignInActions }) {
  const [code, setCode] = useState('');
  const account = useNewAccount();
  const form = useSubmit('setup');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(code.trim() ? account.check() : 'Enter the setup code from the server’s log.', () => actions.setup(code.trim(), account.username, account.password));
  };
  return (
    <form className="join-form" onSubmit={submit} aria-label="Set up this server" noValidate>
      <p className="muted small">The server printed a one-time setup code in its log. Whoever enters it becomes the owner; create the owner’s account here.</p>
      <Field label="Setup code" value={code} onChange={setCode} autoComplete="off" autoFocus spellCheck={false} maxLength={200} disabled={form.busy} {...form.invalid} />
      {account.fields(form.busy, form.invalid, false)}
      <FormError id={form.errorId}>{form.error}</FormError>
      <button type="submit" className="primary" disabled={form.busy}>
        {form.busy ? 'Setting up…' : 'Set up this server'}
      </button>
    </form>
  );
}

function ResetForm({ actions }: { actions: SignInActions }) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const form = useSubmit('reset');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(validateNewPassword(password, repeat, null), () => actions.reset(password));
  };
  return (
    <form className="join-form" onSubmit={submit} aria-label="Choose a new password" noValidate>
      <h2 className="join-subtitle">Choose a new password</h2>
      <Field label="New password" type="password" value={password} onChange={setPassword} autoComplete="new-password" autoFocus maxLength={128} disabled={form.busy} {...form.invalid} />
      <Field label="Repeat password" type="password" value={repeat} onChange={setRepeat} autoComplete="new-password" maxLength={128} disabled={form.busy} {...form.invalid} />
      <FormError id={form.errorId}>{form.error}</FormError>
      <button type="submit" className="primary" disabled={form.busy}>
        {form.busy ? 'Saving…' : 'Set password and sign in'}
      </button>
    </form>
  );
}

function GuestForm({ initialName, actions }: { initialName: string; actions: SignInActions }) {
  const [name, setName] = useState(initialName);
  const form = useSubmit('guest');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(validateDisplayName(name), () => actions.guest(name.trim()));
  };
  return (
    <form className="join-form join-guest" onSubmit={submit} aria-label="Continue as a guest" noValidate>
      <p className="join-divider">or continue as a guest</p>
      <Field
        label="Display name"
        name="displayName"
        value={name}
        onChange={(v) => {
          setName(v);
          form.clear();
        }}
        autoComplete="nickname"
        maxLength={32}
        disabled={form.busy}
        {...form.invalid}
      />
      <FormError id={form.errorId}>{form.error}</FormError>
      <button type="submit" className="primary" disabled={form.busy}>
        {form.busy ? 'Joining…' : 'Join as guest'}
      </button>
    </form>
  );
}

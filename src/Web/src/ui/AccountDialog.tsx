import { useState, type FormEvent } from 'react';
import { validateNewPassword } from '../client/session';
import { isGuest } from '../client/sessionKeeper';
import type { Account } from './account';
import { Dialog } from './Dialog';
import { Field, FormError, NewAccountForm, useSubmit } from './Field';
import { Icon } from './Icon';

interface Props {
  account: Account;
  /** Leaves voice, ends this session on the server and forgets it here. */
  signOut: () => void;
  onClose: () => void;
}

/**
 * Account settings, a modal dialog: who is signed in; for a guest, creating an account that keeps their id; for an
 * account, changing the password, signing out everywhere, deleting the account; setting up a server that has no
 * owner yet; for the owner, a password reset link for a member. Escape or the close button closes it.
 */
export function AccountDialog({ account, signOut, onClose }: Props) {
  const { session } = account;
  const guest = isGuest(session);

  return (
    <Dialog title="Account" onClose={onClose}>
      <p className="account-who">
        {guest ? (
          <>
            <strong>Guest</strong> <span className="muted">as {session.displayName}</span>
          </>
        ) : (
          <>
            Signed in as <strong>{session.username}</strong>
            {session.owner && <span className="owner-tag">owner</span>}
          </>
        )}
      </p>
      {account.notice && (
        <p className="account-notice" role="status">
          {account.notice}
        </p>
      )}
      {guest && account.registrationOpen && (
        <NewAccountForm action="claim" className="dialog-section join-form" autoFocus={false} onCreate={account.claim}>
          <h3>Create an account</h3>
          <p className="muted small">Keep this name’s id and history, and sign in from any device.</p>
        </NewAccountForm>
      )}
      {!guest && <PasswordForm account={account} />}
      {!guest && account.setupRequired && <SetupCodeForm account={account} />}
      {!guest && session.owner && <ResetLinkForm account={account} />}
      <div className="dialog-actions">
        <button type="button" className="menu-item" onClick={signOut}>
          <Icon name="signOut" size={16} /> Sign out
        </button>
        {!guest && <SignOutEverywhere account={account} />}
      </div>
      {!guest && <DeleteAccount account={account} />}
    </Dialog>
  );
}

function PasswordForm({ account }: { account: Account }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const form = useSubmit('password');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // Success restarts the chat with the new session; the dialog opens again with the account's notice.
    void form.run(current ? validateNewPassword(next, repeat, account.session.username ?? null) : 'Enter your current password.', () =>
      account.changePassword(current, next),
    );
  };
  return (
    <form className="dialog-section join-form" onSubmit={submit} aria-label="Change password" noValidate>
      <h3>Change password</h3>
      <Field label="Current password" type="password" value={current} onChange={setCurrent} autoComplete="current-password" maxLength={128} disabled={form.busy} {...form.invalid} />
      <Field label="New password" type="password" value={next} onChange={setNext} autoComplete="new-password" maxLength={128} disabled={form.busy} {...form.invalid} />
      <Field label="Repeat new password" type="password" value={repeat} onChange={setRepeat} autoComplete="new-password" maxLength={128} disabled={form.busy} {...form.invalid} />
      <FormError id={form.errorId}>{form.error}</FormError>
      <button type="submit" className="primary" disabled={form.busy}>
        Change password
      </button>
    </form>
  );
}

function SetupCodeForm({ account }: { account: Account }) {
  const [code, setCode] = useState('');
  const form = useSubmit('setup');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(code.trim() ? null : 'Enter the setup code from the server’s log.', () => account.setup(code.trim()));
  };
  return (
    <form className="dialog-section join-form" onSubmit={submit} aria-label="Set up this server" noValidate>
      <h3>Set up this server</h3>
      <p className="muted small">This server has no owner yet. Enter the one-time setup code from its log to become the owner.</p>
      <Field label="Setup code" value={code} onChange={setCode} autoComplete="off" spellCheck={false} maxLength={200} disabled={form.busy} {...form.invalid} />
      <FormError id={form.errorId}>{form.error}</FormError>
      <button type="submit" className="primary" disabled={form.busy}>
        Become the owner
      </button>
    </form>
  );
}

function ResetLinkForm({ account }: { account: Account }) {
  const [username, setUsername] = useState('');
  const [link, setLink] = useState<{ username: string; url: string; expiresAt: string } | null>(null);
  const form = useSubmit('resetLink');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const name = username.trim();
    setLink(null);
    void form.run(name ? null : 'Enter the member’s username.', async () => setLink({ username: name, ...(await account.issueResetLink(name)) }));
  };
  return (
    <form className="dialog-section join-form" onSubmit={submit} aria-label="Password reset link" noValidate>
      <h3>Password reset link</h3>
      <p className="muted small">For a member who forgot their password: the link sets a new one, once, and signs them out everywhere else.</p>
      <Field label="Member’s username" value={username} onChange={setUsername} autoComplete="off" spellCheck={false} maxLength={32} disabled={form.busy} {...form.invalid} />
      <FormError id={form.errorId}>{form.error}</FormError>
      {link && (
        <>
          <Field label={`Reset link for ${link.username}`} value={link.url} onChange={() => {}} readOnly onFocus={(e) => e.currentTarget.select()} />
          <p className="muted small" role="status">
            Send it to {link.username} privately. It works once, until {new Date(link.expiresAt).toLocaleString()}.
          </p>
        </>
      )}
      <button type="submit" className="primary" disabled={form.busy}>
        Make a reset link
      </button>
    </form>
  );
}

function SignOutEverywhere({ account }: { account: Account }) {
  const form = useSubmit('session');
  return (
    <>
      <button
        type="button"
        className="menu-item"
        disabled={form.busy}
        title="End every other session of this account; this device stays signed in"
        onClick={() => void form.run(null, account.signOutEverywhere)}
      >
        <Icon name="signOut" size={16} /> Sign out everywhere
      </button>
      <FormError id={form.errorId}>{form.error}</FormError>
    </>
  );
}

function DeleteAccount({ account }: { account: Account }) {
  const [asking, setAsking] = useState(false);
  const [password, setPassword] = useState('');
  const form = useSubmit('delete');
  if (!asking)
    return (
      <button type="button" className="menu-item danger" onClick={() => setAsking(true)}>
        Delete account…
      </button>
    );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(password ? null : 'Enter your password to delete the account.', () => account.deleteAccount(password));
  };
  return (
    <form className="dialog-section join-form" onSubmit={submit} aria-label="Delete account" noValidate>
      <h3>Delete account</h3>
      <p className="small">
        This ends every session and cannot be undone. Your messages stay, shown as from a deleted user.
      </p>
      <Field label="Password" type="password" value={password} onChange={setPassword} autoComplete="current-password" autoFocus maxLength={128} disabled={form.busy} {...form.invalid} />
      <FormError id={form.errorId}>{form.error}</FormError>
      <div className="dialog-buttons">
        <button type="button" className="link-button" onClick={() => setAsking(false)} disabled={form.busy}>
          Cancel
        </button>
        <button type="submit" className="primary danger-button" disabled={form.busy}>
          Delete my account
        </button>
      </div>
    </form>
  );
}

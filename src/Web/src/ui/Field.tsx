import { useCallback, useId, useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import { describeApiError, validateNewPassword, validateUsername, type AccountAction } from '../client/session';

/** A labelled text input whose value lives in the caller's state. */
export function Field({ label, value, onChange, ...rest }: { label: string; value: string; onChange: (value: string) => void } & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>) {
  const id = useId();
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input id={id} value={value} onChange={(e) => onChange(e.target.value)} {...rest} />
    </>
  );
}

/** A form's error line, announced when it appears; `id` lets the inputs point at it with aria-describedby. */
export function FormError({ id, children }: { id: string; children: ReactNode }) {
  if (!children) return null;
  return (
    <p id={id} className="field-error" role="alert">
      {children}
    </p>
  );
}

/**
 * A form's submission: a client-side check first (its message, or null), then the call; a refusal becomes the
 * form's error line, described for the `action`. `invalid` goes on the inputs so they point at the error.
 */
export function useSubmit(action: AccountAction) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();
  const run = useCallback(
    async (check: string | null, work: () => Promise<void>) => {
      setError(check);
      if (check) return;
      setBusy(true);
      try {
        await work();
      } catch (e) {
        setError(describeApiError(e, action));
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  const invalid = error ? { 'aria-invalid': true as const, 'aria-describedby': errorId } : {};
  return { busy, error, errorId, run, invalid, clear: useCallback(() => setError(null), []) };
}

/** Username, password and its repeat, checked as the server checks them; shared by registration and setup. */
export function useNewAccount() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const check = () => {
    const name = validateUsername(username.trim());
    return name ? `Username: ${name}` : validateNewPassword(password, repeat, username);
  };
  const fields = (busy: boolean, invalid: object, autoFocus: boolean) => (
    <>
      <Field label="Username" value={username} onChange={setUsername} autoComplete="username" autoFocus={autoFocus} maxLength={32} disabled={busy} {...invalid} />
      <Field label="Password" type="password" value={password} onChange={setPassword} autoComplete="new-password" maxLength={128} disabled={busy} {...invalid} />
      <Field label="Repeat password" type="password" value={repeat} onChange={setRepeat} autoComplete="new-password" maxLength={128} disabled={busy} {...invalid} />
    </>
  );
  return { username: username.trim(), password, check, fields };
}


/** A new account's form: registration on the sign-in screen, a guest's claim in the account settings. */
export function NewAccountForm(props: {
  action: 'register' | 'claim';
  className: string;
  autoFocus: boolean;
  children?: ReactNode;
  onCreate: (username: string, password: string) => Promise<void>;
}) {
  const account = useNewAccount();
  const form = useSubmit(props.action);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(account.check(), () => props.onCreate(account.username, account.password));
  };
  return (
    <form className={props.className} onSubmit={submit} aria-label="Create an account" noValidate>
      {props.children}
      {account.fields(form.busy, form.invalid, props.autoFocus)}
      <FormError id={form.errorId}>{form.error}</FormError>
      <button type="submit" className="primary" disabled={form.busy}>
        {form.busy ? 'Creating…' : 'Create account'}
      </button>
    </form>
  );
}

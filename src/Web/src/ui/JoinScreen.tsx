import { useEffect, useId, useState, type FormEvent } from 'react';
import { validateDisplayName } from '../client/session';
import type { Preferences } from '../client/storage';
import { ThemeToggle } from './ThemeToggle';

interface Props {
  initialName: string;
  error: string | null;
  busy: boolean;
  prefs: Preferences;
  setPrefs: (change: Partial<Preferences>) => void;
  onJoin: (displayName: string) => void;
}

interface ServerInfo {
  name: string;
  version: string;
}

/** Asks for a display name and starts a guest session. */
export function JoinScreen({ initialName, error, busy, prefs, setPrefs, onJoin }: Props) {
  const [name, setName] = useState(initialName);
  const [problem, setProblem] = useState<string | null>(null);
  const [info, setInfo] = useState<ServerInfo | null>(null);
  const errorId = useId();
  const shown = problem ?? error;

  useEffect(() => {
    let live = true;
    fetch('/api/info')
      .then((r) => (r.ok ? (r.json() as Promise<ServerInfo>) : null))
      .then((i) => live && i && setInfo(i))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const invalid = validateDisplayName(name);
    setProblem(invalid);
    if (!invalid) onJoin(name.trim());
  };

  return (
    <main className="join">
      <div className="join-theme">
        <ThemeToggle prefs={prefs} setPrefs={setPrefs} />
      </div>
      <form className="join-card" onSubmit={submit} aria-labelledby="join-title" noValidate>
        <h1 id="join-title">OpenChat</h1>
        <p className="muted">{info ? `${info.name} ${info.version}` : 'Voice and text chat'}</p>
        <label htmlFor="display-name">Display name</label>
        <input
          id="display-name"
          name="displayName"
          autoComplete="nickname"
          autoFocus
          maxLength={32}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setProblem(null);
          }}
          aria-invalid={shown ? true : undefined}
          aria-describedby={shown ? errorId : undefined}
          disabled={busy}
        />
        {shown && (
          <p id={errorId} className="field-error" role="alert">
            {shown}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Joining…' : 'Join'}
        </button>
      </form>
    </main>
  );
}

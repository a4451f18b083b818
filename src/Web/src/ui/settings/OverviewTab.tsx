import { useEffect, useId, useState, type FormEvent } from 'react';
import { describeSettingsError, type ServerApi } from '../../client/serverApi';
import type { ServerSettingsDto } from '../../protocol/types';
import { Field } from '../Field';
import { SaveRow } from './SaveRow';
import { useAction } from './useSettings';

/** The admin panel's Overview page: the server's name and description, who may join, whether guests may. */
export function OverviewTab({ api }: { api: ServerApi }) {
  const [loaded, setLoaded] = useState<ServerSettingsDto | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.settings().then(
      (s) => live && setLoaded(s),
      (e) => live && setLoadError(describeSettingsError(e)),
    );
    return () => {
      live = false;
    };
  }, [api]);
  if (loadError) return <p role="alert">{loadError}</p>;
  if (!loaded) return <p className="muted">Loading…</p>;
  return <OverviewForm api={api} initial={loaded} />;
}

function OverviewForm({ api, initial }: { api: ServerApi; initial: ServerSettingsDto }) {
  const [settings, setSettings] = useState(initial);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const descriptionId = useId();
  const change = (patch: Partial<ServerSettingsDto>) => {
    setSettings((s) => ({ ...s, ...patch }));
    setSaved(false);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const name = settings.name.trim();
    void action.run(async () => {
      setSettings(await api.updateSettings({ ...settings, name }));
      setSaved(true);
    }, name ? null : 'Give the server a name.');
  };
  return (
    <form className="dialog-section join-form" onSubmit={submit} aria-label="Server overview" noValidate>
      <Field label="Server name" value={settings.name} onChange={(name) => change({ name })} maxLength={64} autoComplete="off" disabled={action.busy} />
      <label htmlFor={descriptionId}>Description</label>
      <textarea
        id={descriptionId}
        value={settings.description}
        onChange={(e) => change({ description: e.target.value })}
        maxLength={500}
        rows={3}
        disabled={action.busy}
      />
      <fieldset className="choice-group" disabled={action.busy}>
        <legend>Who may create an account</legend>
        <label>
          <input type="radio" name="joinPolicy" checked={settings.joinPolicy === 'open'} onChange={() => change({ joinPolicy: 'open' })} />
          Anyone
        </label>
        <label>
          <input type="radio" name="joinPolicy" checked={settings.joinPolicy === 'invite'} onChange={() => change({ joinPolicy: 'invite' })} />
          Only people with an invite
        </label>
      </fieldset>
      <label className="check-row">
        <input type="checkbox" checked={settings.guestsAllowed} onChange={(e) => change({ guestsAllowed: e.target.checked })} disabled={action.busy} />
        Guests may join without an account
      </label>
      <SaveRow action={action} saved={saved} label="Save" />
    </form>
  );
}

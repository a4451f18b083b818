import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { describeSettingsError, type ServerApi } from '../../client/serverApi';
import type { InviteDto } from '../../protocol/types';
import { FormError } from '../Field';
import { useAction } from './useSettings';

/** How long a new invite lasts, in seconds; 0 for until revoked. */
const Lifetimes: [string, number][] = [
  ['30 minutes', 1800],
  ['1 hour', 3600],
  ['1 day', 86_400],
  ['7 days', 604_800],
  ['Until revoked', 0],
];

/** How many accounts a new invite admits; 0 for any number. */
const UseLimits: [string, number][] = [
  ['1 use', 1],
  ['5 uses', 5],
  ['10 uses', 10],
  ['25 uses', 25],
  ['100 uses', 100],
  ['No limit', 0],
];

/** The admin panel's Invites page: create an invite link with a use limit and an expiry, copy it, revoke it. */
export function InvitesTab({ api }: { api: ServerApi }) {
  const [invites, setInvites] = useState<InviteDto[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setInvites(await api.invites());
      setError(null);
    } catch (e) {
      setError(describeSettingsError(e));
    }
  }, [api]);
  useEffect(() => void reload(), [reload]);
  return (
    <>
      <NewInviteForm api={api} reload={reload} />
      <section className="dialog-section" aria-labelledby="invites-list-title">
        <h3 id="invites-list-title">Invites</h3>
        {error && <p role="alert">{error}</p>}
        {invites?.length === 0 && <p className="muted">No invites yet.</p>}
        <ul className="invite-list" aria-label="Invites">
          {invites?.map((invite) => <InviteRow key={invite.code} api={api} invite={invite} reload={reload} />)}
        </ul>
      </section>
    </>
  );
}

function NewInviteForm({ api, reload }: { api: ServerApi; reload: () => Promise<void> }) {
  const [uses, setUses] = useState(1);
  const [lifetime, setLifetime] = useState(86_400);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await api.createInvite({ ...(uses ? { maxUses: uses } : {}), ...(lifetime ? { expiresInSeconds: lifetime } : {}) });
      await reload();
    });
  };
  return (
    <form className="dialog-section join-form" onSubmit={submit} aria-label="New invite" noValidate>
      <h3>New invite</h3>
      <Choice label="Uses" options={UseLimits} value={uses} onChange={setUses} disabled={action.busy} />
      <Choice label="Expires after" options={Lifetimes} value={lifetime} onChange={setLifetime} disabled={action.busy} />
      <FormError id={action.errorId}>{action.error}</FormError>
      <button type="submit" className="primary" disabled={action.busy}>
        Create invite
      </button>
    </form>
  );
}

function Choice(props: { label: string; options: [string, number][]; value: number; onChange: (value: number) => void; disabled: boolean }) {
  const id = useId();
  return (
    <>
      <label htmlFor={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange(Number(e.target.value))} disabled={props.disabled}>
        {props.options.map(([label, value]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </>
  );
}

function InviteRow({ api, invite, reload }: { api: ServerApi; invite: InviteDto; reload: () => Promise<void> }) {
  const [copied, setCopied] = useState(false);
  const action = useAction();
  const usedUp = invite.maxUses !== null && invite.uses >= invite.maxUses;
  const expired = invite.expiresAt !== null && Date.parse(invite.expiresAt) <= Date.now();
  const copy = () =>
    void navigator.clipboard?.writeText(invite.url).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  return (
    <li className="invite-row" data-code={invite.code}>
      <input className="invite-url" readOnly value={invite.url} aria-label="Invite link" onFocus={(e) => e.target.select()} />
      <span className="muted small">
        {invite.uses} of {invite.maxUses ?? '∞'} uses · {invite.expiresAt ? `${expired ? 'expired' : 'expires'} ${new Date(invite.expiresAt).toLocaleString()}` : 'never expires'}
        {usedUp && ' · used up'} · by {invite.createdBy.name}
      </span>
      <div className="row-buttons">
        <button type="button" onClick={copy}>
          {copied ? 'Copied' : 'Copy link'}
        </button>
        <button type="button" className="danger-button" disabled={action.busy} onClick={() => void action.run(async () => {
          await api.revokeInvite(invite.code);
          await reload();
        })}>
          Revoke
        </button>
      </div>
      <FormError id={action.errorId}>{action.error}</FormError>
    </li>
  );
}

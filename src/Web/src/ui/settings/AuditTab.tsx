import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { ServerApi } from '../../client/serverApi';
import type { AuditEntryDto } from '../../protocol/audit';
import { Field, FormError } from '../Field';
import { useAction } from './useSettings';

/** What each action reads as in the log: "Ann kicked Bob". */
const actionWords: Record<string, string> = {
  'channel.create': 'created channel',
  'channel.update': 'changed channel',
  'channel.delete': 'deleted channel',
  'channel.reorder': 'reordered the channels',
  'role.create': 'created role',
  'role.update': 'changed role',
  'role.delete': 'deleted role',
  'role.reorder': 'moved role',
  'member.roles': 'changed the roles of',
  'override.set': 'set permissions in',
  'member.kick': 'kicked',
  'member.ban': 'banned',
  'member.unban': 'unbanned',
  'member.timeout': 'timed out',
  'member.timeout-lifted': 'lifted the time-out of',
  'voice.moderate': 'moderated the voice of',
  'voice.disconnect': 'disconnected from voice',
  'voice.move': 'moved',
  'message.delete': 'deleted a message of',
  'server.update': 'changed the server settings',
  'invite.create': 'created invite',
  'invite.revoke': 'revoked invite',
  'password.reset-link': 'made a password reset link for',
};

/** The kinds of action the filter offers (an action's first word). */
export const auditKinds: { value: string; label: string }[] = [
  { value: '', label: 'All actions' },
  { value: 'member', label: 'Members (kick, ban, roles, time-out)' },
  { value: 'voice', label: 'Voice moderation' },
  { value: 'message', label: 'Messages' },
  { value: 'channel', label: 'Channels' },
  { value: 'role', label: 'Roles' },
  { value: 'override', label: 'Channel permissions' },
  { value: 'server', label: 'Server settings' },
  { value: 'invite', label: 'Invites' },
  { value: 'password', label: 'Password resets' },
];

export const describeAction = (action: string) => actionWords[action] ?? action;

const pageSize = 50;

/** The audit log, newest first: who did what to whom, when and why; filtered by kind of action and by member, paged by "Load older". */
export function AuditTab({ api }: { api: ServerApi }) {
  const [kind, setKind] = useState('');
  const [member, setMember] = useState('');
  const [applied, setApplied] = useState({ kind: '', member: '' });
  const [entries, setEntries] = useState<AuditEntryDto[] | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const load = useAction();
  const run = load.run;
  const kindId = useId();

  const fetchPage = useCallback(
    (filter: { kind: string; member: string }, before?: number) =>
      run(async () => {
        const page = await api.auditLog({ action: filter.kind || undefined, member: filter.member || undefined, before, limit: pageSize });
        setEntries((shown) => (before === undefined ? page.entries : [...(shown ?? []), ...page.entries]));
        setHasMore(page.hasMore);
      }),
    [api, run],
  );

  useEffect(() => void fetchPage(applied), [fetchPage, applied]);

  const apply = (next: { kind: string; member: string }) => setApplied(next);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply({ kind, member: member.trim() });
  };
  const filtered = applied.kind !== '' || applied.member !== '';

  return (
    <section className="dialog-section" aria-label="Audit log">
      <form className="audit-filters" role="search" aria-label="Filter the audit log" onSubmit={submit} noValidate>
        <label htmlFor={kindId}>Action</label>
        <select
          id={kindId}
          value={kind}
          onChange={(e) => {
            setKind(e.target.value);
            apply({ kind: e.target.value, member: member.trim() });
          }}
        >
          {auditKinds.map((k) => (
            <option key={k.value} value={k.value}>
              {k.label}
            </option>
          ))}
        </select>
        <Field label="Member" type="search" value={member} onChange={setMember} maxLength={100} autoComplete="off" placeholder="Name or id, who acted or was acted on" />
        <button type="submit" disabled={load.busy}>
          Filter
        </button>
      </form>
      <FormError id={load.errorId}>{load.error}</FormError>
      {entries && entries.length === 0 && (
        <p className="muted" role="status">
          {filtered ? 'No entry matches these filters.' : 'Nothing has been recorded yet.'}
        </p>
      )}
      {entries && entries.length > 0 && (
        <ol className="audit-list" aria-label="Audit entries, newest first">
          {entries.map((e) => (
            <AuditRow key={e.id} entry={e} />
          ))}
        </ol>
      )}
      {hasMore && (
        <button type="button" onClick={() => void fetchPage(applied, entries?.[entries.length - 1]?.id)} disabled={load.busy}>
          Load older
        </button>
      )}
    </section>
  );
}

function AuditRow({ entry }: { entry: AuditEntryDto }) {
  const at = new Date(entry.at);
  const target = entry.target.kind === 'server' ? '' : entry.target.name ?? entry.target.id;
  return (
    <li className="audit-entry" data-action={entry.action} data-entry-id={entry.id}>
      <p className="audit-summary">
        <time dateTime={entry.at} className="muted small">
          {at.toLocaleString()}
        </time>{' '}
        <strong className="audit-actor" title={entry.actor.id}>
          {entry.actor.name}
        </strong>{' '}
        <span className="audit-action">{describeAction(entry.action)}</span>
        {target && (
          <>
            {' '}
            <strong className="audit-target" title={`${entry.target.kind} ${entry.target.id}`}>
              {target}
            </strong>
          </>
        )}
      </p>
      {entry.detail && <p className="audit-detail small">{entry.detail}</p>}
      {entry.reason && <p className="audit-reason small">Reason: {entry.reason}</p>}
    </li>
  );
}

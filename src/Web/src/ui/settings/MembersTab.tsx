import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ServerApi } from '../../client/serverApi';
import type { MemberRolesDto, PermissionsDto, RoleDto } from '../../protocol/types';
import { describeTimeOut, timeOutEnd, TimeOutDurations, timeOutUntil } from '../../state/memberModeration';
import { mayActOn, ModerationReasonMax, moderationReason } from '../../state/moderation';
import { canManageRole, highestPosition, serverAllows } from '../../state/permissions';
import type { State } from '../../state/store';
import { useChatState } from '../context';
import { Dialog } from '../Dialog';
import { Field, FormError } from '../Field';
import { roleName } from './RolesTab';
import { useAction } from './useSettings';

const selectMe = (s: State) => s.me?.id ?? null;

/** A moderation that asks for a reason first. */
type Removal = 'kick' | 'timeout' | 'ban';

const removalTitles: Record<Removal, string> = { kick: 'Kick', timeout: 'Time out', ban: 'Ban' };

/**
 * The admin panel's Members page: finds registered members by name (everyone at first); gives or takes their roles
 * (those below the user's own highest), and kicks, times out or bans them, each with an optional reason.
 */
export function MembersTab({ api, roles, mine }: { api: ServerApi; roles: RoleDto[]; mine: PermissionsDto | null }) {
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<MemberRolesDto[] | null>(null);
  const search = useAction();
  const find = (text: string) => void search.run(async () => setFound(await api.members(text)));
  // Everyone at first (the server answers a page of them).
  useEffect(() => void search.run(async () => setFound(await api.members(''))), [api, search.run]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    find(query.trim());
  };
  const assignable = roles.filter((r) => !r.everyone);
  return (
    <section className="dialog-section" aria-label="Members">
      <form className="join-form" role="search" onSubmit={submit} aria-label="Find members" noValidate>
        <Field label="Find a member" type="search" value={query} onChange={setQuery} maxLength={32} autoComplete="off" placeholder="Part of a username" />
        <FormError id={search.errorId}>{search.error}</FormError>
        <button type="submit" className="primary" disabled={search.busy}>
          Search
        </button>
      </form>
      {found && found.length === 0 && <p className="muted" role="status">No member has a name like that.</p>}
      {found && found.length > 0 && (
        <ul className="member-roles" aria-label="Members found">
          {found.map((m) => (
            <MemberRow key={m.userId} api={api} member={m} roles={assignable} allRoles={roles} mine={mine} />
          ))}
        </ul>
      )}
    </section>
  );
}

function MemberRow(props: { api: ServerApi; member: MemberRolesDto; roles: RoleDto[]; allRoles: RoleDto[]; mine: PermissionsDto | null }) {
  const { api, roles, allRoles, mine } = props;
  const me = useChatState(selectMe);
  const [member, setMember] = useState(props.member);
  const [asking, setAsking] = useState<Removal | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const buttons = useRef<Partial<Record<Removal, HTMLButtonElement | null>>>({});
  const [now, setNow] = useState(() => Date.now());
  const end = timeOutEnd(member.timedOutUntil, now);
  // Shown until it ends: the line goes when the time-out does.
  useEffect(() => {
    if (!end) return;
    const timer = setTimeout(() => setNow(Date.now()), Math.min(end.getTime() - Date.now() + 50, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [end]);

  const theirPosition = Math.max(0, ...allRoles.filter((r) => member.roles.includes(r.id)).map((r) => r.position));
  const actsOn = mayActOn(me, highestPosition(mine, allRoles), member.userId, { position: theirPosition });
  const kicks = actsOn && serverAllows(mine, 'kickMembers');
  const bans = actsOn && serverAllows(mine, 'banMembers');
  const managesRoles = serverAllows(mine, 'manageRoles');

  const toggle = (role: RoleDto, on: boolean) =>
    void action.run(async () => {
      if (on) await api.assignRole(member.userId, role.id);
      else await api.unassignRole(member.userId, role.id);
      setMember((m) => ({ ...m, roles: on ? [...m.roles, role.id] : m.roles.filter((id) => id !== role.id) }));
    });
  const lift = () =>
    void action.run(async () => {
      await api.liftTimeOut(member.userId);
      setMember((m) => ({ ...m, timedOutUntil: null }));
      setDone(`${member.name}'s time-out was lifted.`);
    });
  // Focus goes back to the button that opened the dialog, once the dialog is gone (it keeps the focus while open).
  const returnFocus = useRef<Removal | null>(null);
  useEffect(() => {
    if (asking !== null || returnFocus.current === null) return;
    buttons.current[returnFocus.current]?.focus();
    returnFocus.current = null;
  }, [asking]);
  const closeDialog = (which: Removal) => {
    returnFocus.current = which;
    setAsking(null);
  };
  const ref = (which: Removal) => (el: HTMLButtonElement | null) => {
    buttons.current[which] = el;
  };

  return (
    <li className="member-role-row" data-user-id={member.userId} aria-label={member.name}>
      <div className="member-line">
        <span className="role-name">{member.name}</span>
        {end && <span className="timed-out small">{describeTimeOut(end, now)}</span>}
        {(kicks || bans) && (
          <div className="row-buttons moderation-actions" role="group" aria-label={`Moderate ${member.name}`}>
            {kicks && (
              <button type="button" ref={ref('kick')} disabled={action.busy} onClick={() => setAsking('kick')}>
                Kick…
              </button>
            )}
            {kicks && (
              <button type="button" ref={ref('timeout')} disabled={action.busy} onClick={() => (end ? lift() : setAsking('timeout'))}>
                {end ? 'Lift time-out' : 'Time out…'}
              </button>
            )}
            {bans && (
              <button type="button" className="danger-button" ref={ref('ban')} disabled={action.busy} onClick={() => setAsking('ban')}>
                Ban…
              </button>
            )}
          </div>
        )}
      </div>
      {managesRoles && (
        <fieldset disabled={action.busy}>
          <legend className="sr-only">Roles of {member.name}</legend>
          {roles.length === 0 && <p className="muted small">No roles yet.</p>}
          <div role="group" aria-label={`Roles of ${member.name}`} className="role-checks">
            {roles.map((r) => (
              <label key={r.id} className="check-row">
                <input type="checkbox" checked={member.roles.includes(r.id)} disabled={!canManageRole(r, mine, allRoles)}
                  onChange={(e) => toggle(r, e.target.checked)} />
                {roleName(r)}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      <FormError id={action.errorId}>{action.error}</FormError>
      {done && (
        <p role="status" className="small">
          {done}
        </p>
      )}
      {asking && (
        <RemovalDialog
          api={api}
          member={member}
          kind={asking}
          onClose={() => closeDialog(asking)}
          onDone={(message, minutes) => {
            if (minutes !== undefined) setMember((m) => ({ ...m, timedOutUntil: timeOutUntil(minutes, Date.now()) }));
            setNow(Date.now());
            setDone(message);
            closeDialog(asking);
          }}
        />
      )}
    </li>
  );
}

/** Kick, time out or ban `member`: the time-out's length, an optional reason, then the action. */
function RemovalDialog(props: { api: ServerApi; member: MemberRolesDto; kind: Removal; onClose: () => void; onDone: (message: string, minutes?: number) => void }) {
  const { api, member, kind, onClose, onDone } = props;
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState(60);
  const action = useAction();
  const durationId = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const why = moderationReason(reason);
    void action.run(async () => {
      if (kind === 'kick') {
        await api.kick(member.userId, why);
        onDone(`${member.name} was kicked.`);
      } else if (kind === 'ban') {
        await api.ban(member.userId, why);
        onDone(`${member.name} was banned.`);
      } else {
        await api.timeOut(member.userId, minutes, why);
        onDone(`${member.name} was timed out for ${TimeOutDurations.find((d) => d.minutes === minutes)?.label ?? `${minutes} minutes`}.`, minutes);
      }
    });
  };
  const explanation: Record<Removal, string> = {
    kick: 'Ends every session of theirs; they can sign in again.',
    timeout: 'They cannot post, speak or join voice until it ends.',
    ban: 'Ends every session of theirs and keeps the account from signing in until unbanned.',
  };
  return (
    <Dialog title={`${removalTitles[kind]} ${member.name}`} onClose={onClose}>
      <form className="join-form" onSubmit={submit} aria-label={`${removalTitles[kind]} ${member.name}`} noValidate>
        <p className="muted small">{explanation[kind]}</p>
        {kind === 'timeout' && (
          <>
            <label htmlFor={durationId}>Duration</label>
            <select id={durationId} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))} disabled={action.busy}>
              {TimeOutDurations.map((d) => (
                <option key={d.minutes} value={d.minutes}>
                  {d.label}
                </option>
              ))}
            </select>
          </>
        )}
        <Field label="Reason (optional)" value={reason} onChange={setReason} maxLength={ModerationReasonMax} autoComplete="off" disabled={action.busy} />
        <FormError id={action.errorId}>{action.error}</FormError>
        <div className="dialog-buttons">
          <button type="button" className="link-button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className={kind === 'timeout' ? 'primary' : 'primary danger-button'} disabled={action.busy}>
            {removalTitles[kind]}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

import { useEffect, useId, useState, type FormEvent } from 'react';
import type { ServerApi } from '../../client/serverApi';
import type { ChannelDto, MemberRolesDto, OverrideDto, OverrideTarget, Permission, RoleDto } from '../../protocol/types';
import { channelPermissions, overrideState, PermissionLabels, withOverrideState, type OverrideState } from '../../state/permissions';
import { Field, FormError } from '../Field';
import { applyOverrideChanges } from './overrides';
import { roleName } from './RolesTab';
import { SaveRow } from './SaveRow';
import { useAction } from './useSettings';

interface Target {
  target: OverrideTarget;
  id: string;
  name: string;
}

const key = (t: { target: OverrideTarget; id: string }) => `${t.target}:${t.id}`;
const states: { state: OverrideState; label: string }[] = [
  { state: 'allow', label: 'Allow' },
  { state: 'inherit', label: 'Inherit' },
  { state: 'deny', label: 'Deny' },
];

/**
 * The channel's permission overrides: pick `@everyone`, a role or a member, then allow, deny or inherit each
 * permission that applies to the channel's kind. Saving all-inherit removes the override.
 */
export function OverrideEditor(props: { api: ServerApi; channel: ChannelDto; roles: RoleDto[]; overrides: OverrideDto[]; reload: () => Promise<void> }) {
  const { api, channel, roles, overrides, reload } = props;
  const [members, setMembers] = useState<Target[]>([]);
  const targets: Target[] = [
    ...roles.map((r) => ({ target: 'role' as const, id: r.id, name: roleName(r) })),
    ...overrides.filter((o) => o.target === 'member').map((o) => ({ target: 'member' as const, id: o.id, name: o.name })),
    ...members.filter((m) => !overrides.some((o) => o.target === 'member' && o.id === m.id)),
  ];
  const [selected, setSelected] = useState(targets[0] ? key(targets[0]) : '');
  const target = targets.find((t) => key(t) === selected) ?? targets[0];
  const selectId = useId();

  return (
    <section className="dialog-section join-form" aria-label="Permission overrides">
      <h3>Permissions</h3>
      <p className="muted small">What a role or member may do here, over what their roles give them. Inherit keeps the server-wide setting.</p>
      <label htmlFor={selectId}>Override for</label>
      <select id={selectId} className="override-target" value={target ? key(target) : ''} onChange={(e) => setSelected(e.target.value)}>
        {targets.map((t) => (
          <option key={key(t)} value={key(t)}>
            {t.target === 'member' ? `Member ${t.name}` : t.name}
          </option>
        ))}
      </select>
      <MemberPicker
        api={api}
        onPick={(m) => {
          const t = { target: 'member' as const, id: m.userId, name: m.name };
          setMembers((list) => (list.some((x) => x.id === t.id) ? list : [...list, t]));
          setSelected(key(t));
        }}
      />
      {target && (
        <OverrideForm
          key={key(target)}
          api={api}
          channel={channel}
          target={target}
          existing={overrides.find((o) => key(o) === key(target))}
          reload={reload}
        />
      )}
    </section>
  );
}

function OverrideForm(props: { api: ServerApi; channel: ChannelDto; target: Target; existing: OverrideDto | undefined; reload: () => Promise<void> }) {
  const { api, channel, target, existing, reload } = props;
  const [lists, setLists] = useState<{ allow: Permission[]; deny: Permission[] }>({ allow: existing?.allow ?? [], deny: existing?.deny ?? [] });
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const base = useId();
  // The override changed elsewhere (the Private switch, another manager): show what it is now.
  const allow = existing?.allow.join() ?? '';
  const deny = existing?.deny.join() ?? '';
  useEffect(() => setLists({ allow: existing?.allow ?? [], deny: existing?.deny ?? [] }), [allow, deny]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action
      .run(async () => {
        if (!existing && lists.allow.length === 0 && lists.deny.length === 0) return;
        await applyOverrideChanges(api, channel.id, [{ target: target.target, id: target.id, ...lists }]);
        await reload();
      })
      .then((done) => done && setSaved(true));
  };
  return (
    <form className="override-form" onSubmit={submit} aria-label={`Override for ${target.name}`} noValidate>
      <fieldset disabled={action.busy}>
        <legend>
          {target.name}
          {existing ? '' : ' (no override yet)'}
        </legend>
        {channelPermissions(channel.kind).map((p) => (
          <div key={p} className="override-row" role="radiogroup" aria-label={PermissionLabels[p]}>
            <span className="override-name" aria-hidden="true">
              {PermissionLabels[p]}
            </span>
            {states.map(({ state, label }) => (
              <label key={state} className={`override-choice override-${state}`}>
                <input
                  type="radio"
                  name={`${base}-${p}`}
                  value={state}
                  checked={overrideState(lists, p) === state}
                  onChange={() => {
                    setSaved(false);
                    setLists(withOverrideState(lists, p, state));
                  }}
                />
                {label}
              </label>
            ))}
          </div>
        ))}
      </fieldset>
      <SaveRow action={action} saved={saved} label="Save override" />
    </form>
  );
}

/** Finds a registered member by name to add an override for. */
function MemberPicker({ api, onPick }: { api: ServerApi; onPick: (member: MemberRolesDto) => void }) {
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<MemberRolesDto[] | null>(null);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    e.stopPropagation();
    void action.run(async () => setFound(await api.members(query.trim())), query.trim() ? null : 'Enter part of a username.');
  };
  return (
    <form className="member-picker" role="search" aria-label="Find a member for an override" onSubmit={submit} noValidate>
      <Field label="Add a member" type="search" value={query} onChange={setQuery} maxLength={32} autoComplete="off" placeholder="Part of a username" />
      <button type="submit" className="link-button" disabled={action.busy}>
        Find
      </button>
      <FormError id={action.errorId}>{action.error}</FormError>
      {found && found.length === 0 && <p className="muted small" role="status">No member has a name like that.</p>}
      {found && found.length > 0 && (
        <ul className="found-members" aria-label="Members found">
          {found.map((m) => (
            <li key={m.userId}>
              <button type="button" className="link-button" onClick={() => (onPick(m), setFound(null), setQuery(''))}>
                {m.name}
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}

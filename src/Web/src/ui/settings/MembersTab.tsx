import { useState, type FormEvent } from 'react';
import type { ServerApi } from '../../client/serverApi';
import type { MemberRolesDto, PermissionsDto, RoleDto } from '../../protocol/types';
import { canManageRole } from '../../state/permissions';
import { Field, FormError } from '../Field';
import { roleName } from './RolesTab';
import { useAction } from './useSettings';

/** Finds registered members by name and gives or takes their roles (those below the user's own highest). */
export function MembersTab({ api, roles, mine }: { api: ServerApi; roles: RoleDto[]; mine: PermissionsDto | null }) {
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<MemberRolesDto[] | null>(null);
  const search = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void search.run(async () => setFound(await api.members(query.trim())));
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
  const [member, setMember] = useState(props.member);
  const action = useAction();
  const toggle = (role: RoleDto, on: boolean) =>
    void action.run(async () => {
      if (on) await api.assignRole(member.userId, role.id);
      else await api.unassignRole(member.userId, role.id);
      setMember((m) => ({ ...m, roles: on ? [...m.roles, role.id] : m.roles.filter((id) => id !== role.id) }));
    });
  return (
    <li className="member-role-row" data-user-id={member.userId}>
      <fieldset disabled={action.busy}>
        <legend>{member.name}</legend>
        {roles.length === 0 && <p className="muted small">No roles yet.</p>}
        <div role="group" aria-label={`Roles of ${member.name}`} className="role-checks">
          {roles.map((r) => (
            <label key={r.id} className="check-row">
              <input
                type="checkbox"
                checked={member.roles.includes(r.id)}
                disabled={!canManageRole(r, mine, allRoles)}
                onChange={(e) => toggle(r, e.target.checked)}
              />
              {roleName(r)}
            </label>
          ))}
        </div>
      </fieldset>
      <FormError id={action.errorId}>{action.error}</FormError>
    </li>
  );
}

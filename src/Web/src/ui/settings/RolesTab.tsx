import { useState, type FormEvent } from 'react';
import type { ServerApi } from '../../client/serverApi';
import type { Permission, PermissionsDto, RoleDto } from '../../protocol/types';
import { canManageRole } from '../../state/permissions';
import { Field, FormError } from '../Field';
import { Icon } from '../Icon';
import { PermissionChecklist } from './PermissionChecklist';
import { useAction } from './useSettings';

export const roleName = (role: RoleDto) => (role.everyone ? '@everyone' : role.name);

interface Props {
  api: ServerApi;
  roles: RoleDto[];
  mine: PermissionsDto | null;
  reload: () => Promise<void>;
}

/** The roles, highest first: create one; edit, move or delete those below the user's own highest role. */
export function RolesTab({ api, roles, mine, reload }: Props) {
  return (
    <>
      <NewRoleForm api={api} mine={mine} reload={reload} />
      <section className="dialog-section" aria-labelledby="roles-list-title">
        <h3 id="roles-list-title">Roles</h3>
        <p className="muted small">Higher roles come first; a role can be managed only by members whose highest role is above it.</p>
        <ul className="role-list" aria-label="Roles">
          {roles.map((role, i) => (
            <RoleRow key={role.id} api={api} role={role} above={roles[i - 1]} below={roles[i + 1]} roles={roles} mine={mine} reload={reload} />
          ))}
        </ul>
      </section>
    </>
  );
}

function NewRoleForm({ api, mine, reload }: { api: ServerApi; mine: PermissionsDto | null; reload: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [permissions, setPermissions] = useState<Permission[]>([]);
  const [open, setOpen] = useState(false);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action
      .run(async () => {
        await api.createRole(name.trim(), permissions);
        await reload();
        setName('');
        setPermissions([]);
      }, name.trim() ? null : 'Give the role a name.')
      .then((done) => done && setOpen(false));
  };
  return (
    <form className="dialog-section join-form" onSubmit={submit} aria-label="New role" noValidate>
      <h3>New role</h3>
      <Field label="Role name" value={name} onChange={setName} maxLength={32} autoComplete="off" disabled={action.busy}
        {...(action.error ? { 'aria-invalid': true, 'aria-describedby': action.errorId } : {})} />
      <button type="button" className="link-button align-start" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {open ? 'Hide permissions' : `Permissions (${permissions.length})`}
      </button>
      {open && <PermissionChecklist legend="Permissions of the new role" value={permissions} onChange={setPermissions} mine={mine} disabled={action.busy} />}
      <FormError id={action.errorId}>{action.error}</FormError>
      <button type="submit" className="primary" disabled={action.busy}>
        Create role
      </button>
    </form>
  );
}

function RoleRow(props: { api: ServerApi; role: RoleDto; above?: RoleDto; below?: RoleDto; roles: RoleDto[]; mine: PermissionsDto | null; reload: () => Promise<void> }) {
  const { api, role, above, below, roles, mine, reload } = props;
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const name = roleName(role);
  const manageable = canManageRole(role, mine, roles);
  // Roles move among the others; @everyone stays last, and a role cannot be moved above the user's own.
  const canUp = manageable && !role.everyone && above !== undefined && canManageRole(above, mine, roles);
  const canDown = manageable && !role.everyone && below !== undefined && !below.everyone;
  const change = (work: () => Promise<unknown>) =>
    void action.run(async () => {
      await work();
      await reload();
    });

  return (
    <li className="role-row" data-role-id={role.id}>
      <div className="role-line">
        <span className="role-name">{name}</span>
        <span className="muted small">{role.permissions.length} permissions</span>
        <div className="row-buttons">
          <button type="button" className="icon-button" aria-label={`Edit ${name}`} title="Edit" aria-expanded={editing} disabled={!manageable} onClick={() => setEditing((e) => !e)}>
            <Icon name="edit" size={16} />
          </button>
          {!role.everyone && (
            <>
              <button type="button" className="icon-button" aria-label={`Move ${name} up`} title="Move up" disabled={!canUp || action.busy}
                onClick={() => change(() => api.updateRole(role.id, { position: above!.position }))}>
                <Icon name="up" size={16} />
              </button>
              <button type="button" className="icon-button" aria-label={`Move ${name} down`} title="Move down" disabled={!canDown || action.busy}
                onClick={() => change(() => api.updateRole(role.id, { position: below!.position }))}>
                <Icon name="down" size={16} />
              </button>
              <button type="button" className="icon-button danger" aria-label={`Delete ${name}`} title="Delete" disabled={!manageable || action.busy}
                onClick={() => setConfirming(true)}>
                <Icon name="trash" size={16} />
              </button>
            </>
          )}
        </div>
      </div>
      {confirming && (
        <div className="dialog-buttons" role="group" aria-label={`Delete ${name}?`}>
          <span className="small">Delete {name}? Members lose what it gave them.</span>
          <button type="button" className="link-button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
          <button type="button" className="primary danger-button" disabled={action.busy} onClick={() => change(() => api.deleteRole(role.id))}>
            Delete role
          </button>
        </div>
      )}
      <FormError id={action.errorId}>{action.error}</FormError>
      {editing && <RoleEditor api={api} role={role} mine={mine} reload={reload} onDone={() => setEditing(false)} />}
    </li>
  );
}

function RoleEditor({ api, role, mine, reload, onDone }: { api: ServerApi; role: RoleDto; mine: PermissionsDto | null; reload: () => Promise<void>; onDone: () => void }) {
  const [name, setName] = useState(role.name);
  const [permissions, setPermissions] = useState<Permission[]>(role.permissions);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const change = role.everyone ? { permissions } : { name: name.trim(), permissions };
    void action
      .run(async () => {
        await api.updateRole(role.id, change);
        await reload();
      }, role.everyone || name.trim() ? null : 'Give the role a name.')
      .then((done) => done && onDone());
  };
  return (
    <form className="join-form role-editor" onSubmit={submit} aria-label={`Edit ${roleName(role)}`} noValidate>
      {!role.everyone && <Field label="Name" value={name} onChange={setName} maxLength={32} autoComplete="off" disabled={action.busy} />}
      <PermissionChecklist legend={`Permissions of ${roleName(role)}`} value={permissions} onChange={setPermissions} mine={mine} disabled={action.busy} />
      <FormError id={action.errorId}>{action.error}</FormError>
      <div className="dialog-buttons">
        <button type="button" className="link-button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={action.busy}>
          Save
        </button>
      </div>
    </form>
  );
}

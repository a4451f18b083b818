import type { ServerApi } from '../../client/serverApi';
import type { ChannelDto, OverrideDto, RoleDto } from '../../protocol/types';
import { isPrivate, planPrivacy, privateAccess, rolesAllowedToView, PermissionLabels } from '../../state/permissions';
import { FormError } from '../Field';
import { applyOverrideChanges } from './overrides';
import { useAction } from './useSettings';

/**
 * The "Private" switch: on, `@everyone` may not see the channel and the roles ticked below may (each change is
 * sent at once); off, everyone sees it again.
 */
export function PrivacyEditor(props: { api: ServerApi; channel: ChannelDto; roles: RoleDto[]; overrides: OverrideDto[]; reload: () => Promise<void> }) {
  const { api, channel, roles, overrides, reload } = props;
  const action = useAction();
  const on = isPrivate(overrides);
  const allowed = rolesAllowedToView(overrides);
  const apply = (makePrivate: boolean, roleIds: string[]) =>
    void action.run(async () => {
      await applyOverrideChanges(api, channel.id, planPrivacy(channel.kind, overrides, makePrivate, roleIds));
      await reload();
    });
  const access = privateAccess(channel.kind).map((p) => PermissionLabels[p].toLowerCase()).join(', ');

  return (
    <section className="dialog-section" aria-label="Privacy">
      <label className="check-row switch-row">
        <input type="checkbox" role="switch" checked={on} disabled={action.busy} onChange={(e) => apply(e.target.checked, allowed)} />
        Private channel
      </label>
      <p className="muted small">
        {on ? `Only the roles ticked here (and administrators) can see it; they may ${access}.` : 'Everyone can see this channel.'}
      </p>
      {on && (
        <fieldset className="role-checks" disabled={action.busy}>
          <legend>Roles that can see it</legend>
          {roles.filter((r) => !r.everyone).length === 0 && <p className="muted small">No roles yet: create one in the server settings.</p>}
          {roles
            .filter((r) => !r.everyone)
            .map((r) => (
              <label key={r.id} className="check-row">
                <input
                  type="checkbox"
                  checked={allowed.includes(r.id)}
                  onChange={(e) => apply(true, e.target.checked ? [...allowed, r.id] : allowed.filter((id) => id !== r.id))}
                />
                {r.name}
              </label>
            ))}
        </fieldset>
      )}
      {action.busy && <p className="muted small" role="status">Saving…</p>}
      <FormError id={action.errorId}>{action.error}</FormError>
    </section>
  );
}

import { PermissionNames, type Permission, type PermissionsDto } from '../../protocol/types';
import { canGrant, PermissionLabels } from '../../state/permissions';

/**
 * A role's permissions as checkboxes; one the user does not hold cannot be granted (its box is disabled while
 * unchecked) but can be taken away.
 */
export function PermissionChecklist(props: {
  legend: string;
  value: Permission[];
  onChange: (value: Permission[]) => void;
  mine: PermissionsDto | null;
  disabled?: boolean;
}) {
  const { legend, value, onChange, mine, disabled } = props;
  const toggle = (p: Permission, on: boolean) => onChange(PermissionNames.filter((x) => (x === p ? on : value.includes(x))));
  return (
    <fieldset className="permission-list" disabled={disabled}>
      <legend>{legend}</legend>
      {PermissionNames.map((p) => {
        const checked = value.includes(p);
        return (
          <label key={p} className="check-row">
            <input
              type="checkbox"
              name={p}
              checked={checked}
              disabled={!checked && !canGrant(mine, p)}
              onChange={(e) => toggle(p, e.target.checked)}
            />
            {PermissionLabels[p]}
          </label>
        );
      })}
    </fieldset>
  );
}

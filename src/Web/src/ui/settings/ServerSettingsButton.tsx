import { useRef, useState } from 'react';
import { canOpenServerSettings } from '../../state/permissions';
import type { State } from '../../state/store';
import { useChatState } from '../context';
import { Icon } from '../Icon';
import { ServerSettingsDialog } from './ServerSettingsDialog';

const selectCanManage = (s: State) => canOpenServerSettings(s.permissions);

/** The sidebar's gear, for those who manage roles or channels; opens the server settings. */
export function ServerSettingsButton() {
  const canManage = useChatState(selectCanManage);
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  if (!canManage) return null;
  return (
    <>
      <button type="button" className="icon-button" ref={button} aria-label="Server settings" title="Server settings" onClick={() => setOpen(true)}>
        <Icon name="gear" />
      </button>
      {open && (
        <ServerSettingsDialog
          onClose={() => {
            setOpen(false);
            button.current?.focus();
          }}
        />
      )}
    </>
  );
}

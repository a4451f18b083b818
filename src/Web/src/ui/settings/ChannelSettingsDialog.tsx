import type { ChannelDto } from '../../protocol/types';
import { channelAllows } from '../../state/permissions';
import { useChat } from '../context';
import { Dialog } from '../Dialog';
import { ChannelDetails } from './ChannelDetails';
import { OverrideEditor } from './OverrideEditor';
import { useOverrides } from './overrides';
import { PrivacyEditor } from './PrivacyEditor';
import { useRoles } from './useSettings';

/**
 * A channel's settings (its gear in the channel list): with manageRoles there, who can see it (Private) and its
 * permission overrides; with manageChannels, its name and topic, and deleting it.
 */
export function ChannelSettingsDialog({ channel, onClose }: { channel: ChannelDto; onClose: () => void }) {
  const { api } = useChat();
  const manageRoles = channelAllows(channel, 'manageRoles');
  const manageChannels = channelAllows(channel, 'manageChannels');
  const { roles, error: rolesError } = useRoles(api);
  const { overrides, error, reload } = useOverrides(api, channel.id, manageRoles);
  const loadError = error ?? rolesError;

  return (
    <Dialog title="Channel settings" onClose={onClose} className="wide-dialog">
      <p className="channel-settings-name">
        {channel.kind === 'voice' ? 'Voice' : 'Text'} channel <strong>{channel.name}</strong>
      </p>
      {loadError && (
        <p className="field-error" role="alert">
          {loadError}
        </p>
      )}
      {manageRoles && roles && overrides && (
        <>
          <PrivacyEditor api={api} channel={channel} roles={roles} overrides={overrides} reload={reload} />
          <OverrideEditor api={api} channel={channel} roles={roles} overrides={overrides} reload={reload} />
        </>
      )}
      {manageRoles && (!roles || !overrides) && !loadError && <p className="muted" role="status">Loading…</p>}
      {manageChannels && <ChannelDetails api={api} channel={channel} onDeleted={onClose} />}
    </Dialog>
  );
}

import { useId, useState } from 'react';
import type { ChannelDto, VoiceMemberDto } from '../protocol/types';
import { describeError, parseHubError } from '../protocol/errors';
import { ModerationLabels, ModerationReasonMax, moderationReason, voiceModerations, type VoiceModeration } from '../state/moderation';
import { useChat, useChatState } from './context';
import { Dialog } from './Dialog';
import { Field, FormError } from './Field';
import type { State } from '../state/store';

const selectChannels = (s: State) => s.channels;

/**
 * A moderator's menu for one voice member: server mute or unmute and deafen or undeafen (muteMembers), disconnect and
 * move to another voice channel (moveMembers), each with an optional reason. It closes once the server has done it.
 */
export function VoiceModerationDialog({ channel, member, onClose }: { channel: ChannelDto; member: VoiceMemberDto; onClose: () => void }) {
  const { client } = useChat();
  const channels = useChatState(selectChannels);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();
  const { actions, moveTo } = voiceModerations(channel, channels, member);
  const muted = member.serverMuted === true;
  const deafened = member.serverDeafened === true;

  const run = async (work: (reason: string | null) => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work(moderationReason(reason));
      onClose();
    } catch (e) {
      setError(describeError(parseHubError(e)));
      setBusy(false);
    }
  };
  const moderate = (action: Exclude<VoiceModeration, 'move'>) => () =>
    void run((r) => {
      if (action === 'disconnect') return client.disconnectVoiceMember(channel.id, member.userId, r);
      const mute = action === 'mute' ? true : action === 'unmute' ? false : muted;
      const deafen = action === 'deafen' ? true : action === 'undeafen' ? false : deafened;
      return client.moderateVoice(channel.id, member.userId, mute, deafen, r);
    });

  return (
    <Dialog title={`Moderate ${member.displayName}`} onClose={onClose}>
      <div className="dialog-section join-form voice-moderation">
        <Field label="Reason (optional)" value={reason} onChange={setReason} maxLength={ModerationReasonMax} autoComplete="off" disabled={busy}
          {...(error ? { 'aria-invalid': true, 'aria-describedby': errorId } : {})} />
        <FormError id={errorId}>{error}</FormError>
        <div className="moderation-actions" role="group" aria-label={`Actions on ${member.displayName}`}>
          {actions
            .filter((a): a is Exclude<VoiceModeration, 'move'> => a !== 'move')
            .map((a) => (
              <button key={a} type="button" className={a === 'disconnect' ? 'primary danger-button' : 'primary'} disabled={busy} onClick={moderate(a)}>
                {ModerationLabels[a]}
              </button>
            ))}
        </div>
        {actions.includes('move') && (
          <fieldset className="moderation-move">
            <legend>{ModerationLabels.move}</legend>
            {moveTo.map((c) => (
              <button key={c.id} type="button" className="link-button align-start" disabled={busy}
                onClick={() => void run((r) => client.moveVoiceMember(channel.id, member.userId, c.id, r))}>
                {`Move to ${c.name}`}
              </button>
            ))}
          </fieldset>
        )}
      </div>
    </Dialog>
  );
}

import { useRef, useState } from 'react';
import { unreadCount, unreadMentions, type State } from '../state/store';
import type { ChannelDto, VoiceMemberDto } from '../protocol/types';
import { canOpenChannelSettings, channelAllows, highestPosition, timeOutNotice } from '../state/permissions';
import { mayActOn, moderatesVoice } from '../state/moderation';
import { useChat, useChatState } from './context';
import { ChannelSettingsDialog } from './settings/ChannelSettingsDialog';
import { Avatar } from './Avatar';
import { Icon } from './Icon';
import { VoiceModerationDialog } from './VoiceModerationDialog';

const selectChannels = (s: State) => s.channels;
const selectViews = (s: State) => s.views;
const selectActive = (s: State) => s.activeChannelId;
const selectMe = (s: State) => s.me?.id ?? null;
const selectMyPosition = (s: State) => highestPosition(s.permissions, []);
const selectVoiceChannel = (s: State) => (s.voice.phase === 'idle' ? null : s.voice.channelId);

/**
 * Text channels (with unread counts) and voice channels (with who is in each); a voice channel the user may not
 * connect to (or not while timed out, which its label says) has no join button. Those who manage a channel's roles or the channel get its gear.
 */
export function ChannelList({ onSelected }: { onSelected: () => void }) {
  const { client, voice } = useChat();
  const channels = useChatState(selectChannels);
  const views = useChatState(selectViews);
  const activeId = useChatState(selectActive);
  const me = useChatState(selectMe);
  const voiceChannelId = useChatState(selectVoiceChannel);
  const timedOut = useChatState((s) => timeOutNotice(s.permissions));
  const text = channels.filter((c) => c.kind === 'text');
  const voiceChannels = channels.filter((c) => c.kind === 'voice');
  const [settingsFor, setSettingsFor] = useState<string | null>(null);
  const gear = useRef<HTMLButtonElement | null>(null);
  // A channel that disappears (deleted, or hidden from this user) takes its settings with it.
  const settingsChannel = channels.find((c) => c.id === settingsFor);
  const settingsButton = (c: ChannelDto) =>
    canOpenChannelSettings(c) && (
      <button
        type="button"
        className="icon-button channel-gear"
        aria-label={`Settings for ${c.name}`}
        title="Channel settings"
        onClick={(e) => {
          gear.current = e.currentTarget;
          setSettingsFor(c.id);
        }}
      >
        <Icon name="gear" size={16} />
      </button>
    );

  return (
    <nav className="channels" aria-label="Channels">
      <h2 className="section-title" id="text-channels-title">
        Text channels
      </h2>
      <ul className="channel-group" aria-labelledby="text-channels-title">
        {text.map((c) => {
          const unread = c.id === activeId ? 0 : unreadCount(views[c.id], me);
          const mentions = c.id === activeId ? 0 : unreadMentions(views[c.id], me);
          const mentionLabel = mentions === 1 ? '1 mention' : `${mentions} mentions`;
          return (
            <li key={c.id}>
              <button
                type="button"
                className="channel"
                data-channel-id={c.id}
                data-unread={unread > 0 ? unread : undefined}
                data-mentions={mentions > 0 ? mentions : undefined}
                aria-label={mentions > 0 ? `Text channel ${c.name}, ${mentionLabel}` : `Text channel ${c.name}`}
                aria-current={c.id === activeId ? 'page' : undefined}
                title={unread > 0 ? `${c.name}: ${unread} new${mentions > 0 ? `, ${mentionLabel}` : ''}` : c.topic || c.name}
                onClick={() => {
                  client.selectChannel(c.id);
                  onSelected();
                }}
              >
                <Icon name="hash" size={18} />
                <span className="channel-name">{c.name}</span>
                {mentions > 0 ? (
                  <span className="badge mention" aria-hidden="true">
                    @{mentions > 99 ? '99+' : mentions}
                  </span>
                ) : (
                  unread > 0 && (
                    <span className="badge" aria-hidden="true">
                      {unread > 99 ? '99+' : unread}
                    </span>
                  )
                )}
              </button>
              {settingsButton(c)}
            </li>
          );
        })}
      </ul>
      <h2 className="section-title" id="voice-channels-title">
        Voice channels
      </h2>
      <ul className="channel-group" aria-labelledby="voice-channels-title">
        {voiceChannels.map((c) => (
          <li key={c.id}>
            {channelAllows(c, 'connect') ? (
              <button
                type="button"
                className="channel"
                data-channel-id={c.id}
                aria-label={`Voice channel ${c.name}`}
                aria-current={c.id === voiceChannelId ? 'true' : undefined}
                title={c.id === voiceChannelId ? `In ${c.name}` : `Join ${c.name}`}
                onClick={() => {
                  void voice.join(c.id);
                  onSelected();
                }}
              >
                <Icon name="speaker" size={18} />
                <span className="channel-name">{c.name}</span>
              </button>
            ) : (
              <span className="channel no-entry" data-channel-id={c.id} title={timedOut ?? 'You cannot connect to this channel'}>
                <Icon name="lock" size={18} />
                <span className="channel-name">{c.name}</span>
                <span className="sr-only">{timedOut ? `(voice channel; ${timedOut})` : '(voice channel; you cannot connect)'}</span>
              </span>
            )}
            {settingsButton(c)}
            <VoiceMembers channel={c} members={views[c.id]?.voice ?? []} />
          </li>
        ))}
      </ul>
      {settingsChannel && (
        <ChannelSettingsDialog
          channel={settingsChannel}
          onClose={() => {
            setSettingsFor(null);
            gear.current?.focus();
          }}
        />
      )}
    </nav>
  );
}

/**
 * Who is in a voice channel, with their mute, deafen and speaking state; a moderator there (muteMembers or
 * moveMembers) gets a menu on each member they may act on (docs/web.md). The server judges ranks it alone knows.
 */
function VoiceMembers({ channel, members }: { channel: ChannelDto; members: VoiceMemberDto[] }) {
  const me = useChatState(selectMe);
  const myPosition = useChatState(selectMyPosition);
  const [menuFor, setMenuFor] = useState<string | null>(null);
  const opener = useRef<HTMLButtonElement | null>(null);
  if (members.length === 0) return null;
  const moderates = moderatesVoice(channel);
  const menuMember = members.find((m) => m.userId === menuFor);
  return (
    <>
    <ul className="voice-members" aria-label={`In ${channel.name}`}>
      {members.map((m) => (
        <li
          key={m.userId}
          className="voice-member"
          data-user-id={m.userId}
          data-speaking={m.speaking ? 'true' : 'false'}
          data-muted={m.muted ? 'true' : 'false'}
          data-deafened={m.deafened ? 'true' : 'false'}
          data-suppressed={m.suppressed ? 'true' : 'false'}
          data-server-deafened={m.serverDeafened ? 'true' : 'false'}
        >
          <Avatar userId={m.userId} name={m.displayName} size={24} speaking={m.speaking} />
          <span className="voice-member-name">{m.displayName}</span>
          {m.speaking && <span className="sr-only">(speaking)</span>}
          {m.suppressed ? (
            <span className="state-icon suppressed" role="img" aria-label="Cannot speak here" title="Cannot speak in this channel">
              <Icon name="micBlocked" size={14} />
            </span>
          ) : (
            m.muted && (
              <span className="state-icon" role="img" aria-label="Muted" title="Muted">
                <Icon name="micOff" size={14} />
              </span>
            )
          )}
          {m.serverDeafened ? (
            <span className="state-icon suppressed" role="img" aria-label="Server deafened" title="Deafened by a moderator">
              <Icon name="headphonesBlocked" size={14} />
            </span>
          ) : (
            m.deafened && (
              <span className="state-icon" role="img" aria-label="Deafened" title="Deafened">
                <Icon name="headphonesOff" size={14} />
              </span>
            )
          )}
          {moderates && mayActOn(me, myPosition, m.userId) && (
            <button
              type="button"
              className="icon-button voice-member-menu"
              aria-label={`Moderate ${m.displayName}`}
              aria-haspopup="dialog"
              title="Moderate"
              onClick={(e) => {
                opener.current = e.currentTarget;
                setMenuFor(m.userId);
              }}
            >
              <Icon name="sliders" size={14} />
            </button>
          )}
        </li>
      ))}
    </ul>
      {moderates && menuMember && (
        <VoiceModerationDialog
          channel={channel}
          member={menuMember}
          onClose={() => {
            setMenuFor(null);
            opener.current?.focus();
          }}
        />
      )}
    </>
  );
}

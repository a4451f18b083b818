import { unreadCount, type State } from '../state/store';
import type { ChannelDto, VoiceMemberDto } from '../protocol/types';
import { useChat, useChatState } from './context';
import { Avatar } from './Avatar';
import { Icon } from './Icon';

const selectChannels = (s: State) => s.channels;
const selectViews = (s: State) => s.views;
const selectActive = (s: State) => s.activeChannelId;
const selectMe = (s: State) => s.me?.id ?? null;
const selectVoiceChannel = (s: State) => (s.voice.phase === 'idle' ? null : s.voice.channelId);

/** Text channels (with unread counts) and voice channels (with who is in each). */
export function ChannelList({ onSelected }: { onSelected: () => void }) {
  const { client, voice } = useChat();
  const channels = useChatState(selectChannels);
  const views = useChatState(selectViews);
  const activeId = useChatState(selectActive);
  const me = useChatState(selectMe);
  const voiceChannelId = useChatState(selectVoiceChannel);
  const text = channels.filter((c) => c.kind === 'text');
  const voiceChannels = channels.filter((c) => c.kind === 'voice');

  return (
    <nav className="channels" aria-label="Channels">
      <h2 className="section-title" id="text-channels-title">
        Text channels
      </h2>
      <ul className="channel-group" aria-labelledby="text-channels-title">
        {text.map((c) => {
          const unread = c.id === activeId ? 0 : unreadCount(views[c.id], me);
          return (
            <li key={c.id}>
              <button
                type="button"
                className="channel"
                data-channel-id={c.id}
                data-unread={unread > 0 ? unread : undefined}
                aria-label={`Text channel ${c.name}`}
                aria-current={c.id === activeId ? 'page' : undefined}
                title={unread > 0 ? `${c.name}: ${unread} new` : c.topic || c.name}
                onClick={() => {
                  client.selectChannel(c.id);
                  onSelected();
                }}
              >
                <Icon name="hash" size={18} />
                <span className="channel-name">{c.name}</span>
                {unread > 0 && (
                  <span className="badge" aria-hidden="true">
                    {unread > 99 ? '99+' : unread}
                  </span>
                )}
              </button>
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
            <VoiceMembers channel={c} members={views[c.id]?.voice ?? []} />
          </li>
        ))}
      </ul>
    </nav>
  );
}

function VoiceMembers({ channel, members }: { channel: ChannelDto; members: VoiceMemberDto[] }) {
  if (members.length === 0) return null;
  return (
    <ul className="voice-members" aria-label={`In ${channel.name}`}>
      {members.map((m) => (
        <li
          key={m.userId}
          className="voice-member"
          data-user-id={m.userId}
          data-speaking={m.speaking ? 'true' : 'false'}
          data-muted={m.muted ? 'true' : 'false'}
          data-deafened={m.deafened ? 'true' : 'false'}
        >
          <Avatar userId={m.userId} name={m.displayName} size={24} speaking={m.speaking} />
          <span className="voice-member-name">{m.displayName}</span>
          {m.speaking && <span className="sr-only">(speaking)</span>}
          {m.muted && (
            <span className="state-icon" role="img" aria-label="Muted" title="Muted">
              <Icon name="micOff" size={14} />
            </span>
          )}
          {m.deafened && (
            <span className="state-icon" role="img" aria-label="Deafened" title="Deafened">
              <Icon name="headphonesOff" size={14} />
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

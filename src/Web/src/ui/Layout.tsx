import { useCallback, useEffect, useState } from 'react';
import { fetchServerInfo } from '../client/session';
import { ChannelList } from './ChannelList';
import { ConnectionBanner } from './ConnectionBanner';
import { useChat, useChatState } from './context';
import { Icon } from './Icon';
import { MemberList } from './MemberList';
import { MessagePane } from './MessagePane';
import { ServerSettingsButton } from './settings/ServerSettingsButton';
import { ThemeToggle } from './ThemeToggle';
import { UserBar } from './UserBar';
import { VoicePanel } from './VoicePanel';

const narrow = '(max-width: 760px)';
const medium = '(max-width: 1100px)';

function useMedia(query: string): boolean {
  const [matches, setMatches] = useState(() => window.matchMedia?.(query).matches ?? false);
  useEffect(() => {
    const list = window.matchMedia?.(query);
    if (!list) return;
    const change = () => setMatches(list.matches);
    list.addEventListener('change', change);
    return () => list.removeEventListener('change', change);
  }, [query]);
  return matches;
}

/**
 * Three columns: channels (with voice and the user bar), messages, members. On a phone the channel list is a
 * drawer from the left and the member list one from the right; below 1100 px the member list is a drawer too.
 */
export function Layout() {
  const { prefs, setPrefs, store } = useChat();
  const isNarrow = useMedia(narrow);
  const isMedium = useMedia(medium);
  const [channelsOpen, setChannelsOpen] = useState(false);
  const [membersOpen, setMembersOpen] = useState(!isMedium);
  const active = useChatState((s) => s.channels.find((c) => c.id === s.activeChannelId) ?? null);
  const voicePhase = useChatState((s) => s.voice.phase);
  const voiceChannel = useChatState((s) => s.channels.find((c) => c.id === s.voice.channelId)?.name ?? null);

  const serverName = useChatState((s) => s.serverName) ?? 'OpenChat';
  // The name at start; a change later comes as ServerUpdated.
  useEffect(() => {
    void fetchServerInfo().then((info) => info && store.getState().serverName === null && store.dispatch({ type: 'server', settings: info }));
  }, [store]);

  useEffect(() => setMembersOpen(!isMedium), [isMedium]);
  useEffect(() => {
    if (!isNarrow) setChannelsOpen(false);
  }, [isNarrow]);

  const closeDrawers = useCallback(() => {
    if (isNarrow) setChannelsOpen(false);
    if (isMedium) setMembersOpen(false);
  }, [isNarrow, isMedium]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && (channelsOpen || (isMedium && membersOpen))) closeDrawers();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [channelsOpen, membersOpen, isMedium, closeDrawers]);

  const drawerOpen = (isNarrow && channelsOpen) || (isMedium && membersOpen);

  return (
    <div
      className="app"
      data-channels={isNarrow ? (channelsOpen ? 'open' : 'closed') : 'docked'}
      data-members={membersOpen ? (isMedium ? 'open' : 'docked') : 'closed'}
    >
      <ConnectionBanner />
      <aside className="sidebar" id="channel-drawer" aria-label="Server" inert={isNarrow && !channelsOpen ? true : undefined}>
        <div className="sidebar-head">
          <span className="server-name">{serverName}</span>
          <ServerSettingsButton />
          {isNarrow && (
            <button type="button" className="icon-button" aria-label="Close channel list" onClick={() => setChannelsOpen(false)}>
              <Icon name="close" />
            </button>
          )}
        </div>
        <ChannelList onSelected={() => isNarrow && setChannelsOpen(false)} />
        <VoicePanel />
        <UserBar />
      </aside>
      <header className="topbar">
        {isNarrow && (
          <button
            type="button"
            className="icon-button"
            aria-label="Open channel list"
            aria-controls="channel-drawer"
            aria-expanded={channelsOpen}
            onClick={() => setChannelsOpen(true)}
          >
            <Icon name="menu" />
          </button>
        )}
        <h1 className="channel-title">
          {active ? (
            <>
              <Icon name="hash" size={18} />
              <span>{active.name}</span>
            </>
          ) : (
            serverName
          )}
        </h1>
        {active?.topic && <p className="channel-topic">{active.topic}</p>}
        <div className="topbar-actions">
          {isNarrow && voicePhase !== 'idle' && (
            // On a phone the voice panel is in the drawer: this shows that voice is on and opens it.
            <button
              type="button"
              className={`icon-button voice-badge voice-${voicePhase}`}
              aria-label={`Open voice panel (${voiceChannel ?? 'voice'})`}
              aria-controls="channel-drawer"
              title={voiceChannel ?? undefined}
              onClick={() => setChannelsOpen(true)}
            >
              <Icon name="speaker" />
            </button>
          )}
          <button
            type="button"
            className="icon-button"
            aria-label="Show members"
            aria-pressed={membersOpen}
            aria-controls="member-panel"
            onClick={() => setMembersOpen((o) => !o)}
          >
            <Icon name="users" />
          </button>
          <ThemeToggle prefs={prefs} setPrefs={setPrefs} />
        </div>
      </header>
      <MessagePane />
      <aside className="members" id="member-panel" aria-label="Members" inert={!membersOpen ? true : undefined}>
        <MemberList />
      </aside>
      {drawerOpen && <button type="button" className="scrim" aria-label="Close panel" tabIndex={-1} onClick={closeDrawers} />}
    </div>
  );
}

// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ChatClient } from '../client/chatClient';
import type { ServerApi } from '../client/serverApi';
import { defaultPreferences } from '../client/storage';
import type { ChannelDto, RoleDto } from '../protocol/types';
import { createStore, type Store } from '../state/createStore';
import { initialState } from '../state/store';
import type { Microphone } from '../voice/microphone';
import type { VoiceSession } from '../voice/voiceSession';
import { ChannelList } from './ChannelList';
import { ChatContext, type Chat } from './context';
import { MessagePane } from './MessagePane';
import { ServerSettingsButton } from './settings/ServerSettingsButton';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;
let store: Store;

beforeEach(() => {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  store = createStore(initialState());
  store.dispatch({ type: 'me', user: { id: 'me', displayName: 'Me' } });
  store.dispatch({ type: 'connection', status: 'connected' });
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

const text = (permissions: ChannelDto['permissions']): ChannelDto => ({ id: 'news', name: 'news', kind: 'text', position: 0, topic: '', permissions });
const voice = (permissions: ChannelDto['permissions']): ChannelDto => ({ id: 'stage', name: 'stage', kind: 'voice', position: 1, topic: '', permissions });
const crew: RoleDto = { id: 'crew', name: 'Crew', position: 1, permissions: [], color: null, everyone: false };
const everyone: RoleDto = { id: 'everyone', name: '@everyone', position: 0, permissions: ['viewChannel'], color: null, everyone: true };

function render(node: React.ReactNode, api: Partial<ServerApi> = {}) {
  const chat: Chat = {
    store,
    client: { selectChannel: () => {} } as unknown as ChatClient,
    voice: { join: vi.fn() } as unknown as VoiceSession,
    microphone: {} as Microphone,
    api: { roles: async () => [everyone, crew], ...api } as ServerApi,
    prefs: defaultPreferences,
    setPrefs: () => {},
    talking: false,
    changeName: () => {},
    signOut: () => {},
  };
  act(() => root.render(<ChatContext.Provider value={chat}>{node}</ChatContext.Provider>));
}

const byLabel = (label: string) => container.querySelector(`[aria-label="${label}"]`);

describe('what the user may not do is not offered', () => {
  test('without sendMessages there is no composer, but a line saying so', () => {
    store.dispatch({ type: 'channels', channels: [text(['viewChannel', 'readHistory'])] });
    store.dispatch({ type: 'selectChannel', channelId: 'news' });
    render(<MessagePane />);
    expect(container.querySelector('textarea')).toBeNull();
    expect(container.querySelector('[role="note"]')!.textContent).toBe('You cannot send messages here.');
    act(() => store.dispatch({ type: 'channels', channels: [text(['viewChannel', 'readHistory', 'sendMessages'])] }));
    expect(container.querySelector('textarea')).not.toBeNull();
  });

  test('a voice channel without connect has no join button; a suppressed member shows the cannot-speak icon', () => {
    store.dispatch({ type: 'channels', channels: [voice(['viewChannel'])] });
    store.dispatch({
      type: 'voiceMembers',
      channelId: 'stage',
      members: [{ userId: 'u1', displayName: 'Ann', muted: false, deafened: false, speaking: false, suppressed: true }],
    });
    render(<ChannelList onSelected={() => {}} />);
    expect(byLabel('Voice channel stage')).toBeNull();
    expect(container.querySelector('[data-channel-id="stage"]')!.textContent).toContain('you cannot connect');
    const ann = container.querySelector('li.voice-member')!;
    expect(ann.getAttribute('data-suppressed')).toBe('true');
    expect(ann.querySelector('[aria-label="Cannot speak here"]')).not.toBeNull();
    expect(ann.querySelector('[aria-label="Muted"]')).toBeNull();
    act(() => store.dispatch({ type: 'channels', channels: [voice(['viewChannel', 'connect'])] }));
    expect(byLabel('Voice channel stage')).not.toBeNull();
  });

  test('the channel gear is there only with manageRoles or manageChannels in that channel', () => {
    store.dispatch({ type: 'channels', channels: [text(['viewChannel', 'sendMessages']), voice(['viewChannel', 'connect', 'manageRoles'])] });
    render(<ChannelList onSelected={() => {}} />);
    expect(byLabel('Settings for news')).toBeNull();
    expect(byLabel('Settings for stage')).not.toBeNull();
  });

  test('the server settings open only for those who manage roles or channels, with the tabs they may use', async () => {
    render(<ServerSettingsButton />);
    expect(byLabel('Server settings')).toBeNull();
    act(() => store.dispatch({ type: 'permissions', permissions: { server: ['manageChannels'], owner: false, roles: [] } }));
    await act(async () => (byLabel('Server settings') as HTMLButtonElement).click());
    const tabs = [...container.querySelectorAll('[role="tab"]')].map((t) => t.textContent);
    expect(tabs).toEqual(['Channels']);
    act(() => store.dispatch({ type: 'permissions', permissions: { server: [], owner: true, roles: [] } }));
    await act(async () => {});
    expect([...container.querySelectorAll('[role="tab"]')].map((t) => t.textContent)).toEqual(['Roles', 'Members', 'Channels']);
    await act(async () => (container.querySelector('[role="tab"]') as HTMLButtonElement).click());
    expect(container.querySelector('[role="tab"][aria-selected="true"]')!.textContent).toBe('Roles');
    expect([...container.querySelectorAll('ul[aria-label="Roles"] .role-name')].map((r) => r.textContent)).toEqual(['Crew', '@everyone']);
    // @everyone can be edited but not moved or deleted.
    expect(byLabel('Delete @everyone')).toBeNull();
    expect(byLabel('Delete Crew')).not.toBeNull();
  });
});

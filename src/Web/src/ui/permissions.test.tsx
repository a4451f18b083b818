// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ChatClient } from '../client/chatClient';
import type { ServerApi } from '../client/serverApi';
import { defaultPreferences } from '../client/storage';
import type { ChannelDto, OverrideDto, Permission, RoleDto } from '../protocol/types';
import { createStore, type Store } from '../state/createStore';
import { initialState } from '../state/store';
import type { Microphone } from '../voice/microphone';
import type { VoiceSession } from '../voice/voiceSession';
import { ChannelList } from './ChannelList';
import { ChatContext, type Chat } from './context';
import { MessagePane } from './MessagePane';
import { ChannelSettingsDialog } from './settings/ChannelSettingsDialog';
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

function render(node: React.ReactNode, api: Partial<ServerApi> = {}, client: Partial<ChatClient> = {}) {
  const chat: Chat = {
    store,
    client: { selectChannel: () => {}, ...client } as unknown as ChatClient,
    voice: { join: vi.fn() } as unknown as VoiceSession,
    microphone: {} as Microphone,
    api: { roles: async () => [everyone, crew], settings: async () => ({ name: 'Test', description: '', joinPolicy: 'open', guestsAllowed: true }), ...api } as ServerApi,
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
    expect(container.textContent).not.toContain('You cannot read earlier messages here');
    act(() => store.dispatch({ type: 'channels', channels: [text(['viewChannel', 'sendMessages'])] }));
    expect(container.querySelector('[role="log"] [role="status"]')!.textContent).toBe('You cannot read earlier messages here; new ones appear as they are posted.');
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

  test('while timed out the composer is disabled under a notice saying until when and why, and voice says so too, until it ends', () => {
    const until = new Date(Date.now() + 10 * 60_000);
    const time = until.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    store.dispatch({ type: 'channels', channels: [text(['viewChannel', 'readHistory']), voice(['viewChannel'])] });
    store.dispatch({ type: 'selectChannel', channelId: 'news' });
    store.dispatch({ type: 'permissions', permissions: { server: ['viewChannel'], owner: false, roles: [], timedOutUntil: until.toISOString(), timeOutReason: 'cool off' } });
    render(
      <>
        <MessagePane />
        <ChannelList onSelected={() => {}} />
      </>,
    );
    const notice = container.querySelector('.timeout-notice[role="status"]')!;
    const timedOut = until.toDateString() === new Date().toDateString() ? `You are timed out until ${time} — cool off` : null;
    if (timedOut) expect(notice.textContent).toBe(timedOut);
    else expect(notice.textContent).toMatch(/^You are timed out until .* — cool off$/);
    const box = container.querySelector('textarea')!;
    expect(box.disabled).toBe(true);
    expect(box.getAttribute('aria-describedby')).toContain(notice.id);
    expect(byLabel('Voice channel stage')).toBeNull();
    expect(container.querySelector('[data-channel-id="stage"]')!.getAttribute('title')).toBe(notice.textContent);

    act(() => {
      store.dispatch({ type: 'permissions', permissions: { server: ['viewChannel', 'sendMessages', 'connect'], owner: false, roles: [], timedOutUntil: null } });
      store.dispatch({ type: 'channels', channels: [text(['viewChannel', 'readHistory', 'sendMessages']), voice(['viewChannel', 'connect'])] });
    });
    expect(container.querySelector('.timeout-notice')).toBeNull();
    expect(container.querySelector('textarea')!.disabled).toBe(false);
    expect(byLabel('Voice channel stage')).not.toBeNull();
  });

  test('the channel gear is there only with manageRoles or manageChannels in that channel', () => {
    store.dispatch({ type: 'channels', channels: [text(['viewChannel', 'sendMessages']), voice(['viewChannel', 'connect', 'manageRoles'])] });
    render(<ChannelList onSelected={() => {}} />);
    expect(byLabel('Settings for news')).toBeNull();
    expect(byLabel('Settings for stage')).not.toBeNull();
  });

  test('the server settings open only for those who manage something, with the pages they may use', async () => {
    render(<ServerSettingsButton />);
    expect(byLabel('Server settings')).toBeNull();
    act(() => store.dispatch({ type: 'permissions', permissions: { server: ['manageChannels'], owner: false, roles: [] } }));
    await act(async () => (byLabel('Server settings') as HTMLButtonElement).click());
    const tabs = [...container.querySelectorAll('[role="tab"]')].map((t) => t.textContent);
    expect(tabs).toEqual(['Channels']);
    act(() => store.dispatch({ type: 'permissions', permissions: { server: [], owner: true, roles: [] } }));
    await act(async () => {});
    expect([...container.querySelectorAll('[role="tab"]')].map((t) => t.textContent)).toEqual(
      ['Overview', 'Channels', 'Roles', 'Members', 'Bans', 'Invites', 'Audit log', 'Cluster'],
    );
    await act(async () => openTab('Roles'));
    expect(container.querySelector('[role="tab"][aria-selected="true"]')!.textContent).toBe('Roles');
    expect([...container.querySelectorAll('ul[aria-label="Roles"] .role-name')].map((r) => r.textContent)).toEqual(['Crew', '@everyone']);
    // @everyone can be edited but not moved or deleted.
    expect(byLabel('Delete @everyone')).toBeNull();
    expect(byLabel('Delete Crew')).not.toBeNull();
  });
});

/** Clicks the settings tab named `name`. */
function openTab(name: string) {
  ([...container.querySelectorAll('[role="tab"]')].find((t) => t.textContent === name) as HTMLButtonElement).click();
}

/** Sets an input's value as typing does (React listens to the input event). */
function fill(input: HTMLInputElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  act(() => {
    setter.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

/** The input a label (by its whole text) names: inside it, or the one it points at. */
function inputLabelled(text: string): HTMLInputElement {
  const label = [...container.querySelectorAll('label')].find((l) => l.textContent === text)!;
  return (label.querySelector('input') ?? document.getElementById(label.htmlFor)) as HTMLInputElement;
}

describe('the settings send what the user chose', () => {
  test('creating a role sends its name and the permissions ticked', async () => {
    const createRole = vi.fn(async () => crew);
    store.dispatch({ type: 'permissions', permissions: { server: [], owner: true, roles: [] } });
    render(<ServerSettingsButton />, { createRole });
    await act(async () => (byLabel('Server settings') as HTMLButtonElement).click());
    await act(async () => openTab('Roles'));
    fill(inputLabelled('Role name') as HTMLInputElement, ' Crew ');
    await act(async () => (container.querySelector('button[aria-expanded="false"]') as HTMLButtonElement).click());
    await act(async () => inputLabelled('Speak in voice').click());
    await act(async () => (container.querySelector('form[aria-label="New role"] button[type="submit"]') as HTMLButtonElement).click());
    expect(createRole).toHaveBeenCalledWith('Crew', ['speak']);
  });

  test('moving a role sends its neighbour’s position; roles at or above the user’s own cannot be moved', async () => {
    const updateRole = vi.fn(async () => crew);
    const mods: RoleDto = { id: 'mods', name: 'Mods', position: 2, permissions: ['manageRoles'], color: null, everyone: false };
    const helpers: RoleDto = { id: 'helpers', name: 'Helpers', position: 3, permissions: [], color: null, everyone: false };
    store.dispatch({ type: 'permissions', permissions: { server: ['manageRoles'], owner: false, roles: ['helpers'] } });
    render(<ServerSettingsButton />, { roles: async () => [everyone, crew, mods, helpers], updateRole });
    await act(async () => (byLabel('Server settings') as HTMLButtonElement).click());
    const button = (label: string) => byLabel(label) as HTMLButtonElement;
    expect(button('Move Crew down').disabled).toBe(true);
    expect(button('Move Mods up').disabled).toBe(true);
    expect(button('Edit Helpers').disabled).toBe(true);
    await act(async () => button('Move Crew up').click());
    expect(updateRole).toHaveBeenLastCalledWith('crew', { position: 2 });
    await act(async () => button('Move Mods down').click());
    expect(updateRole).toHaveBeenLastCalledWith('mods', { position: 1 });
  });

  test('the Private switch denies @everyone viewing; ticking a role lets it see and connect; an override denies speak', async () => {
    let overrides: OverrideDto[] = [];
    const setOverride = vi.fn(async (_c: string, target: OverrideDto['target'], id: string, allow: Permission[], deny: Permission[]) => {
      const o = { target, id, name: id, allow, deny };
      overrides = [...overrides.filter((x) => x.id !== id), o];
      return o;
    });
    const stage = voice(['viewChannel', 'connect', 'manageRoles']);
    render(<ChannelSettingsDialog channel={stage} onClose={() => {}} />, { overrides: async () => overrides, setOverride, deleteOverride: vi.fn() });
    await act(async () => {});
    const privateSwitch = container.querySelector('input[role="switch"]') as HTMLInputElement;
    expect(privateSwitch.checked).toBe(false);
    await act(async () => privateSwitch.click());
    expect(setOverride).toHaveBeenLastCalledWith('stage', 'role', 'everyone', [], ['viewChannel']);
    expect((container.querySelector('input[role="switch"]') as HTMLInputElement).checked).toBe(true);
    await act(async () => inputLabelled('Crew').click());
    expect(setOverride).toHaveBeenLastCalledWith('stage', 'role', 'crew', ['viewChannel', 'connect'], []);

    const select = container.querySelector('select') as HTMLSelectElement;
    await act(async () => {
      select.value = 'role:crew';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    const speak = container.querySelector('[role="radiogroup"][aria-label="Speak in voice"] input[value="deny"]') as HTMLInputElement;
    await act(async () => speak.click());
    await act(async () => (container.querySelector('form[aria-label="Override for Crew"] button[type="submit"]') as HTMLButtonElement).click());
    expect(setOverride).toHaveBeenLastCalledWith('stage', 'role', 'crew', ['viewChannel', 'connect'], ['speak']);
    expect(container.querySelector('form[aria-label="Override for Crew"] [role="status"]')!.textContent).toBe('Saved.');
  });
});

describe('voice moderation', () => {
  const lounge: ChannelDto = { id: 'lounge', name: 'lounge', kind: 'voice', position: 0, topic: '', permissions: ['viewChannel', 'connect', 'speak', 'muteMembers', 'moveMembers'] };
  const member = (userId: string, displayName: string) => ({ userId, displayName, muted: false, deafened: false, speaking: false });

  test('a moderator gets a menu on others, not on themselves; it sends the action with the reason', async () => {
    store.dispatch({ type: 'channels', channels: [lounge, voice(['viewChannel', 'connect', 'moveMembers'])] });
    store.dispatch({ type: 'voiceMembers', channelId: 'lounge', members: [member('me', 'Me'), { ...member('sam', 'Sam'), serverDeafened: true }] });
    const moderateVoice = vi.fn(async () => {});
    const moveVoiceMember = vi.fn(async () => {});
    render(<ChannelList onSelected={() => {}} />, {}, { moderateVoice, moveVoiceMember });
    expect(byLabel('Moderate Me')).toBeNull();
    expect(container.querySelector('[aria-label="Server deafened"]')).not.toBeNull();
    act(() => (byLabel('Moderate Sam') as HTMLButtonElement).click());
    const buttons = [...container.querySelectorAll('[role=dialog] .dialog-section button')].map((b) => b.textContent);
    expect(buttons).toEqual(['Server mute', 'Undeafen', 'Disconnect', 'Move to stage']);
    fill(inputLabelled('Reason (optional)'), '  too loud ');
    const mute = [...container.querySelectorAll('button')].find((b) => b.textContent === 'Server mute')!;
    await act(async () => mute.click());
    expect(moderateVoice).toHaveBeenCalledWith('lounge', 'sam', true, true, 'too loud');
    expect(container.querySelector('[role=dialog]')).toBeNull();
  });

  test('without muteMembers or moveMembers there is no menu', () => {
    store.dispatch({ type: 'channels', channels: [{ ...lounge, permissions: ['viewChannel', 'connect', 'speak'] }] });
    store.dispatch({ type: 'voiceMembers', channelId: 'lounge', members: [member('sam', 'Sam')] });
    render(<ChannelList onSelected={() => {}} />);
    expect(byLabel('Moderate Sam')).toBeNull();
  });
});

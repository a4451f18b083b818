// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ChatClient } from '../../client/chatClient';
import type { ServerApi } from '../../client/serverApi';
import { defaultPreferences } from '../../client/storage';
import type { BanDto, ChannelDto, MemberRolesDto, PermissionsDto, RoleDto } from '../../protocol/types';
import { createStore, type Store } from '../../state/createStore';
import { initialState } from '../../state/store';
import type { Microphone } from '../../voice/microphone';
import type { VoiceSession } from '../../voice/voiceSession';
import { ChatContext, type Chat } from '../context';
import { BansTab } from './BansTab';
import { ChannelsTab } from './ChannelsTab';
import { MembersTab } from './MembersTab';

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
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

const everyone: RoleDto = { id: 'everyone', name: '@everyone', position: 0, permissions: [], color: null, everyone: true };
const mods: RoleDto = { id: 'mods', name: 'Mods', position: 2, permissions: ['kickMembers'], color: null, everyone: false };
const crew: RoleDto = { id: 'crew', name: 'Crew', position: 1, permissions: [], color: null, everyone: false };
const roles = [mods, crew, everyone];
const found: MemberRolesDto[] = [
  { userId: 'me', name: 'Me', roles: ['mods'] },
  { userId: 'u1', name: 'deckhand', roles: ['crew'], timedOutUntil: null },
  { userId: 'u2', name: 'bosun', roles: ['mods'] },
];

async function render(node: React.ReactNode, api: Partial<ServerApi>) {
  const chat = {
    store,
    client: {} as ChatClient,
    voice: {} as VoiceSession,
    microphone: {} as Microphone,
    api: api as ServerApi,
    prefs: defaultPreferences,
    setPrefs: () => {},
    talking: false,
    changeName: () => {},
    signOut: () => {},
  } as Chat;
  await act(async () => root.render(<ChatContext.Provider value={chat}>{node}</ChatContext.Provider>));
}

/** Just the calls a page makes. */
const apiOf = (calls: Partial<ServerApi>) => calls as ServerApi;

const byLabel = (label: string) => container.querySelector<HTMLElement>(`[aria-label="${label}"]`);
const button = (scope: ParentNode, name: string) => [...scope.querySelectorAll('button')].find((b) => b.textContent === name) ?? null;

function fill(input: HTMLInputElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  act(() => {
    setter.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

describe('the Members page', () => {
  const moderator: PermissionsDto = { server: ['kickMembers'], owner: false, roles: ['mods'] };

  test('offers kick and time-out on members ranked below, never on the user or a peer, and no ban without banMembers', async () => {
    await render(<MembersTab api={apiOf({ members: async () => found })} roles={roles} mine={moderator} />, {});
    const row = (name: string) => byLabel(name)!;
    expect(button(row('deckhand'), 'Kick…')).not.toBeNull();
    expect(button(row('deckhand'), 'Time out…')).not.toBeNull();
    expect(button(row('deckhand'), 'Ban…')).toBeNull();
    expect(button(row('Me'), 'Kick…')).toBeNull();
    expect(button(row('bosun'), 'Kick…')).toBeNull();
    // Without manageRoles there are no role checkboxes.
    expect(container.querySelector('input[type="checkbox"]')).toBeNull();
  });

  test('a time-out is sent with its duration and reason, shows its end, and focus goes back to the button', async () => {
    const timeOut = vi.fn(async () => {});
    const liftTimeOut = vi.fn(async () => {});
    await render(<MembersTab api={apiOf({ members: async () => found, timeOut, liftTimeOut })} roles={roles} mine={moderator} />, {});
    const row = byLabel('deckhand')!;
    await act(async () => button(row, 'Time out…')!.click());
    const dialog = container.querySelector<HTMLElement>('[role="dialog"]')!;
    expect(dialog.getAttribute('aria-labelledby') && document.getElementById(dialog.getAttribute('aria-labelledby')!)!.textContent).toBe('Time out deckhand');
    const duration = dialog.querySelector('select')!;
    expect([...duration.options].map((o) => o.textContent)).toEqual(['1 minute', '10 minutes', '1 hour', '1 day', '1 week']);
    act(() => {
      duration.value = '10';
      duration.dispatchEvent(new Event('change', { bubbles: true }));
    });
    fill(dialog.querySelector('input')!, '  too loud  ');
    await act(async () => button(dialog, 'Time out')!.click());
    expect(timeOut).toHaveBeenCalledWith('u1', 10, 'too loud');
    expect(container.querySelector('[role="dialog"]')).toBeNull();
    expect(row.querySelector('.timed-out')!.textContent).toMatch(/^Timed out until /);
    expect(row.querySelector('[role="status"]')!.textContent).toBe('deckhand was timed out for 10 minutes.');
    expect(document.activeElement).toBe(button(row, 'Lift time-out'));
    await act(async () => button(row, 'Lift time-out')!.click());
    expect(liftTimeOut).toHaveBeenCalledWith('u1');
    expect(row.querySelector('.timed-out')).toBeNull();
  });

  test('a refused kick keeps the dialog open with the server\'s reason and changes nothing', async () => {
    const kick = vi.fn(async () => {
      throw new Error('Only members below you.');
    });
    await render(<MembersTab api={apiOf({ members: async () => found, kick })} roles={roles} mine={moderator} />, {});
    await act(async () => button(byLabel('deckhand')!, 'Kick…')!.click());
    const dialog = container.querySelector<HTMLElement>('[role="dialog"]')!;
    await act(async () => button(dialog, 'Kick')!.click());
    expect(kick).toHaveBeenCalledWith('u1', null);
    expect(dialog.querySelector('[role="alert"]')!.textContent).toBe('Only members below you.');
    expect(container.querySelector('[role="dialog"]')).not.toBeNull();
  });
});

describe('the Bans page', () => {
  test('lists who was banned, by whom and why, and unbans', async () => {
    const ban: BanDto = { userId: 'u1', name: 'Rowdy', by: 'u9', byName: 'Warden', reason: 'spam', at: '2026-03-02T10:00:00Z' };
    let bans = [ban, { ...ban, userId: 'u2', name: 'Quiet', byName: null, reason: null }];
    const unban = vi.fn(async (id: string) => void (bans = bans.filter((b) => b.userId !== id)));
    await render(<BansTab api={apiOf({ bans: async () => bans, unban })} />, {});
    expect(byLabel('Rowdy')!.textContent).toContain('banned by Warden');
    expect(byLabel('Rowdy')!.textContent).toContain('Reason: spam');
    expect(byLabel('Quiet')!.textContent).toContain('banned by u9');
    expect(byLabel('Quiet')!.textContent).toContain('No reason given.');
    await act(async () => byLabel('Unban Rowdy')!.click());
    expect(unban).toHaveBeenCalledWith('u1');
    expect([...byLabel('Bans')!.querySelectorAll('li')].map((li) => li.getAttribute('aria-label'))).toEqual(['Quiet']);
    expect(container.querySelector('[role="status"]')!.textContent).toBe('Rowdy was unbanned.');
  });
});

describe('the Channels page', () => {
  const channel = (id: string, position: number, category: string | null = null): ChannelDto => ({ id, name: id, kind: 'text', position, topic: '', category });

  test('Alt+Down on a handle shows the move at once, sends the whole order and announces it', async () => {
    store.dispatch({ type: 'channels', channels: [channel('general', 0), channel('lobby', 1), channel('raids', 2, 'Games')] });
    const reorderChannels = vi.fn(async () => {});
    await render(<ChannelsTab api={apiOf({ reorderChannels })} />, {});
    const names = () => [...container.querySelectorAll('.channel-order-name')].map((n) => n.textContent);
    expect(names()).toEqual(['general', 'lobby', 'raids']);
    expect(byLabel('Channels in Games')).not.toBeNull();
    const handle = byLabel('Move general')!;
    await act(async () => handle.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', altKey: true, bubbles: true })));
    expect(names()).toEqual(['lobby', 'general', 'raids']);
    expect(reorderChannels).toHaveBeenCalledWith(['lobby', 'general', 'raids']);
    expect(container.querySelector('[aria-live="polite"]')!.textContent).toBe('general moved to position 2 of 2.');
    // The last of its group goes no further, and says so without a call.
    await act(async () => byLabel('Move general down')!.click());
    expect(reorderChannels).toHaveBeenCalledTimes(1);
    expect(container.querySelector('[aria-live="polite"]')!.textContent).toBe('general is already last.');
  });

  test('a refused move goes back to the server\'s order and says why', async () => {
    store.dispatch({ type: 'channels', channels: [channel('general', 0), channel('lobby', 1)] });
    const reorderChannels = vi.fn(async () => {
      throw new Error('Not allowed.');
    });
    await render(<ChannelsTab api={apiOf({ reorderChannels })} />, {});
    await act(async () => byLabel('Move lobby up')!.click());
    await act(async () => {});
    expect([...container.querySelectorAll('.channel-order-name')].map((n) => n.textContent)).toEqual(['general', 'lobby']);
    expect(container.querySelector('[role="alert"]')!.textContent).toBe('Not allowed.');
  });
});

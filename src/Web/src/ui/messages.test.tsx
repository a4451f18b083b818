// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ChatClient } from '../client/chatClient';
import type { ServerApi } from '../client/serverApi';
import { defaultPreferences } from '../client/storage';
import type { ChannelDto, MessageDto, Permission } from '../protocol/types';
import { createStore, type Store } from '../state/createStore';
import { initialState } from '../state/store';
import type { Microphone } from '../voice/microphone';
import type { VoiceSession } from '../voice/voiceSession';
import { ChannelList } from './ChannelList';
import { ChatContext, type Chat } from './context';
import { MessagePane } from './MessagePane';
import { MessageText } from './MessageText';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;
let store: Store;
let client: Record<string, ReturnType<typeof vi.fn>>;

const member: Permission[] = ['viewChannel', 'readHistory', 'sendMessages'];
const channel = (permissions: Permission[] = member, id = 'general'): ChannelDto => ({ id, name: id, kind: 'text', position: id === 'general' ? 0 : 1, topic: '', permissions });

function msg(id: number, authorId: string, text: string, extra: Partial<MessageDto> = {}): MessageDto {
  const names: Record<string, string> = { me: 'Me', alice: 'Alice', bob: 'Bob' };
  return { id, channelId: 'general', authorId, authorName: names[authorId] ?? authorId, text, sentAt: new Date(Date.UTC(2025, 0, 1, 12, 0, id)).toISOString(), mentions: [], ...extra };
}

beforeEach(() => {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  store = createStore(initialState());
  store.dispatch({ type: 'me', user: { id: 'me', displayName: 'Me' } });
  store.dispatch({ type: 'connection', status: 'connected' });
  client = {
    selectChannel: vi.fn(),
    typing: vi.fn(),
    post: vi.fn(async (channelId: string, text: string) => msg(100, 'me', text, { channelId })),
    reply: vi.fn(async (channelId: string, replyTo: number, text: string) => msg(101, 'me', text, { channelId, replyTo })),
    edit: vi.fn(async (channelId: string, id: number, text: string) => {
      const m = msg(id, 'me', text, { channelId, editedAt: '2025-01-01T12:30:00Z' });
      store.dispatch({ type: 'messageEdited', message: m });
      return m;
    }),
    deleteMessage: vi.fn(async (channelId: string, messageId: number) => store.dispatch({ type: 'messageDeleted', channelId, messageId })),
  };
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

function render(node: React.ReactNode) {
  const chat: Chat = {
    store,
    client: client as unknown as ChatClient,
    voice: {} as VoiceSession,
    microphone: {} as Microphone,
    api: {} as ServerApi,
    prefs: defaultPreferences,
    setPrefs: () => {},
    talking: false,
    changeName: () => {},
    signOut: () => {},
  };
  act(() => root.render(<ChatContext.Provider value={chat}>{node}</ChatContext.Provider>));
}

function openGeneral(messages: MessageDto[], permissions: Permission[] = member) {
  store.dispatch({ type: 'channels', channels: [channel(permissions)] });
  store.dispatch({ type: 'selectChannel', channelId: 'general' });
  store.dispatch({ type: 'channelOpened', view: { channel: channel(permissions), online: [{ userId: 'alice', displayName: 'Alice' }], messages, hasMore: false } });
  render(<MessagePane />);
}

const item = (id: number) => container.querySelector<HTMLLIElement>(`li.message[data-message-id="${id}"]`)!;
const button = (scope: ParentNode, label: string) => scope.querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`);

function type(box: HTMLTextAreaElement, text: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
  act(() => {
    setter.call(box, text);
    box.setSelectionRange(text.length, text.length);
    box.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function press(el: Element, init: KeyboardEventInit) {
  await act(async () => {
    el.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init }));
  });
}

describe('mentions in text', () => {
  test('tokens render as @Name from the mention list (mine highlighted apart), unknown ones as @unknown, markup as text', () => {
    render(<MessageText text={'hi <@me> and <@bob>, <@ghost> <img src=x onerror=alert(1)>'} mentions={[{ userId: 'me', name: 'Me' }, { userId: 'bob', name: '<b>Bob</b>' }]} meId="me" />);
    const mentions = [...container.querySelectorAll('.mention')];
    expect(mentions.map((m) => [m.textContent, m.className])).toEqual([
      ['@Me', 'mention me'],
      ['@<b>Bob</b>', 'mention'],
      ['@unknown', 'mention'],
    ]);
    expect(container.querySelector('img, b')).toBeNull();
  });
});

describe('message actions', () => {
  test('my message offers reply, edit and delete; another’s only reply, unless I manage messages', () => {
    openGeneral([msg(1, 'alice', 'hello'), msg(2, 'me', 'mine')]);
    const actionsOf = (id: number) => [...item(id).querySelectorAll('[role="toolbar"] > button')].map((b) => b.getAttribute('aria-label'));
    expect(actionsOf(1)).toEqual(['Reply', 'More actions']);
    expect(actionsOf(2)).toEqual(['Reply', 'Edit', 'Delete', 'More actions']);
    act(() => store.dispatch({ type: 'channels', channels: [channel([...member, 'manageMessages'])] }));
    expect(actionsOf(1)).toEqual(['Reply', 'Delete', 'More actions']);
  });

  test('the toolbar is one Tab stop with arrow keys, and More actions opens a menu with the same actions', async () => {
    openGeneral([msg(2, 'me', 'mine')]);
    const toolbar = item(2).querySelector('[role="toolbar"]')!;
    const buttons = [...toolbar.querySelectorAll<HTMLButtonElement>(':scope > button')];
    expect(buttons.map((b) => b.tabIndex)).toEqual([0, -1, -1, -1]);
    act(() => buttons[0]!.focus());
    await press(buttons[0]!, { key: 'ArrowLeft' });
    expect(document.activeElement).toBe(buttons[3]);
    await press(buttons[3]!, { key: 'ArrowDown' });
    const menu = toolbar.querySelector('[role="menu"]')!;
    const items = [...menu.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')];
    expect(items.map((b) => b.textContent)).toEqual(['Reply', 'Edit message', 'Delete message']);
    expect(document.activeElement).toBe(items[0]);
    await press(items[0]!, { key: 'ArrowUp' });
    expect(document.activeElement).toBe(items[2]);
    await press(items[2]!, { key: 'Escape' });
    expect(toolbar.querySelector('[role="menu"]')).toBeNull();
    expect(document.activeElement).toBe(buttons[3]);
  });

  test('editing: Enter saves through the client and shows "(edited)" with the time as a tooltip; Escape cancels', async () => {
    openGeneral([msg(1, 'alice', 'hello'), msg(2, 'me', 'hi <@alice>', { mentions: [{ userId: 'alice', name: 'Alice' }] })]);
    act(() => button(item(2), 'Edit')!.click());
    const box = item(2).querySelector<HTMLTextAreaElement>('textarea[aria-label="Edit message"]')!;
    expect(box.value).toBe('hi @Alice');
    type(box, 'nothing');
    await press(box, { key: 'Escape' });
    expect(item(2).querySelector('textarea')).toBeNull();
    expect(item(2).querySelector('.message-text')!.textContent).toBe('hi @Alice');
    expect(client.edit).not.toHaveBeenCalled();

    act(() => button(item(2), 'Edit')!.click());
    const again = item(2).querySelector<HTMLTextAreaElement>('textarea')!;
    type(again, 'hello @Alice, again');
    await press(again, { key: 'Enter' });
    expect(client.edit).toHaveBeenCalledWith('general', 2, 'hello <@alice>, again');
    expect(item(2).querySelector('textarea')).toBeNull();
    const edited = item(2).querySelector('.edited')!;
    expect(edited.textContent).toBe(' (edited)');
    expect(edited.getAttribute('title')).toMatch(/^Edited /);
    expect(item(2).dataset.edited).toBe('true');
  });

  test('deleting my message asks first; deleting another’s asks a reason, which is sent', async () => {
    openGeneral([msg(1, 'alice', 'spam'), msg(2, 'me', 'mine')], [...member, 'manageMessages']);
    act(() => button(item(2), 'Delete')!.click());
    let dialog = document.querySelector('[role="dialog"]')!;
    expect(dialog.textContent).toContain('Delete this message?');
    expect(dialog.querySelector('input')).toBeNull();
    act(() => [...dialog.querySelectorAll('button')].find((b) => b.textContent === 'Cancel')!.click());
    expect(document.querySelector('[role="dialog"]')).toBeNull();
    expect(item(2)).not.toBeNull();

    act(() => button(item(1), 'Delete')!.click());
    dialog = document.querySelector('[role="dialog"]')!;
    expect(dialog.textContent).toContain('Delete this message from Alice?');
    const reason = dialog.querySelector<HTMLInputElement>('input')!;
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    act(() => {
      setter.call(reason, '  off topic ');
      reason.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => [...dialog.querySelectorAll('button')].find((b) => b.textContent === 'Delete')!.click());
    expect(client.deleteMessage).toHaveBeenCalledWith('general', 1, 'off topic');
    expect(item(1)).toBeNull();
    expect(document.querySelector('[role="dialog"]')).toBeNull();
  });
});

describe('replies', () => {
  test('Reply quotes the message above the composer and the sent reply names it; Escape cancels', async () => {
    openGeneral([msg(1, 'alice', 'hello <@me>', { mentions: [{ userId: 'me', name: 'Me' }] })]);
    act(() => button(item(1), 'Reply')!.click());
    const bar = container.querySelector('[role="group"][aria-label="Replying"]')!;
    expect(bar.textContent).toBe('Replying to Alice: hello @Me');
    const box = container.querySelector<HTMLTextAreaElement>('#composer')!;
    await press(box, { key: 'Escape' });
    expect(container.querySelector('[aria-label="Replying"]')).toBeNull();

    act(() => button(item(1), 'Reply')!.click());
    type(box, 'yes');
    await press(box, { key: 'Enter' });
    expect(client.reply).toHaveBeenCalledWith('general', 1, 'yes');
    expect(client.post).not.toHaveBeenCalled();
    expect(container.querySelector('[aria-label="Replying"]')).toBeNull();
  });

  test('a reply shows its original’s author and start, a button to it; else an earlier or a deleted message', () => {
    openGeneral([msg(1, 'alice', 'the original'), msg(2, 'bob', 'reply', { replyTo: 1 }), msg(3, 'bob', 'old', { replyTo: 0 })]);
    const ref = item(2).querySelector('.reply-ref button')!;
    expect(ref.textContent).toBe('↪ @Alice the original');
    expect(item(3).querySelector('.reply-ref')!.textContent).toBe('↪ Reply to an earlier message');
    act(() => (ref as HTMLButtonElement).click());
    expect(document.activeElement).toBe(item(1));
    act(() => store.dispatch({ type: 'messageDeleted', channelId: 'general', messageId: 1 }));
    expect(item(2).querySelector('.reply-ref')!.textContent).toBe('↪ Reply to a deleted message');
  });
});

describe('composer mentions and typing', () => {
  test('@ offers known members; choosing one inserts @Name, which is sent as a token', async () => {
    openGeneral([msg(1, 'bob', 'hi')]);
    const box = container.querySelector<HTMLTextAreaElement>('#composer')!;
    type(box, 'hey @b');
    const options = () => [...container.querySelectorAll('[role="listbox"] [role="option"]')].map((o) => o.textContent);
    expect(options()).toEqual(['@Bob']);
    type(box, 'hey @');
    expect(options()).toEqual(['@Alice', '@Bob']);
    expect(box.getAttribute('aria-activedescendant')).toBe(container.querySelector('[role="option"]')!.id);
    await press(box, { key: 'ArrowDown' });
    await press(box, { key: 'Enter' });
    expect(box.value).toBe('hey @Bob ');
    expect(container.querySelector('[role="listbox"]')).toBeNull();
    expect(client.post).not.toHaveBeenCalled();
    type(box, 'hey @Bob and @alice ');
    await press(box, { key: 'Enter' });
    expect(client.post).toHaveBeenCalledWith('general', 'hey <@bob> and <@alice>');
  });

  test('typing tells the client; the typing line shows who types', () => {
    openGeneral([]);
    const box = container.querySelector<HTMLTextAreaElement>('#composer')!;
    type(box, 'h');
    expect(client.typing).toHaveBeenCalledWith('general');
    const line = container.querySelector('[role="status"][aria-label="Typing"]')!;
    expect(line.textContent).toBe('');
    act(() => store.dispatch({ type: 'typing', channelId: 'general', userId: 'alice', displayName: 'Alice', until: Date.now() + 6_000 }));
    expect(line.textContent).toBe('Alice is typing…');
    act(() => store.dispatch({ type: 'typing', channelId: 'general', userId: 'bob', displayName: 'Bob', until: Date.now() + 6_000 }));
    expect(line.textContent).toBe('Alice and Bob are typing…');
  });

  test('a message that mentions me is marked', () => {
    openGeneral([msg(1, 'alice', 'hi <@me>', { mentions: [{ userId: 'me', name: 'Me' }] }), msg(2, 'alice', 'hi all')]);
    expect(item(1).dataset.mentionsMe).toBe('true');
    expect(item(1).classList.contains('mentioned')).toBe(true);
    expect(item(2).dataset.mentionsMe).toBeUndefined();
  });
});

describe('channel list', () => {
  test('a channel not shown with an unread mention has a distinct badge and says so', () => {
    const random = channel(member, 'random');
    store.dispatch({ type: 'channels', channels: [channel(), random] });
    store.dispatch({ type: 'selectChannel', channelId: 'general' });
    store.dispatch({ type: 'channelOpened', view: { channel: random, online: [], messages: [msg(1, 'alice', 'x', { channelId: 'random' })], hasMore: false } });
    render(<ChannelList onSelected={() => {}} />);
    const button = container.querySelector<HTMLButtonElement>('[data-channel-id="random"]')!;
    act(() => store.dispatch({ type: 'messagePosted', message: msg(2, 'alice', 'plain', { channelId: 'random' }) }));
    expect(button.getAttribute('aria-label')).toBe('Text channel random');
    expect(button.querySelector('.badge')!.className).toBe('badge');
    act(() => store.dispatch({ type: 'messagePosted', message: msg(3, 'alice', 'hi <@me>', { channelId: 'random', mentions: [{ userId: 'me', name: 'Me' }] }) }));
    expect(button.getAttribute('aria-label')).toBe('Text channel random, 1 mention');
    expect(button.dataset.mentions).toBe('1');
    expect(button.querySelector('.badge')!.className).toBe('badge mention');
    expect(button.querySelector('.badge')!.textContent).toBe('@1');
  });
});

// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ChatClient } from '../client/chatClient';
import { defaultPreferences } from '../client/storage';
import type { MessageDto } from '../protocol/types';
import { createStore, type Store } from '../state/createStore';
import { initialState } from '../state/store';
import type { Microphone } from '../voice/microphone';
import type { VoiceSession } from '../voice/voiceSession';
import { Composer } from './Composer';
import { ChatContext, type Chat } from './context';
import { MessageText } from './MessageText';
import { UserBar } from './UserBar';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

describe('MessageText', () => {
  test('renders http(s) links as safe anchors and everything else as text', () => {
    act(() => root.render(<MessageText text={'see https://e.com/a, javascript:alert(1) <b>x</b>'} />));
    const anchors = container.querySelectorAll('a');
    expect(anchors).toHaveLength(1);
    expect(anchors[0]!.getAttribute('href')).toBe('https://e.com/a');
    expect(anchors[0]!.getAttribute('rel')).toBe('noopener noreferrer');
    expect(anchors[0]!.getAttribute('target')).toBe('_blank');
    expect(container.querySelector('b')).toBeNull();
    expect(container.textContent).toBe('see https://e.com/a, javascript:alert(1) <b>x</b>');
  });
});

/** A chat context whose parts a test does not use are empty stand-ins. */
function fakeChat(store: Store, parts: Partial<Chat> = {}): Chat {
  return {
    store,
    client: {} as ChatClient,
    voice: {} as VoiceSession,
    microphone: {} as Microphone,
    prefs: defaultPreferences,
    setPrefs: () => {},
    talking: false,
    changeName: () => {},
    signOut: () => {},
    ...parts,
  };
}

describe('Composer', () => {
  let store: Store;
  let post: ReturnType<typeof vi.fn>;

  function renderComposer() {
    store = createStore(initialState());
    store.dispatch({ type: 'connection', status: 'connected' });
    const chat = fakeChat(store, { client: { post } as unknown as ChatClient });
    act(() =>
      root.render(
        <ChatContext.Provider value={chat}>
          <Composer channelId="general" channelName="general" />
        </ChatContext.Provider>,
      ),
    );
    return container.querySelector('textarea')!;
  }

  function type(box: HTMLTextAreaElement, text: string) {
    const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
    act(() => {
      setter.call(box, text);
      box.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }

  async function press(box: HTMLTextAreaElement, init: KeyboardEventInit) {
    await act(async () => {
      box.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init }));
    });
  }

  beforeEach(() => {
    post = vi.fn(async (channelId: string, text: string): Promise<MessageDto> => ({
      id: 1, channelId, authorId: 'me', authorName: 'Me', text, sentAt: new Date().toISOString(),
    }));
  });

  test('has an accessible name and says which channel it writes to', () => {
    const box = renderComposer();
    expect(box.getAttribute('aria-label')).toBe('Message');
    expect(box.getAttribute('placeholder')).toBe('Message #general');
  });

  test('Enter sends the trimmed text and clears the box', async () => {
    const box = renderComposer();
    type(box, '  hello  ');
    await press(box, { key: 'Enter' });
    expect(post).toHaveBeenCalledWith('general', 'hello');
    expect(box.value).toBe('');
  });

  test('Shift+Enter does not send', async () => {
    const box = renderComposer();
    type(box, 'line one');
    await press(box, { key: 'Enter', shiftKey: true });
    expect(post).not.toHaveBeenCalled();
  });

  test('a refusal puts the text back and explains a rate limit inline', async () => {
    post.mockRejectedValueOnce(
      new Error("An unexpected error occurred invoking 'PostMessage' on the server. HubException: rate_limited: At most 5 messages per 5 s; try again in 2 s."),
    );
    const box = renderComposer();
    type(box, 'too fast');
    await press(box, { key: 'Enter' });
    expect(box.value).toBe('too fast');
    const alert = container.querySelector('[role="alert"]')!;
    expect(alert.textContent).toBe('You are sending messages too quickly (at most 5 messages per 5 s). You can send again in 2 s.');
    expect(box.getAttribute('aria-invalid')).toBe('true');
    expect(box.getAttribute('aria-describedby')).toBe(alert.id);
  });

  test('an over-long message is refused before it is sent', async () => {
    const box = renderComposer();
    type(box, 'x'.repeat(2001));
    await press(box, { key: 'Enter' });
    expect(post).not.toHaveBeenCalled();
    expect(container.querySelector('[role="alert"]')!.textContent).toContain('at most 2000 characters');
  });
});

describe('UserBar', () => {
  test('the account menu opens from the name, its Sign out and Change display name do what they say, Escape closes it', () => {
    const store = createStore(initialState());
    store.dispatch({ type: 'me', user: { id: 'u1', displayName: 'Alice' } });
    const signOut = vi.fn();
    const changeName = vi.fn();
    const chat = fakeChat(store, { changeName, signOut });
    act(() =>
      root.render(
        <ChatContext.Provider value={chat}>
          <UserBar />
        </ChatContext.Provider>,
      ),
    );
    const item = (text: string) => [...container.querySelectorAll<HTMLButtonElement>('.account-menu button')].find((b) => b.textContent?.trim() === text);
    const account = container.querySelector<HTMLButtonElement>('button[aria-label="Account: Alice"]')!;
    expect(account.getAttribute('aria-expanded')).toBe('false');
    expect(item('Sign out')).toBeUndefined();

    act(() => account.click());
    expect(account.getAttribute('aria-expanded')).toBe('true');
    act(() => item('Sign out')!.click());
    expect(signOut).toHaveBeenCalledTimes(1);
    expect(changeName).not.toHaveBeenCalled();
    act(() => item('Change display name')!.click());
    expect(changeName).toHaveBeenCalledTimes(1);

    act(() => window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' })));
    expect(account.getAttribute('aria-expanded')).toBe('false');
    expect(item('Sign out')).toBeUndefined();
  });
});

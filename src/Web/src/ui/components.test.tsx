// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ChatClient } from '../client/chatClient';
import type { ServerApi } from '../client/serverApi';
import { defaultPreferences, type StoredSession } from '../client/storage';
import type { MessageDto } from '../protocol/types';
import { createStore, type Store } from '../state/createStore';
import { initialState } from '../state/store';
import type { Microphone } from '../voice/microphone';
import type { VoiceSession } from '../voice/voiceSession';
import { ApiError } from '../client/session';
import type { ServerInfo } from '../protocol/types';
import { AccountContext, type Account } from './account';
import { App } from './App';
import { SignInScreen, type SignInActions } from './SignInScreen';
import { Composer } from './Composer';
import { ChatContext, type Chat } from './context';
import { MessageText } from './MessageText';
import { UserBar } from './UserBar';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  localStorage.clear();
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
  history.replaceState(null, '', '/');
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
    api: {} as ServerApi,
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
    const chat = fakeChat(store, { client: { post, typing: () => {} } as unknown as ChatClient });
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

const info = (auth: Partial<NonNullable<ServerInfo['auth']>> = {}): ServerInfo => ({
  name: 'OpenChat',
  version: '1.0',
  auth: { guestsAllowed: true, registrationOpen: true, setupRequired: false, ...auth },
});

/** The input labelled `label` (exactly). */
function field(label: string): HTMLInputElement {
  const l = [...container.querySelectorAll('label')].find((x) => x.textContent === label);
  if (!l) throw new Error(`no field ${label}`);
  return container.querySelector<HTMLInputElement>(`#${CSS.escape(l.htmlFor)}`)!;
}

function fill(label: string, text: string) {
  const input = field(label);
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  act(() => {
    setter.call(input, text);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

const button = (text: string) => [...container.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent?.trim() === text);

async function click(text: string) {
  const b = button(text);
  if (!b) throw new Error(`no button ${text}`);
  await act(async () => b.click());
}

const alerts = () => [...container.querySelectorAll('[role="alert"]')].map((a) => a.textContent);

function actions(parts: Partial<SignInActions> = {}): SignInActions {
  return { guest: vi.fn(), signIn: vi.fn(), register: vi.fn(), setup: vi.fn(), reset: vi.fn(), ...parts };
}

function renderScreen(a: SignInActions, serverInfo: ServerInfo | null = info(), notice: string | null = null) {
  act(() =>
    root.render(<SignInScreen info={serverInfo} initialMode="signIn" initialName="" notice={notice} prefs={defaultPreferences} setPrefs={() => {}} actions={a} />),
  );
}

describe('sign-in screen', () => {
  test('a wrong password is explained and the inputs point at the message', async () => {
    const signIn = vi.fn().mockRejectedValue(new ApiError(401, 'invalid_credentials', 'x'));
    renderScreen(actions({ signIn }));
    fill('Username', 'alice');
    fill('Password', 'not-her-password');
    await click('Sign in');
    expect(signIn).toHaveBeenCalledWith('alice', 'not-her-password');
    expect(alerts()).toEqual(['Wrong username or password.']);
    const error = container.querySelector('[role="alert"]')!;
    expect(field('Password').getAttribute('aria-invalid')).toBe('true');
    expect(field('Password').getAttribute('aria-describedby')).toBe(error.id);
  });

  test('throttled sign-in says how long to wait', async () => {
    renderScreen(actions({ signIn: vi.fn().mockRejectedValue(new ApiError(429, 'throttled', 'x', 25)) }));
    fill('Username', 'alice');
    fill('Password', 'guess-number-9');
    await click('Sign in');
    expect(alerts()).toEqual(['Too many attempts; try again in 25 s.']);
  });

  test('registration checks the rules before asking the server, and shows name_taken', async () => {
    const register = vi.fn().mockRejectedValue(new ApiError(409, 'name_taken', 'x'));
    renderScreen(actions({ register }));
    await click('Create an account');
    fill('Username', 'alice');
    fill('Password', 'correct horse');
    fill('Repeat password', 'correct hose');
    await click('Create account');
    expect(alerts()).toEqual(['The passwords do not match.']);
    fill('Username', 'al ice');
    fill('Repeat password', 'correct horse');
    await click('Create account');
    expect(alerts()).toEqual(['Username: Use only letters, digits and _ . - (no spaces).']);
    expect(register).not.toHaveBeenCalled();
    fill('Username', 'alice');
    await click('Create account');
    expect(register).toHaveBeenCalledWith('alice', 'correct horse');
    expect(alerts()).toEqual(['That username is taken; choose another.']);
  });

  test('the server’s own message is shown when it refuses a registration the client let through', async () => {
    renderScreen(actions({ register: vi.fn().mockRejectedValue(new ApiError(400, 'invalid_argument', 'That username is reserved.')) }));
    await click('Create an account');
    fill('Username', 'admin');
    fill('Password', 'correct horse');
    fill('Repeat password', 'correct horse');
    await click('Create account');
    expect(alerts()).toEqual(['That username is reserved.']);
  });

  test('continuing as a guest is offered only when the server allows guests; a registered name is refused clearly', async () => {
    renderScreen(actions(), info({ guestsAllowed: false, registrationOpen: false }));
    expect(button('Join as guest')).toBeUndefined();
    expect(button('Create an account')).toBeUndefined();

    const guest = vi.fn().mockRejectedValue(new ApiError(409, 'name_taken', 'x'));
    renderScreen(actions({ guest }), info());
    fill('Display name', 'Alice');
    await click('Join as guest');
    expect(guest).toHaveBeenCalledWith('Alice');
    expect(alerts()).toEqual(['That name belongs to a registered account: sign in, or choose another name.']);
  });

  test('guests refused by the server (forbidden) are told to sign in', async () => {
    renderScreen(actions({ guest: vi.fn().mockRejectedValue(new ApiError(403, 'forbidden', 'x')) }), null);
    fill('Display name', 'Ada');
    await click('Join as guest');
    expect(alerts()).toEqual(['This server does not allow guests; sign in or create an account.']);
  });

  test('a server without an owner offers setup: code, username and password', async () => {
    renderScreen(actions(), info());
    expect(button('Set up this server')).toBeUndefined();
    const setup = vi.fn().mockRejectedValue(new ApiError(403, 'forbidden', 'x'));
    renderScreen(actions({ setup }), info({ setupRequired: true }));
    await click('Set up this server');
    await click('Set up this server'); // the form's submit button: nothing filled in yet
    expect(alerts()).toEqual(['Enter the setup code from the server’s log.']);
    fill('Setup code', ' K7Q2-M9XD ');
    fill('Username', 'owner');
    fill('Password', 'correct horse');
    fill('Repeat password', 'correct horse');
    await click('Set up this server');
    expect(setup).toHaveBeenCalledWith('K7Q2-M9XD', 'owner', 'correct horse');
    expect(alerts()).toEqual(['That setup code is not right, or the server already has an owner.']);
  });

  test('the server’s version shows its commit shortened', () => {
    renderScreen(actions(), { ...info(), version: '1.0.0+dbec65cf2203fd57382bc8230993c98306797224' });
    expect(container.querySelector('.join-version')!.textContent).toBe('OpenChat 1.0.0+dbec65c');
    renderScreen(actions(), { ...info(), version: '1.2.3' });
    expect(container.querySelector('.join-version')!.textContent).toBe('OpenChat 1.2.3');
  });

  test('the reason the screen shows is announced', () => {
    renderScreen(actions(), info(), 'You were signed out.');
    expect(container.querySelector('[role="status"]')!.textContent).toBe('You were signed out.');
  });
});

describe('the app with a stored session', () => {
  const server = (routes: Record<string, [number, unknown]>) => {
    const fetcher = vi.fn(async (path: string) => {
      const [status, body] = routes[path] ?? [404, { error: 'not_found', message: 'no' }];
      return new Response(JSON.stringify(body), { status });
    });
    vi.stubGlobal('fetch', fetcher);
    return fetcher;
  };

  async function settle(until: () => boolean) {
    for (let i = 0; i < 50 && !until(); i++) await act(async () => new Promise((r) => setTimeout(r, 10)));
  }

  test('a session the server ended (401 from renewal) returns to the sign-in screen with "You were signed out"', async () => {
    const session: StoredSession = { token: 'v2.t', userId: 'u-1', displayName: 'Alice', expiresAt: '2099-01-01T00:00:00Z', kind: 'account', username: 'alice', owner: false };
    localStorage.setItem('openchat.session', JSON.stringify(session));
    const fetcher = server({ '/api/info': [200, info()], '/api/session/renew': [401, { error: 'invalid_token', message: 'Signed out.' }] });
    act(() => root.render(<App />));
    await settle(() => container.querySelector('[role="status"]')?.textContent === 'You were signed out.');
    expect(container.querySelector('[role="status"]')!.textContent).toBe('You were signed out.');
    expect(field('Username')).toBeTruthy();
    expect(fetcher).toHaveBeenCalledWith('/api/session/renew', expect.objectContaining({ headers: { Authorization: 'Bearer v2.t' } }));
    expect(localStorage.getItem('openchat.session')).toBeNull();
  });

  test('a reset link opens "choose a new password" and sends the code with the new password', async () => {
    history.replaceState(null, '', '/#reset=abc%2D123');
    const fetcher = server({ '/api/info': [200, info()], '/api/account/reset': [403, { error: 'forbidden', message: 'x' }] });
    act(() => root.render(<App />));
    expect(container.querySelector('h2')!.textContent).toBe('Choose a new password');
    fill('New password', 'correct horse');
    fill('Repeat password', 'correct horse');
    await click('Set password and sign in');
    const call = fetcher.mock.calls.find((c) => c[0] === '/api/account/reset')!;
    expect(JSON.parse((call as unknown as [string, RequestInit])[1].body as string)).toEqual({ code: 'abc-123', newPassword: 'correct horse' });
    expect(alerts()[0]).toContain('This reset link is unknown');
  });
});

describe('user bar and account settings', () => {
  const guestSession: StoredSession = { token: 't', userId: 'g-1', displayName: 'Ada', expiresAt: '2099-01-01T00:00:00Z', kind: 'guest', username: null, owner: false };
  const accountSession: StoredSession = { ...guestSession, userId: 'u-1', displayName: 'Alice', kind: 'account', username: 'alice' };

  function renderBar(account: Partial<Account> & { session: StoredSession }, signOut = vi.fn()) {
    const store = createStore(initialState());
    store.dispatch({ type: 'me', user: { id: account.session.userId, displayName: account.session.displayName } });
    const chat = fakeChat(store, { signOut });
    const full: Account = {
      setupRequired: false, registrationOpen: true, claim: vi.fn(), changePassword: vi.fn(), signOutEverywhere: vi.fn(), deleteAccount: vi.fn(), setup: vi.fn(),
      notice: null, clearNotice: vi.fn(), issueResetLink: vi.fn(),
      ...account,
    };
    act(() =>
      root.render(
        <ChatContext.Provider value={chat}>
          <AccountContext.Provider value={full}>
            <UserBar />
          </AccountContext.Provider>
        </ChatContext.Provider>,
      ),
    );
    return full;
  }

  const accountButton = () => container.querySelector<HTMLButtonElement>('.user-button')!;

  test('a guest’s own name carries a guest tag, and the guest can create an account that keeps their id', async () => {
    const account = renderBar({ session: guestSession });
    // The name stays the name; "guest" is the button's description.
    expect(accountButton().getAttribute('aria-label')).toBe('Account: Ada');
    const tag = container.querySelector('.guest-tag')!;
    expect(tag.textContent).toBe('guest');
    expect(accountButton().getAttribute('aria-describedby')).toBe(tag.id);
    await act(async () => accountButton().click());
    expect(button('Change display name')).toBeDefined();
    await click('Account settings');
    const dialog = container.querySelector('[role="dialog"]')!;
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.textContent).toContain('Guest');
    expect(button('Delete account…')).toBeUndefined();
    fill('Username', 'ada');
    fill('Password', 'correct horse');
    fill('Repeat password', 'correct horse');
    await click('Create account');
    expect(account.claim).toHaveBeenCalledWith('ada', 'correct horse');
  });

  test('an account shows its username; deleting asks for the password and confirms; Escape closes and focus returns', async () => {
    const deleteAccount = vi.fn().mockRejectedValueOnce(new ApiError(401, 'invalid_credentials', 'x')).mockResolvedValue(undefined);
    renderBar({ session: accountSession, deleteAccount });
    expect(container.querySelector('.guest-tag')).toBeNull();
    expect(accountButton().hasAttribute('aria-describedby')).toBe(false);
    await act(async () => accountButton().click());
    expect(button('Change display name')).toBeUndefined();
    await click('Account settings');
    expect(container.querySelector('[role="dialog"]')!.textContent).toContain('Signed in as alice');
    await click('Delete account…');
    await click('Delete my account');
    expect(alerts()).toEqual(['Enter your password to delete the account.']);
    expect(deleteAccount).not.toHaveBeenCalled();
    fill('Password', 'wrong-password');
    await click('Delete my account');
    expect(alerts()).toEqual(['That password is not right.']);
    fill('Password', 'correct horse');
    await click('Delete my account');
    expect(deleteAccount).toHaveBeenLastCalledWith('correct horse');

    const dialog = container.querySelector('[role="dialog"]')!;
    await act(async () => dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })));
    expect(container.querySelector('[role="dialog"]')).toBeNull();
    expect(document.activeElement).toBe(accountButton());
  });

  test('changing the password checks the new one; sign out everywhere and setup call the account', async () => {
    const account = renderBar({ session: accountSession, setupRequired: true });
    await act(async () => accountButton().click());
    await click('Set up this server');
    fill('Current password', 'old password');
    fill('New password', 'short');
    fill('Repeat new password', 'short');
    await click('Change password');
    expect(alerts()).toEqual(['Use a password of at least 8 characters.']);
    fill('New password', 'a better one');
    fill('Repeat new password', 'a better one');
    await click('Change password');
    expect(account.changePassword).toHaveBeenCalledWith('old password', 'a better one');
    fill('Setup code', 'K7Q2');
    await click('Become the owner');
    expect(account.setup).toHaveBeenCalledWith('K7Q2');
    await click('Sign out everywhere');
    expect(account.signOutEverywhere).toHaveBeenCalledTimes(1);
    // Only the owner is offered reset links.
    expect(button('Make a reset link')).toBeUndefined();
  });

  test('after a change restarted the chat, the settings open again saying what it did; closing forgets it', async () => {
    const account = renderBar({ session: accountSession, notice: 'Password changed; your other sessions were signed out.' });
    const dialog = container.querySelector('[role="dialog"]')!;
    expect(dialog.querySelector('[role="status"]')!.textContent).toBe('Password changed; your other sessions were signed out.');
    // Focus that lands outside the modal dialog (the message box focusing itself) comes back in.
    const outside = document.createElement('input');
    document.body.append(outside);
    act(() => outside.focus());
    expect(dialog.contains(document.activeElement)).toBe(true);
    outside.remove();
    await act(async () => dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })));
    expect(container.querySelector('[role="dialog"]')).toBeNull();
    expect(account.clearNotice).toHaveBeenCalledTimes(1);
  });

  test('the owner makes a reset link for a member by username and sees it to copy; an unknown name is explained', async () => {
    const issueResetLink = vi
      .fn()
      .mockRejectedValueOnce(new ApiError(403, 'forbidden', 'x'))
      .mockResolvedValue({ url: 'http://chat.example/#reset=abc', expiresAt: '2099-01-02T03:04:05Z' });
    renderBar({ session: { ...accountSession, owner: true }, issueResetLink });
    await act(async () => accountButton().click());
    await click('Account settings');
    await click('Make a reset link');
    expect(alerts()).toEqual(['Enter the member’s username.']);
    expect(issueResetLink).not.toHaveBeenCalled();
    fill('Member’s username', ' nobody ');
    await click('Make a reset link');
    expect(issueResetLink).toHaveBeenLastCalledWith('nobody');
    expect(alerts()).toEqual(['No account has that username.']);
    fill('Member’s username', 'grace');
    await click('Make a reset link');
    expect(alerts()).toEqual([]);
    const link = field('Reset link for grace');
    expect(link.value).toBe('http://chat.example/#reset=abc');
    expect(link.readOnly).toBe(true);
    expect(container.querySelector('[role="dialog"] [role="status"]')!.textContent).toContain('It works once');
  });
});

import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ChannelDto, ChannelViewDto, HistoryDto, MessageDto, PermissionsDto } from '../protocol/types';
import { createStore, type Store } from '../state/createStore';
import { initialState } from '../state/store';
import { ChatClient, nextReconnectDelay, type HubLike, type VoiceEvents } from './chatClient';
import { postNoncePattern } from './postNonce';

const general: ChannelDto = { id: 'general', name: 'general', kind: 'text', position: 0, topic: '' };
const random: ChannelDto = { id: 'random', name: 'random', kind: 'text', position: 1, topic: '' };
const lounge: ChannelDto = { id: 'lounge', name: 'Lounge', kind: 'voice', position: 2, topic: '' };
const studio: ChannelDto = { id: 'studio', name: 'Studio', kind: 'voice', position: 3, topic: '' };

function msg(id: number, channelId = 'general'): MessageDto {
  return { id, channelId, authorId: 'u-x', authorName: 'X', text: `m${id}`, sentAt: '2025-01-01T12:00:00Z' };
}

// The reconnect pauses are random; a fixed draw lets the tests compute the pauses the client will take.
beforeEach(() => {
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A hub connection stand-in: answers invocations from a table and lets the test fire events and reconnects. */
class FakeHub implements HubLike {
  invocations: { method: string; args: unknown[] }[] = [];
  handlers = new Map<string, (...args: unknown[]) => void>();
  startFailures = 0;
  starts = 0;
  channels: ChannelDto[] = [general, random, lounge];
  history: HistoryDto | null = null;
  /** How many more times OpenChannel of a channel is refused as unavailable. */
  openFailures = new Map<string, number>();
  postFailures = 0;
  deleteFailures = 0;
  joinFailures = 0;
  /** OpenChannel answers with null lists and no voice list. */
  nullLists = false;
  /** What GetPermissions answers (undefined: as a server before roles, which has no such method). */
  permissions: PermissionsDto | undefined = undefined;
  /** Channels whose OpenChannel is refused as forbidden. */
  forbidden = new Set<string>();
  private reconnecting: ((e?: Error) => void)[] = [];
  private reconnected: ((id?: string) => void)[] = [];
  private closed: ((e?: Error) => void)[] = [];

  async start(): Promise<void> {
    this.starts++;
    if (this.startFailures > 0) {
      this.startFailures--;
      throw new Error('Failed to complete negotiation with the server');
    }
  }

  async stop(): Promise<void> {}

  async invoke<T>(method: string, ...args: unknown[]): Promise<T> {
    this.invocations.push({ method, args });
    switch (method) {
      case 'GetChannels':
        return this.channels as T;
      case 'GetPermissions':
        if (!this.permissions) throw new Error("HubException: Method does not exist.");
        return this.permissions as T;
      case 'OpenChannel': {
        const id = args[0] as string;
        if (this.forbidden.has(id)) throw new Error('HubException: forbidden: You may not read this channel.');
        const failures = this.openFailures.get(id) ?? 0;
        if (failures > 0) {
          this.openFailures.set(id, failures - 1);
          throw new Error(`HubException: unavailable: try again`);
        }
        const channel = this.channels.find((c) => c.id === id)!;
        const view: ChannelViewDto = { channel, online: [], messages: channel.kind === 'text' ? [msg(1, id), msg(2, id)] : [], hasMore: true, voice: [] };
        return (this.nullLists ? { channel, online: null, messages: null, hasMore: false } : view) as T;
      }
      case 'GetHistory':
        return this.history as T;
      case 'JoinVoice':
        if (this.joinFailures > 0) {
          this.joinFailures--;
          throw new Error(`HubException: unavailable: No voice server answered in time; try again.`);
        }
        return { channelId: args[0], sdpAnswer: 'answer', members: [] } as T;
      case 'ReplyToMessage':
        return { ...msg(4, args[0] as string), authorId: 'u-me', authorName: 'Me', replyTo: args[1] as number, text: args[2] as string } as T;
      case 'EditMessage':
        return { ...msg(args[1] as number, args[0] as string), text: args[2] as string, editedAt: '2025-01-01T12:05:00Z' } as T;
      case 'DeleteMessage':
        if (this.deleteFailures > 0) {
          this.deleteFailures--;
          throw new Error(`HubException: unavailable: The channel did not answer in time; try again.`);
        }
        return undefined as T;
      case 'PostMessage':
        if (this.postFailures > 0) {
          this.postFailures--;
          throw new Error(`HubException: unavailable: The channel did not answer in time; try again.`);
        }
        return { ...msg(3, args[0] as string), authorId: 'u-me', authorName: 'Me', text: args[1] as string } as T;
      default:
        return undefined as T;
    }
  }

  on(event: string, handler: (...args: unknown[]) => void): void {
    this.handlers.set(event, handler);
  }
  onreconnecting(cb: (e?: Error) => void): void {
    this.reconnecting.push(cb);
  }
  onreconnected(cb: (id?: string) => void): void {
    this.reconnected.push(cb);
  }
  onclose(cb: (e?: Error) => void): void {
    this.closed.push(cb);
  }

  emit(event: string, ...args: unknown[]): void {
    this.handlers.get(event)!(...args);
  }
  dropAndReconnect(): void {
    this.reconnecting.forEach((cb) => cb(new Error('lost')));
  }
  finishReconnect(): void {
    this.reconnected.forEach((cb) => cb('new-id'));
  }
  close(): void {
    this.closed.forEach((cb) => cb(new Error('closed')));
  }
  opened(): string[] {
    return this.invocations.filter((i) => i.method === 'OpenChannel').map((i) => i.args[0] as string);
  }
}

class FakeVoice implements VoiceEvents {
  resumes = 0;
  reconnects: string[] = [];
  ended: [string, string][] = [];
  moved: [string, string][] = [];
  async resume(): Promise<void> {
    this.resumes++;
  }
  async handleReconnect(channelId: string): Promise<void> {
    this.reconnects.push(channelId);
  }
  handleEnded(channelId: string, reason: string): void {
    this.ended.push([channelId, reason]);
  }
  async handleMoved(channelId: string, toChannelId: string): Promise<void> {
    this.moved.push([channelId, toChannelId]);
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

let hub: FakeHub;
let store: Store;
let voice: FakeVoice;
let client: ChatClient;
let delays: number[];

beforeEach(() => {
  hub = new FakeHub();
  store = createStore(initialState());
  store.dispatch({ type: 'me', user: { id: 'u-me', displayName: 'Me' } });
  voice = new FakeVoice();
  delays = [];
  client = new ChatClient(hub, {
    dispatch: store.dispatch,
    getState: store.getState,
    preferredChannel: () => 'random',
    readMarkers: () => ({ random: 1 }),
    delay: async (ms) => {
      delays.push(ms);
    },
  });
  client.attachVoice(voice);
});

describe('starting', () => {
  test('loads channels, opens every voice channel and the preferred text channel, and shows it', async () => {
    await client.start();
    const s = store.getState();
    expect(s.connection).toBe('connected');
    expect(s.channels.map((c) => c.id)).toEqual(['general', 'random', 'lounge']);
    expect(s.activeChannelId).toBe('random');
    expect(hub.opened().sort()).toEqual(['lounge', 'random']);
    // The remembered read marker put a divider before message 2.
    expect(s.views.random!.dividerBefore).toBe(2);
    expect(voice.resumes).toBe(0);
  });

  test('retries a refused start with growing pauses, reporting each refusal', async () => {
    const refusals: unknown[] = [];
    client = new ChatClient(hub, {
      dispatch: store.dispatch,
      getState: store.getState,
      delay: async (ms) => {
        delays.push(ms);
      },
      onStartFailed: (e) => refusals.push(e),
    });
    hub.startFailures = 2;
    await client.start();
    expect(refusals).toHaveLength(2);
    expect(hub.starts).toBe(3);
    expect(delays).toEqual([nextReconnectDelay(1), nextReconnectDelay(2)]);
    expect(store.getState().connection).toBe('connected');
  });

  test('an unavailable OpenChannel is retried', async () => {
    hub.openFailures.set('lounge', 2);
    await client.start();
    expect(hub.opened().filter((id) => id === 'lounge')).toHaveLength(3);
    expect(store.getState().views.lounge?.open).toBe(true);
  });
});

describe('reconnecting', () => {
  test('marks channels closed while away, then reopens the same channels and resumes voice', async () => {
    await client.start();
    client.selectChannel('general');
    await settle();
    hub.invocations = [];

    hub.dropAndReconnect();
    expect(store.getState().connection).toBe('reconnecting');
    expect(Object.values(store.getState().views).every((v) => !v.open)).toBe(true);

    hub.finishReconnect();
    await settle();
    expect(store.getState().connection).toBe('connected');
    expect(hub.opened().sort()).toEqual(['general', 'lounge', 'random']);
    expect(Object.values(store.getState().views).every((v) => v.open)).toBe(true);
    expect(voice.resumes).toBe(1);
  });

  test('after a closed connection it starts over and resumes voice', async () => {
    await client.start();
    hub.close();
    expect(store.getState().connection).not.toBe('connected');
    await settle();
    expect(hub.starts).toBe(2);
    expect(store.getState().connection).toBe('connected');
    expect(voice.resumes).toBe(1);
  });

  describe('on its own pauses (fake timers)', () => {
    beforeEach(() => {
      vi.useFakeTimers();
      // A hub of its own (the client made above listens to the first one), and the client's own pause between
      // attempts, not the stand-in the other tests use.
      hub = new FakeHub();
      client = new ChatClient(hub, { dispatch: store.dispatch, getState: store.getState });
      client.attachVoice(voice);
    });

    afterEach(() => {
      vi.useRealTimers();
    });

    test('never gives up: after a close, start is tried again after each pause until the server is back', async () => {
      await client.start();
      const refusals = 100;
      hub.startFailures = refusals;
      hub.close();
      // The first attempt is made at once.
      await vi.advanceTimersByTimeAsync(0);
      expect(hub.starts).toBe(2);
      for (let refused = 1; refused <= refusals; refused++) {
        const pause = nextReconnectDelay(refused);
        expect(pause).toBeGreaterThan(0);
        await vi.advanceTimersByTimeAsync(pause - 1);
        expect(hub.starts).toBe(1 + refused);
        expect(store.getState().connection).toBe('disconnected');
        await vi.advanceTimersByTimeAsync(1);
        expect(hub.starts).toBe(2 + refused);
      }
      expect(store.getState().connection).toBe('connected');
      expect(Object.values(store.getState().views).every((v) => v.open)).toBe(true);
      expect(voice.resumes).toBe(1);
      // Nothing more is tried once connected.
      await vi.advanceTimersByTimeAsync(60_000);
      expect(hub.starts).toBe(2 + refusals);
    });

    test('starts over every time the connection closes', async () => {
      await client.start();
      const closes = 30;
      for (let i = 1; i <= closes; i++) {
        hub.startFailures = 2;
        hub.close();
        expect(store.getState().connection).not.toBe('connected');
        await vi.advanceTimersByTimeAsync(nextReconnectDelay(1) + nextReconnectDelay(2));
        expect(hub.starts).toBe(1 + 3 * i);
        expect(store.getState().connection).toBe('connected');
        expect(voice.resumes).toBe(i);
      }
    });

    test('stops trying once stopped', async () => {
      await client.start();
      hub.startFailures = Infinity;
      hub.close();
      await vi.advanceTimersByTimeAsync(nextReconnectDelay(1));
      expect(hub.starts).toBe(3);
      await client.stop();
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      expect(hub.starts).toBe(3);
    });
  });

  test('does not start over after stop', async () => {
    await client.start();
    await client.stop();
    hub.close();
    await settle();
    expect(hub.starts).toBe(1);
  });
});

describe('events', () => {
  test('a new voice channel in ChannelsChanged is opened at once', async () => {
    await client.start();
    hub.channels = [general, random, lounge, studio];
    hub.emit('ChannelsChanged', hub.channels);
    await settle();
    expect(hub.opened()).toContain('studio');
    expect(store.getState().views.studio?.open).toBe(true);
  });

  test('messages, presence and voice events reach the store', async () => {
    await client.start();
    hub.emit('MessagePosted', msg(3, 'random'));
    hub.emit('MemberOnline', 'random', { userId: 'u-ann', displayName: 'Ann' });
    hub.emit('VoiceMemberJoined', 'lounge', { userId: 'u-ann', displayName: 'Ann', muted: false, deafened: false, speaking: false });
    hub.emit('VoiceSpeaking', 'lounge', 'u-ann', true);
    const s = store.getState();
    expect(s.views.random!.messages.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(s.views.random!.online.map((m) => m.userId)).toEqual(['u-ann']);
    expect(s.views.lounge!.voice[0]!.speaking).toBe(true);
  });

  test('events missing an argument are dropped, and null lists are read as empty', async () => {
    hub.nullLists = true;
    await client.start();
    const before = store.getState();
    expect(before.views.random).toMatchObject({ messages: [], online: [], voice: [] });
    hub.emit('MessagePosted', null);
    hub.emit('MemberOnline', 'random', null);
    hub.emit('VoiceMemberJoined', 'lounge');
    hub.emit('ChannelUpdated', null);
    hub.emit('ChannelsChanged', null);
    expect(store.getState()).toBe(before);
    hub.emit('VoiceEnded', 'lounge', null);
    expect(voice.ended).toEqual([['lounge', null]]);
  });

  test('VoiceReconnect, VoiceEnded and VoiceMoved go to the voice session', async () => {
    await client.start();
    hub.emit('VoiceReconnect', 'lounge', 'media node lost');
    hub.emit('VoiceEnded', 'lounge', 'timed out');
    hub.emit('VoiceMoved', 'lounge', 'stage', 'a moderator moved you');
    expect(voice.reconnects).toEqual(['lounge']);
    expect(voice.ended).toEqual([['lounge', 'timed out']]);
    expect(voice.moved).toEqual([['lounge', 'stage']]);
  });

  test('when the shown channel is deleted, another text channel is shown', async () => {
    await client.start();
    expect(store.getState().activeChannelId).toBe('random');
    hub.channels = [general, lounge];
    hub.emit('ChannelRemoved', 'random');
    await settle();
    expect(store.getState().activeChannelId).toBe('general');
    expect(hub.opened()).toContain('general');
  });

  test('ChannelRemoved forgets the channel, so a reconnect does not reopen it', async () => {
    await client.start();
    hub.emit('ChannelRemoved', 'lounge');
    hub.channels = [general, random];
    hub.invocations = [];
    hub.dropAndReconnect();
    hub.finishReconnect();
    await settle();
    expect(hub.opened()).toEqual(['random']);
  });
});

describe('calls', () => {
  test('loadOlder asks for the page before the oldest message held, once at a time', async () => {
    await client.start();
    hub.history = { channelId: 'random', messages: [], hasMore: false };
    const first = client.loadOlder('random');
    const second = client.loadOlder('random');
    await Promise.all([first, second]);
    const calls = hub.invocations.filter((i) => i.method === 'GetHistory');
    expect(calls).toEqual([{ method: 'GetHistory', args: ['random', 1, 50] }]);
    expect(store.getState().views.random!.hasMore).toBe(false);
    await client.loadOlder('random');
    expect(hub.invocations.filter((i) => i.method === 'GetHistory')).toHaveLength(1);
  });

  test('a voice join refused with unavailable is sent again with the same offer, five times at most', async () => {
    await client.start();
    hub.invocations = [];
    hub.joinFailures = 2;
    const joined = await client.joinVoice('lounge', 'offer', false, false);
    expect(joined.sdpAnswer).toBe('answer');
    const calls = hub.invocations.filter((i) => i.method === 'JoinVoice');
    expect(calls.map((c) => c.args)).toEqual(Array(3).fill(['lounge', 'offer', false, false]));
    // Five refusals in a row: the caller hears the last.
    hub.invocations = [];
    hub.joinFailures = 5;
    await expect(client.joinVoice('lounge', 'offer', false, false)).rejects.toThrow(/unavailable/);
    expect(hub.invocations.filter((i) => i.method === 'JoinVoice')).toHaveLength(5);
  });

  test('a post refused with unavailable is sent again with the same nonce, and each post has its own', async () => {
    await client.start();
    hub.invocations = [];
    hub.postFailures = 2;
    await client.post('random', 'hello');
    const calls = hub.invocations.filter((i) => i.method === 'PostMessage');
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.args[2])).size).toBe(1);
    await client.post('random', 'again');
    const next = hub.invocations.filter((i) => i.method === 'PostMessage')[3]!;
    expect(next.args[2]).not.toBe(calls[0]!.args[2]);
  });

  test('post sends the channel and text, and shows the message the server stored at once', async () => {
    await client.start();
    hub.invocations = [];
    const posted = await client.post('random', 'hello');
    expect(hub.invocations).toEqual([{ method: 'PostMessage', args: ['random', 'hello', expect.stringMatching(postNoncePattern)] }]);
    // Resolves with, and shows, the server's copy (its id, author and time), not one made up by the client.
    expect(posted).toEqual({ ...msg(3, 'random'), authorId: 'u-me', authorName: 'Me', text: 'hello' });
    const messages = store.getState().views.random!.messages;
    expect(messages.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(messages[2]).toEqual(posted);
  });

  test('concurrent opens of one channel share one call', async () => {
    await client.start();
    hub.invocations = [];
    await Promise.all([client.openChannel('general'), client.openChannel('general')]);
    expect(hub.opened()).toEqual(['general']);
  });
});

describe('permissions', () => {
  const manager: PermissionsDto = { server: ['manageRoles'], owner: false, roles: ['crew'] };

  test('are asked for after connecting, and PermissionsChanged replaces them', async () => {
    hub.permissions = manager;
    await client.start();
    await settle();
    expect(store.getState().permissions).toEqual(manager);
    hub.emit('PermissionsChanged', { server: [], owner: false, roles: [] });
    expect(store.getState().permissions).toEqual({ server: [], owner: false, roles: [] });
    hub.emit('PermissionsChanged', null);
    expect(store.getState().permissions).toEqual({ server: [], owner: false, roles: [] });
  });

  test('a server without GetPermissions leaves them unknown and the client works as before', async () => {
    await client.start();
    await settle();
    expect(store.getState().permissions).toBeNull();
    expect(store.getState().activeChannelId).toBe('random');
  });

  test('a channel that becomes hidden while shown is closed and another text channel is shown', async () => {
    await client.start();
    expect(store.getState().activeChannelId).toBe('random');
    hub.channels = [general, lounge];
    hub.emit('ChannelsChanged', hub.channels);
    await settle();
    const s = store.getState();
    expect(s.activeChannelId).toBe('general');
    expect(s.views.random).toBeUndefined();
    expect(s.channels.map((c) => c.id)).toEqual(['general', 'lounge']);
    // A reconnect does not try to open it again.
    hub.dropAndReconnect();
    hub.finishReconnect();
    await settle();
    expect(hub.opened().filter((id) => id === 'random')).toHaveLength(1);
  });

  test('voice in a channel that becomes hidden ends', async () => {
    await client.start();
    store.dispatch({ type: 'voiceStatus', status: { channelId: 'lounge', phase: 'connected', muted: false, deafened: false, error: null } });
    hub.emit('ChannelsChanged', [general, random]);
    expect(voice.ended).toEqual([['lounge', 'this channel is no longer available to you.']]);
  });

  test('a channel that appears is listed live, and one whose permissions change is updated', async () => {
    await client.start();
    const secret: ChannelDto = { ...studio, id: 'secret', permissions: ['viewChannel', 'connect'] };
    hub.channels = [general, random, lounge, secret];
    hub.emit('ChannelsChanged', hub.channels);
    await settle();
    expect(store.getState().channels.find((c) => c.id === 'secret')?.permissions).toEqual(['viewChannel', 'connect']);
    expect(hub.opened()).toContain('secret');
    hub.emit('ChannelsChanged', [general, random, lounge, { ...secret, permissions: ['viewChannel'] }]);
    expect(store.getState().channels.find((c) => c.id === 'secret')?.permissions).toEqual(['viewChannel']);
  });

  test('after a reconnect, a channel the user may no longer read does not keep the others from opening', async () => {
    await client.start();
    hub.forbidden.add('random');
    hub.dropAndReconnect();
    hub.finishReconnect();
    await settle();
    expect(store.getState().views.lounge?.open).toBe(true);
    expect(store.getState().views.random?.open).toBe(false);
  });
});

describe('message moderation', () => {
  test('MessageEdited and MessageDeleted reach the store, once each', async () => {
    await client.start();
    hub.emit('MessageEdited', { ...msg(2, 'random'), text: 'fixed', editedAt: '2025-01-01T12:05:00Z' });
    hub.emit('MessageEdited', { ...msg(2, 'random'), text: 'fixed', editedAt: '2025-01-01T12:05:00Z' });
    expect(store.getState().views.random!.messages.map((m) => m.text)).toEqual(['m1', 'fixed']);
    hub.emit('MessageDeleted', 'random', 1);
    hub.emit('MessageDeleted', 'random', 1);
    expect(store.getState().views.random!.messages.map((m) => m.id)).toEqual([2]);
  });

  test('reply, edit and delete call the hub as the protocol says and show the result at once', async () => {
    await client.start();
    const reply = await client.reply('random', 2, 'yes <@u-x>', 'nonce-1');
    expect(hub.invocations.at(-1)).toEqual({ method: 'ReplyToMessage', args: ['random', 2, 'yes <@u-x>', 'nonce-1'] });
    expect(store.getState().views.random!.messages.at(-1)).toEqual(reply);
    await client.edit('random', 1, 'better');
    expect(hub.invocations.at(-1)).toEqual({ method: 'EditMessage', args: ['random', 1, 'better'] });
    expect(store.getState().views.random!.messages[0]!.text).toBe('better');
    hub.deleteFailures = 1;
    await client.deleteMessage('random', 2, 'spam');
    expect(hub.invocations.filter((i) => i.method === 'DeleteMessage').map((i) => i.args)).toEqual([['random', 2, 'spam'], ['random', 2, 'spam']]);
    expect(store.getState().views.random!.messages.map((m) => m.id)).toEqual([1, 4]);
  });
});

describe('typing', () => {
  let now: number;

  beforeEach(() => {
    now = 100_000;
    client = new ChatClient(hub, { dispatch: store.dispatch, getState: store.getState, preferredChannel: () => 'random', now: () => now, delay: async () => {} });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const typingSent = () => hub.invocations.filter((i) => i.method === 'SendTyping').map((i) => i.args[0]);

  test('SendTyping goes out at the first keystroke, then at most every 3 s, and again at once after a post', async () => {
    await client.start();
    client.typing('random');
    now += 1_000;
    client.typing('random');
    client.typing('general');
    expect(typingSent()).toEqual(['random', 'general']);
    now += 2_000;
    client.typing('random');
    expect(typingSent()).toEqual(['random', 'general', 'random']);
    await client.post('random', 'done');
    client.typing('random');
    expect(typingSent()).toEqual(['random', 'general', 'random', 'random']);
  });

  test('nothing is sent while disconnected', () => {
    client.typing('random');
    expect(typingSent()).toEqual([]);
  });

  test('a Typing event shows its user for 6 s after the last one, then the timer drops it', async () => {
    await client.start();
    vi.useFakeTimers();
    hub.emit('Typing', 'random', 'u-alice', 'Alice');
    const typing = () => store.getState().views.random!.typing.map((e) => e.displayName);
    expect(typing()).toEqual(['Alice']);
    now += 4_000;
    vi.advanceTimersByTime(4_000);
    hub.emit('Typing', 'random', 'u-alice', 'Alice');
    hub.emit('Typing', 'random', 'u-bob', 'Bob');
    now += 3_000;
    vi.advanceTimersByTime(3_000);
    // The first event's 6 s are over, but the second one's are not.
    expect(typing()).toEqual(['Alice', 'Bob']);
    now += 3_000;
    vi.advanceTimersByTime(3_000);
    expect(typing()).toEqual([]);
  });

  test('a typing user’s message drops them at once', async () => {
    await client.start();
    hub.emit('Typing', 'random', 'u-x', 'X');
    hub.emit('MessagePosted', msg(3, 'random'));
    expect(store.getState().views.random!.typing).toEqual([]);
  });
});

import type {
  ChannelDto,
  ChannelViewDto,
  HistoryDto,
  MemberDto,
  MessageDto,
  PermissionsDto,
  ServerSettingsDto,
  UserDto,
  VoiceMemberDto,
} from '../protocol/types';
import { mentionsUser } from '../text/mentions';
import { initialVoice, type VoiceStatus } from '../voice/types';
import { typingAt, typingStarted, typingStopped, type TypingEntry } from './typing';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** What the client knows of one channel. Channels that were never opened have no entry. */
export interface ChannelView {
  /** Oldest first, unique by id. */
  messages: MessageDto[];
  /** Whether older messages than the first one exist. */
  hasMore: boolean;
  loadingOlder: boolean;
  /** Subscribed on the current connection. */
  open: boolean;
  online: MemberDto[];
  voice: VoiceMemberDto[];
  /** The highest message id this user has seen. */
  readUpTo: number;
  /** The id of the first message under the "new messages" divider, or null for no divider. */
  dividerBefore: number | null;
  /** Who is typing, in the order they started. */
  typing: TypingEntry[];
  /** Ids of messages deleted while this client held the channel (the newest ones), so that no late copy brings one back. */
  deleted: number[];
  /** The message the user is replying to, or null. */
  replyingTo: number | null;
}

export interface State {
  me: UserDto | null;
  connection: ConnectionStatus;
  channels: ChannelDto[];
  views: Record<string, ChannelView>;
  activeChannelId: string | null;
  /** Whether the page is visible and focused; unread messages only count as read while it is. */
  focused: boolean;
  voice: VoiceStatus;
  /** Per-member volume in this user's mix, 0 to 2 (absent = 1). */
  volumes: Record<string, number>;
  /** The user's server-level permissions; null until known (or from a server before roles). */
  permissions: PermissionsDto | null;
  /** The server's name, once known. */
  serverName: string | null;
}

export type Action =
  | { type: 'connection'; status: ConnectionStatus }
  | { type: 'me'; user: UserDto }
  | { type: 'channels'; channels: ChannelDto[] }
  | { type: 'channelOpened'; view: ChannelViewDto; readUpTo?: number | null }
  | { type: 'channelsClosed' }
  | { type: 'channelUpdated'; channel: ChannelDto }
  | { type: 'channelRemoved'; channelId: string }
  | { type: 'messagePosted'; message: MessageDto }
  | { type: 'messageEdited'; message: MessageDto }
  | { type: 'messageDeleted'; channelId: string; messageId: number }
  /** `until`: the `Date.now()` time the entry expires. */
  | { type: 'typing'; channelId: string; userId: string; displayName: string; until: number }
  | { type: 'typingExpired'; now: number }
  | { type: 'replyStarted'; channelId: string; messageId: number }
  | { type: 'replyCancelled'; channelId: string }
  | { type: 'historyRequested'; channelId: string }
  /** `before`: the message id the page was asked for (the oldest one held then). */
  | { type: 'historyLoaded'; history: HistoryDto; before: number }
  | { type: 'historyFailed'; channelId: string }
  | { type: 'memberOnline'; channelId: string; member: MemberDto }
  | { type: 'memberOffline'; channelId: string; userId: string }
  | { type: 'voiceMemberJoined'; channelId: string; member: VoiceMemberDto }
  | { type: 'voiceMemberUpdated'; channelId: string; member: VoiceMemberDto }
  | { type: 'voiceMemberLeft'; channelId: string; userId: string }
  | { type: 'voiceSpeaking'; channelId: string; userId: string; speaking: boolean }
  | { type: 'voiceMembers'; channelId: string; members: VoiceMemberDto[] }
  | { type: 'voiceStatus'; status: VoiceStatus }
  | { type: 'selectChannel'; channelId: string }
  | { type: 'focus'; focused: boolean }
  | { type: 'memberVolume'; userId: string; volume: number }
  | { type: 'permissions'; permissions: PermissionsDto }
  | { type: 'server'; settings: Pick<ServerSettingsDto, 'name'> };

export function initialState(focused = true): State {
  return {
    me: null,
    connection: 'connecting',
    channels: [],
    views: {},
    activeChannelId: null,
    focused,
    voice: initialVoice,
    volumes: {},
    permissions: null,
    serverName: null,
  };
}

function emptyView(): ChannelView {
  return {
    messages: [],
    hasMore: false,
    loadingOlder: false,
    open: false,
    online: [],
    voice: [],
    readUpTo: 0,
    dividerBefore: null,
    typing: [],
    deleted: [],
    replyingTo: null,
  };
}

/** How many deleted ids a view remembers. */
const DeletedKept = 500;

const lastId = (messages: MessageDto[]): number => (messages.length ? messages[messages.length - 1]!.id : 0);

const editedTime = (m: MessageDto): number => (m.editedAt ? Date.parse(m.editedAt) || 0 : 0);

/** Whether `incoming` is at least as recent a version of the message as `held` (a copy from before an edit is not). */
export const isAsRecent = (incoming: MessageDto, held: MessageDto): boolean => editedTime(incoming) >= editedTime(held);

/** Merges two oldest-first message lists into one, unique by id (the later copy wins, unless it predates an edit the earlier one has). */
export function mergeMessages(existing: MessageDto[], incoming: MessageDto[]): MessageDto[] {
  if (incoming.length === 0) return existing;
  if (existing.length === 0) return dedupeSorted(incoming);
  // The common cases: everything is newer (live events) or everything is older (history pages).
  if (incoming[0]!.id > lastId(existing) && isStrictlyAscending(incoming)) return existing.concat(incoming);
  if (incoming[incoming.length - 1]!.id < existing[0]!.id && isStrictlyAscending(incoming)) return incoming.concat(existing);
  const byId = new Map<number, MessageDto>();
  for (const m of existing) byId.set(m.id, m);
  for (const m of incoming) {
    const held = byId.get(m.id);
    if (!held || isAsRecent(m, held)) byId.set(m.id, m);
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

function isStrictlyAscending(messages: MessageDto[]): boolean {
  for (let i = 1; i < messages.length; i++) if (messages[i]!.id <= messages[i - 1]!.id) return false;
  return true;
}

function dedupeSorted(messages: MessageDto[]): MessageDto[] {
  if (isStrictlyAscending(messages)) return messages;
  return [...new Map(messages.map((m) => [m.id, m])).values()].sort((a, b) => a.id - b.id);
}

/** How many messages of others this user has not seen in a channel. */
export function unreadCount(view: ChannelView | undefined, myId: string | null): number {
  if (!view) return 0;
  let n = 0;
  for (let i = view.messages.length - 1; i >= 0; i--) {
    const m = view.messages[i]!;
    if (m.id <= view.readUpTo) break;
    if (m.authorId !== myId) n++;
  }
  return n;
}

/** How many messages of others above `readUpTo` mention this user. */
export function unreadMentions(view: ChannelView | undefined, myId: string | null): number {
  if (!view || myId === null) return 0;
  let n = 0;
  for (let i = view.messages.length - 1; i >= 0; i--) {
    const m = view.messages[i]!;
    if (m.id <= view.readUpTo) break;
    if (m.authorId !== myId && mentionsUser(m, myId)) n++;
  }
  return n;
}

/** When the next typing entry of any channel expires (a `Date.now()` time), or null when nobody types. */
export function nextTypingExpiry(state: State): number | null {
  let next: number | null = null;
  for (const view of Object.values(state.views)) for (const e of view.typing) if (next === null || e.until < next) next = e.until;
  return next;
}

/**
 * The held messages without those a page shows were deleted: a page holds every live message from its first one up to
 * its last (a newest page: up to now, `upTo` Infinity; an older page: up to the message it was asked for, `upTo`
 * excluded), so a held message in that span that the page lacks is gone. An empty page says nothing (it may be
 * a member without readHistory).
 */
function withoutGone(held: MessageDto[], page: MessageDto[], upTo: number): MessageDto[] {
  if (page.length === 0 || held.length === 0) return held;
  const from = page[0]!.id;
  const to = Math.max(page[page.length - 1]!.id, upTo === Infinity ? page[page.length - 1]!.id : upTo - 1);
  const live = new Set(page.map((m) => m.id));
  const gone = (m: MessageDto) => m.id >= from && m.id <= to && !live.has(m.id);
  return held.some(gone) ? held.filter((m) => !gone(m)) : held;
}

/** The messages without those the view knows were deleted. */
function withoutDeleted(messages: MessageDto[], deleted: number[]): MessageDto[] {
  if (deleted.length === 0 || messages.length === 0) return messages;
  const gone = new Set(deleted);
  return messages.some((m) => gone.has(m.id)) ? messages.filter((m) => !gone.has(m.id)) : messages;
}

function sameMentions(a: MessageDto, b: MessageDto): boolean {
  const x = a.mentions ?? [];
  const y = b.mentions ?? [];
  return x.length === y.length && x.every((m, i) => m.userId === y[i]!.userId && m.name === y[i]!.name);
}

function updateView(state: State, channelId: string, change: (view: ChannelView) => ChannelView): State {
  const view = state.views[channelId];
  if (!view) return state;
  const next = change(view);
  return next === view ? state : { ...state, views: { ...state.views, [channelId]: next } };
}

/**
 * The user looks at a channel: the divider moves to the first message they have not seen (if any), and
 * everything is seen. With `keepDivider`, a divider already shown stays when there is nothing new.
 */
function arrive(view: ChannelView, keepDivider: boolean): ChannelView {
  const firstUnseen = view.messages.find((m) => m.id > view.readUpTo);
  const dividerBefore = firstUnseen ? firstUnseen.id : keepDivider ? view.dividerBefore : null;
  const readUpTo = Math.max(view.readUpTo, lastId(view.messages));
  if (dividerBefore === view.dividerBefore && readUpTo === view.readUpTo) return view;
  return { ...view, dividerBefore, readUpTo };
}

const isWatching = (state: State, channelId: string) => state.focused && state.activeChannelId === channelId;

/** The list without the user's entry (the same list when there is none). */
function without<T extends { userId: string }>(list: T[], userId: string): T[] {
  return list.some((x) => x.userId === userId) ? list.filter((x) => x.userId !== userId) : list;
}

function upsert<T extends { userId: string }>(list: T[], item: T): T[] {
  const i = list.findIndex((x) => x.userId === item.userId);
  if (i < 0) return [...list, item];
  const copy = list.slice();
  copy[i] = item;
  return copy;
}

/**
 * A channel's new details; without permissions (an event sent alike to everyone, or a server before roles) it keeps
 * the ones the user's channel list gave.
 */
const withPermissions = (incoming: ChannelDto, held: ChannelDto): ChannelDto =>
  incoming.permissions || !held.permissions ? incoming : { ...incoming, permissions: held.permissions };

export function reducer(state: State, action: Action): State {
  switch (action.type) {
    case 'connection':
      return state.connection === action.status ? state : { ...state, connection: action.status };

    case 'me':
      return { ...state, me: action.user };

    case 'channels': {
      const channels = [...action.channels].sort((a, b) => a.position - b.position || a.name.localeCompare(b.name));
      const ids = new Set(channels.map((c) => c.id));
      const views: Record<string, ChannelView> = {};
      for (const [id, view] of Object.entries(state.views)) if (ids.has(id)) views[id] = view;
      const activeChannelId = state.activeChannelId && ids.has(state.activeChannelId) ? state.activeChannelId : null;
      return { ...state, channels, views, activeChannelId };
    }

    case 'channelOpened': {
      const { view: dto } = action;
      const id = dto.channel.id;
      const channels = state.channels.some((c) => c.id === id)
        ? state.channels.map((c) => (c.id === id ? withPermissions(dto.channel, c) : c))
        : state.channels;
      const previous = state.views[id];
      const base = previous ?? { ...emptyView(), readUpTo: action.readUpTo ?? lastId(dto.messages) };
      const incoming = withoutDeleted(dto.messages, base.deleted);
      let messages: MessageDto[];
      let hasMore: boolean;
      const gap = base.messages.length > 0 && dto.messages.length > 0 && dto.messages[0]!.id > lastId(base.messages) + 1;
      if (gap) {
        // Messages were missed while the channel was closed; the new page cannot be joined to what we hold.
        messages = incoming;
        hasMore = dto.hasMore;
      } else {
        // The page holds every live message from its first on: one held in that span and missing was deleted meanwhile.
        messages = mergeMessages(withoutGone(base.messages, dto.messages, Infinity), incoming);
        const viewIsOlder = dto.messages.length > 0 && (base.messages.length === 0 || dto.messages[0]!.id < base.messages[0]!.id);
        hasMore = viewIsOlder ? dto.hasMore : base.messages.length > 0 ? base.hasMore : dto.hasMore;
      }
      let view: ChannelView = {
        ...base,
        messages,
        hasMore,
        open: true,
        online: dto.online,
        voice: dto.voice ?? [],
      };
      if (isWatching(state, id)) view = arrive(view, previous !== undefined);
      return { ...state, channels, views: { ...state.views, [id]: view } };
    }

    case 'channelsClosed': {
      // The connection was lost: every subscription ended with it.
      const views: Record<string, ChannelView> = {};
      for (const [id, view] of Object.entries(state.views)) views[id] = { ...view, open: false, loadingOlder: false, typing: [] };
      return { ...state, views };
    }

    case 'channelUpdated':
      return { ...state, channels: state.channels.map((c) => (c.id === action.channel.id ? withPermissions(action.channel, c) : c)) };

    case 'channelRemoved': {
      const { [action.channelId]: _removed, ...views } = state.views;
      return {
        ...state,
        channels: state.channels.filter((c) => c.id !== action.channelId),
        views,
        activeChannelId: state.activeChannelId === action.channelId ? null : state.activeChannelId,
      };
    }

    case 'messagePosted': {
      const m = action.message;
      return updateView(state, m.channelId, (view) => {
        // Their message arrived: they stopped typing it.
        const typing = typingStopped(view.typing, m.authorId);
        if (view.deleted.includes(m.id)) return typing === view.typing ? view : { ...view, typing };
        if (m.id <= lastId(view.messages) && view.messages.some((x) => x.id === m.id)) return typing === view.typing ? view : { ...view, typing }; // already held
        const messages = mergeMessages(view.messages, [m]);
        const mine = state.me !== null && m.authorId === state.me.id;
        const watching = isWatching(state, m.channelId);
        let { readUpTo, dividerBefore } = view;
        if (mine) {
          // Answering means everything above has been read.
          readUpTo = Math.max(readUpTo, m.id);
          if (watching) dividerBefore = null;
        } else if (watching) {
          readUpTo = Math.max(readUpTo, m.id);
        } else if (state.activeChannelId === m.channelId && dividerBefore === null && m.id > readUpTo) {
          // Arrived while the page was in the background: mark where the unseen part starts.
          dividerBefore = m.id;
        }
        return { ...view, messages, readUpTo, dividerBefore, typing };
      });
    }

    case 'messageEdited': {
      const m = action.message;
      return updateView(state, m.channelId, (view) => {
        // A message not held (older than what is loaded) is read with its edit when its page comes.
        const i = view.messages.findIndex((x) => x.id === m.id);
        if (i < 0) return view;
        const held = view.messages[i]!;
        if (!isAsRecent(m, held) || (held.text === m.text && held.editedAt === m.editedAt && held.authorName === m.authorName && sameMentions(held, m))) return view;
        const messages = view.messages.slice();
        messages[i] = m;
        return { ...view, messages };
      });
    }

    case 'messageDeleted':
      return updateView(state, action.channelId, (view) => {
        const id = action.messageId;
        const i = view.messages.findIndex((x) => x.id === id);
        const known = view.deleted.includes(id);
        if (i < 0 && known) return view;
        const deleted = known ? view.deleted : [...view.deleted.slice(-(DeletedKept - 1)), id];
        if (i < 0) return { ...view, deleted };
        const messages = view.messages.filter((x) => x.id !== id);
        // The divider moves down to the next message (none when it was the last).
        const dividerBefore = view.dividerBefore === id ? (messages[i]?.id ?? null) : view.dividerBefore;
        const replyingTo = view.replyingTo === id ? null : view.replyingTo;
        return { ...view, messages, deleted, dividerBefore, replyingTo };
      });

    case 'typing': {
      if (state.me !== null && action.userId === state.me.id) return state;
      return updateView(state, action.channelId, (view) => {
        const typing = typingStarted(view.typing, { userId: action.userId, displayName: action.displayName, until: action.until });
        return typing === view.typing ? view : { ...view, typing };
      });
    }

    case 'typingExpired': {
      let views = state.views;
      for (const [id, view] of Object.entries(state.views)) {
        const typing = typingAt(view.typing, action.now);
        if (typing !== view.typing) views = { ...views, [id]: { ...view, typing } };
      }
      return views === state.views ? state : { ...state, views };
    }

    case 'replyStarted':
      return updateView(state, action.channelId, (view) =>
        view.replyingTo === action.messageId || !view.messages.some((m) => m.id === action.messageId) ? view : { ...view, replyingTo: action.messageId });

    case 'replyCancelled':
      return updateView(state, action.channelId, (view) => (view.replyingTo === null ? view : { ...view, replyingTo: null }));

    case 'historyRequested':
      return updateView(state, action.channelId, (view) => (view.loadingOlder ? view : { ...view, loadingOlder: true }));

    case 'historyFailed':
      return updateView(state, action.channelId, (view) => ({ ...view, loadingOlder: false }));

    case 'historyLoaded': {
      const h = action.history;
      return updateView(state, h.channelId, (view) => {
        const oldest = view.messages[0]?.id ?? Infinity;
        // The page answers "is there more?" for the oldest message held, unless what is held changed meanwhile
        // (a reopen replaced it) and the page does not even reach below it.
        const current = action.before === oldest;
        const extendsDown = h.messages.length > 0 && h.messages[0]!.id < oldest;
        return {
          ...view,
          messages: mergeMessages(withoutGone(view.messages, h.messages, action.before), withoutDeleted(h.messages, view.deleted)),
          hasMore: current || extendsDown || view.messages.length === 0 ? h.hasMore : view.hasMore,
          loadingOlder: false,
        };
      });
    }

    case 'memberOnline':
      return updateView(state, action.channelId, (view) => ({ ...view, online: upsert(view.online, action.member) }));

    case 'memberOffline':
      return updateView(state, action.channelId, (view) => {
        const online = without(view.online, action.userId);
        return online === view.online ? view : { ...view, online };
      });

    case 'voiceMemberJoined':
    case 'voiceMemberUpdated':
      return updateView(state, action.channelId, (view) => ({ ...view, voice: upsert(view.voice, action.member) }));

    case 'voiceMemberLeft':
      return updateView(state, action.channelId, (view) => {
        const voice = without(view.voice, action.userId);
        return voice === view.voice ? view : { ...view, voice };
      });

    case 'voiceSpeaking':
      return updateView(state, action.channelId, (view) => {
        const i = view.voice.findIndex((m) => m.userId === action.userId);
        if (i < 0 || view.voice[i]!.speaking === action.speaking) return view;
        const voice = view.voice.slice();
        voice[i] = { ...voice[i]!, speaking: action.speaking };
        return { ...view, voice };
      });

    case 'voiceMembers': {
      const id = action.channelId;
      const view = state.views[id] ?? emptyView();
      return { ...state, views: { ...state.views, [id]: { ...view, voice: action.members } } };
    }

    case 'voiceStatus': {
      const volumes = action.status.channelId === state.voice.channelId ? state.volumes : {};
      return { ...state, voice: action.status, volumes };
    }

    case 'selectChannel': {
      if (state.activeChannelId === action.channelId) return state;
      let views = state.views;
      const left = state.activeChannelId ? views[state.activeChannelId] : undefined;
      if (left && state.activeChannelId) views = { ...views, [state.activeChannelId]: { ...left, dividerBefore: null } };
      const entered = views[action.channelId];
      if (entered && state.focused) views = { ...views, [action.channelId]: arrive(entered, false) };
      return { ...state, activeChannelId: action.channelId, views };
    }

    case 'focus': {
      if (state.focused === action.focused) return state;
      const next = { ...state, focused: action.focused };
      if (action.focused && state.activeChannelId) return updateView(next, state.activeChannelId, (view) => arrive(view, true));
      return next;
    }

    case 'memberVolume':
      return { ...state, volumes: { ...state.volumes, [action.userId]: action.volume } };

    case 'server':
      return typeof action.settings.name === 'string' ? { ...state, serverName: action.settings.name } : state;
    case 'permissions': {
      const p = action.permissions;
      // Lists may come as null from a differently versioned server; the store holds arrays.
      return {
        ...state,
        permissions: {
          server: p.server ?? [],
          owner: p.owner === true,
          roles: p.roles ?? [],
          // Only while timed out: the server says when it starts and when it ends.
          ...(p.timedOutUntil ? { timedOutUntil: p.timedOutUntil, timeOutReason: p.timeOutReason ?? null } : {}),
        },
      };
    }
  }
}

import { isTransient, parseHubError } from '../protocol/errors';
import {
  HubEvents,
  HubMethods,
  Limits,
  type ChannelDto,
  type ChannelViewDto,
  type HistoryDto,
  type IceServersDto,
  type MemberDto,
  type MessageDto,
  type PermissionsDto,
  type ServerSettingsDto,
  type VoiceJoinedDto,
  type VoiceMemberDto,
} from '../protocol/types';
import { nextTypingExpiry, type Action, type State } from '../state/store';
import { TypingShowMs, TypingThrottle } from '../state/typing';
import type { VoiceSignalling } from '../voice/voiceSession';
import { newPostNonce } from './postNonce';

/** What the client needs of a SignalR HubConnection (the real one fits; tests use a fake). */
export interface HubLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  invoke<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
  // SignalR hands event arguments over untyped.
  on(event: string, handler: (...args: any[]) => void): void;
  onreconnecting(callback: (error?: Error) => void): void;
  onreconnected(callback: (connectionId?: string) => void): void;
  onclose(callback: (error?: Error) => void): void;
}

/** The voice session as the connection drives it. */
export interface VoiceEvents {
  resume(): Promise<void>;
  handleReconnect(channelId: string): Promise<void>;
  handleEnded(channelId: string, reason: string): void;
  handleMoved(channelId: string, toChannelId: string): Promise<void>;
}

export interface ChatClientOptions {
  dispatch: (action: Action) => void;
  getState: () => State;
  /** The highest message id seen per channel, remembered from earlier visits. */
  readMarkers?: () => Record<string, number>;
  /** The channel to show first when none is active (the last one visited). */
  preferredChannel?: () => string | null;
  delay?: (ms: number) => Promise<void>;
  /** A start attempt failed (before the next one is made). */
  onStartFailed?: (error: unknown) => void;
  /** The user set a member's volume (to remember it). */
  onMemberVolume?: (userId: string, volume: number) => void;
  /** The clock for typing indicators (`Date.now` unless a test sets it). */
  now?: () => number;
}

/** The shortest pause before a reconnect attempt, and the longest. */
export const minReconnectDelayMs = 1_000;
export const maxReconnectDelayMs = 30_000;

/** The longest pause before attempt `previousRetryCount + 1`: 2 s, then doubling up to 30 s. */
export const reconnectCeilingMs = (previousRetryCount: number) =>
  Math.min(maxReconnectDelayMs, 2_000 * 2 ** Math.min(previousRetryCount, 16));

/**
 * Pauses between reconnect attempts, for as long as it takes: a random time between 1 s and a ceiling that doubles
 * with each attempt up to 30 s. The randomness spreads out the clients of a gateway that restarted, which would
 * otherwise all come back in the same instant, and again at each later step.
 */
export const nextReconnectDelay = (previousRetryCount: number, random: () => number = Math.random) =>
  Math.round(minReconnectDelayMs + random() * (reconnectCeilingMs(previousRetryCount) - minReconnectDelayMs));

/**
 * The signed-in user's connection to the gateway: turns hub events into store actions, opens channels (every
 * voice channel, for its member list, and each text channel once visited), and after a reconnect opens them
 * again and resumes voice.
 */
export class ChatClient implements VoiceSignalling {
  private voice: VoiceEvents | null = null;
  private readonly wanted = new Set<string>();
  private readonly opening = new Map<string, Promise<void>>();
  private stopped = false;
  private starting: Promise<void> | null = null;
  private readonly volumeTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly delay: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly typingThrottle = new TypingThrottle();
  private typingTimer: ReturnType<typeof setTimeout> | null = null;
  private typingTimerAt = 0;

  constructor(
    private readonly hub: HubLike,
    private readonly options: ChatClientOptions,
  ) {
    this.delay = options.delay ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    const { dispatch } = options;
    // An event missing (null or undefined) one of its handler's required parameters (`handler.length`: those
    // before any with a default) comes from a broken or differently versioned server. It is dropped here rather
    // than put into the store, where it would break rendering later.
    const on = (event: string, handler: (...args: any[]) => void) =>
      hub.on(event, (...args: unknown[]) => {
        for (let i = 0; i < handler.length; i++) if (args[i] === null || args[i] === undefined) return;
        handler(...args);
      });

    on(HubEvents.messagePosted, (message: MessageDto) => dispatch({ type: 'messagePosted', message }));
    on(HubEvents.messageEdited, (message: MessageDto) => dispatch({ type: 'messageEdited', message }));
    on(HubEvents.messageDeleted, (channelId: string, messageId: number) => dispatch({ type: 'messageDeleted', channelId, messageId }));
    on(HubEvents.typing, (channelId: string, userId: string, displayName: string) => {
      dispatch({ type: 'typing', channelId, userId, displayName, until: this.now() + TypingShowMs });
      this.scheduleTypingExpiry();
    });
    on(HubEvents.memberOnline, (channelId: string, member: MemberDto) => dispatch({ type: 'memberOnline', channelId, member }));
    on(HubEvents.memberOffline, (channelId: string, userId: string) => dispatch({ type: 'memberOffline', channelId, userId }));
    on(HubEvents.channelsChanged, (channels: ChannelDto[]) => Array.isArray(channels) && this.applyChannels(channels, true));
    on(HubEvents.channelUpdated, (channel: ChannelDto) => dispatch({ type: 'channelUpdated', channel }));
    on(HubEvents.channelRemoved, (channelId: string) => {
      this.wanted.delete(channelId);
      dispatch({ type: 'channelRemoved', channelId });
      this.selectDefaultIfNone();
    });
    on(HubEvents.voiceMemberJoined, (channelId: string, member: VoiceMemberDto) => dispatch({ type: 'voiceMemberJoined', channelId, member }));
    on(HubEvents.voiceMemberUpdated, (channelId: string, member: VoiceMemberDto) => dispatch({ type: 'voiceMemberUpdated', channelId, member }));
    on(HubEvents.voiceMemberLeft, (channelId: string, userId: string) => dispatch({ type: 'voiceMemberLeft', channelId, userId }));
    on(HubEvents.voiceSpeaking, (channelId: string, userId: string, speaking: boolean) =>
      dispatch({ type: 'voiceSpeaking', channelId, userId, speaking }));
    on(HubEvents.voiceReconnect, (channelId: string) => void this.voice?.handleReconnect(channelId));
    // The reason is optional: the session ends either way.
    on(HubEvents.voiceEnded, (channelId: string, reason = '') => this.voice?.handleEnded(channelId, reason));
    on(HubEvents.voiceMoved, (channelId: string, toChannelId: string) => void this.voice?.handleMoved(channelId, toChannelId));
    on(HubEvents.permissionsChanged, (permissions: PermissionsDto) => dispatch({ type: 'permissions', permissions }));
    on(HubEvents.serverUpdated, (settings: ServerSettingsDto) => dispatch({ type: 'server', settings }));

    hub.onreconnecting(() => {
      dispatch({ type: 'connection', status: 'reconnecting' });
      dispatch({ type: 'channelsClosed' });
    });
    hub.onreconnected(() => void this.afterConnect(true));
    hub.onclose(() => {
      dispatch({ type: 'connection', status: 'disconnected' });
      dispatch({ type: 'channelsClosed' });
      // The automatic reconnect never gives up, so this is a refused reconnect or a stop: start over unless stopped.
      if (!this.stopped) void this.connect(true);
    });
  }

  attachVoice(voice: VoiceEvents): void {
    this.voice = voice;
  }

  /** Connects, retrying until it works or `stop` is called. */
  start(): Promise<void> {
    return this.connect(false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.volumeTimers.values()) clearTimeout(t);
    if (this.typingTimer) clearTimeout(this.typingTimer);
    this.typingTimer = null;
    await this.hub.stop().catch(() => {});
  }

  private connect(resumeVoice: boolean): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = (async () => {
      for (let attempt = 0; !this.stopped; attempt++) {
        this.options.dispatch({ type: 'connection', status: attempt === 0 ? 'connecting' : 'disconnected' });
        try {
          await this.hub.start();
          break;
        } catch (e) {
          if (this.stopped) return;
          this.options.onStartFailed?.(e);
          this.options.dispatch({ type: 'connection', status: 'disconnected' });
          await this.delay(nextReconnectDelay(attempt + 1));
        }
      }
      if (!this.stopped) await this.afterConnect(resumeVoice);
    })().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  /** Loads the channel list and opens the channels this client keeps open; then resumes voice. */
  private async afterConnect(resumeVoice: boolean): Promise<void> {
    const { dispatch } = this.options;
    dispatch({ type: 'connection', status: 'connected' });
    try {
      const channels = await this.retrying(() => this.hub.invoke<ChannelDto[] | null>(HubMethods.getChannels));
      this.applyChannels(channels ?? [], false);
      void this.loadPermissions();
      // A channel the user may no longer read refuses the open; the others open all the same.
      await Promise.all([...this.wanted].map((id) => this.openChannel(id).catch((e) => {
        if (parseHubError(e).code !== 'forbidden') throw e;
      })));
    } catch {
      // The connection went away again; its reconnect starts this over.
    }
    if (resumeVoice) await this.voice?.resume();
  }

  /** The user's server-level permissions; a server before roles has no such method, and the store keeps null. */
  private async loadPermissions(): Promise<void> {
    try {
      const permissions = await this.retrying(() => this.hub.invoke<PermissionsDto | null>(HubMethods.getPermissions));
      if (permissions) this.options.dispatch({ type: 'permissions', permissions });
    } catch {
      // Unknown method or a lost connection: nothing to manage; a reconnect asks again.
    }
  }

  /**
   * Takes a new channel list; voice channels are always open, new ones at once when `openNew`. A channel that is
   * no longer listed (deleted, or hidden from this user) is forgotten; voice there ends, and the view moves on.
   */
  private applyChannels(channels: ChannelDto[], openNew: boolean): void {
    this.options.dispatch({ type: 'channels', channels });
    const ids = new Set(channels.map((c) => c.id));
    for (const id of [...this.wanted]) if (!ids.has(id)) this.wanted.delete(id);
    const voiceChannel = this.options.getState().voice.channelId;
    if (voiceChannel !== null && !ids.has(voiceChannel)) this.voice?.handleEnded(voiceChannel, 'this channel is no longer available to you.');
    for (const c of channels) {
      if (c.kind === 'voice' && !this.wanted.has(c.id)) {
        this.wanted.add(c.id);
        if (openNew) void this.openChannel(c.id).catch(() => {});
      }
    }
    this.selectDefaultIfNone();
  }

  /** With no channel shown (at start, or the shown one was deleted): the last one visited, else the first text channel. */
  private selectDefaultIfNone(): void {
    const { activeChannelId, channels } = this.options.getState();
    if (activeChannelId !== null) return;
    const preferred = this.options.preferredChannel?.();
    const text = channels.filter((c) => c.kind === 'text');
    const choice = text.find((c) => c.id === preferred) ?? text[0];
    if (choice) this.selectChannel(choice.id);
  }

  /** Shows a channel; text channels are opened (and stay open) on first visit. */
  selectChannel(channelId: string): void {
    this.options.dispatch({ type: 'selectChannel', channelId });
    const channel = this.options.getState().channels.find((c) => c.id === channelId);
    if (channel && !this.wanted.has(channelId)) {
      this.wanted.add(channelId);
      void this.openChannel(channelId).catch(() => {});
    }
  }

  /** Opens (subscribes to) a channel; concurrent calls for one channel share one hub call. */
  openChannel(channelId: string): Promise<void> {
    const inFlight = this.opening.get(channelId);
    if (inFlight) return inFlight;
    const opening = this.open(channelId).finally(() => this.opening.delete(channelId));
    this.opening.set(channelId, opening);
    return opening;
  }

  private async open(channelId: string): Promise<void> {
    const dto = await this.retrying(() => this.hub.invoke<ChannelViewDto>(HubMethods.openChannel, channelId));
    // Lists may come as null (or, for voice, be absent); the store holds arrays.
    const view: ChannelViewDto = { ...dto, online: dto.online ?? [], messages: dto.messages ?? [], voice: dto.voice ?? [] };
    const known = this.options.getState().views[channelId];
    const readUpTo = known ? undefined : this.options.readMarkers?.()[channelId];
    this.options.dispatch({ type: 'channelOpened', view, readUpTo });
  }

  /** Loads the page of messages before the oldest one held, unless one is loading or there is none. */
  async loadOlder(channelId: string): Promise<void> {
    const view = this.options.getState().views[channelId];
    if (!view || !view.hasMore || view.loadingOlder || view.messages.length === 0) return;
    this.options.dispatch({ type: 'historyRequested', channelId });
    const before = view.messages[0]!.id;
    try {
      const page = await this.hub.invoke<HistoryDto>(HubMethods.getHistory, channelId, before, Limits.historyPage);
      const history: HistoryDto = { ...page, channelId: page.channelId ?? channelId, messages: page.messages ?? [] };
      this.options.dispatch({ type: 'historyLoaded', history, before });
    } catch {
      this.options.dispatch({ type: 'historyFailed', channelId });
    }
  }

  /**
   * Posts a message; resolves with it once stored (and shows it at once), rejects with the hub error. A post refused
   * with `unavailable` is sent again with the same nonce: the server may have stored it before it failed to answer,
   * and the nonce makes it keep one copy.
   */
  async post(channelId: string, text: string, nonce: string = newPostNonce()): Promise<MessageDto> {
    this.typingThrottle.reset(channelId);
    const message = await this.retrying(() => this.hub.invoke<MessageDto>(HubMethods.postMessage, channelId, text, nonce));
    this.options.dispatch({ type: 'messagePosted', message });
    return message;
  }

  /**
   * Replies to a message of the channel (which must still exist); like `post`, a reply refused with `unavailable` is
   * sent again with the same nonce.
   */
  async reply(channelId: string, replyTo: number, text: string, nonce: string = newPostNonce()): Promise<MessageDto> {
    this.typingThrottle.reset(channelId);
    const message = await this.retrying(() => this.hub.invoke<MessageDto>(HubMethods.replyToMessage, channelId, replyTo, text, nonce));
    this.options.dispatch({ type: 'messagePosted', message });
    return message;
  }

  /** Changes the text of one of the user's messages; resolves with the message as it now is (and shows it). */
  async edit(channelId: string, messageId: number, text: string): Promise<MessageDto> {
    const message = await this.hub.invoke<MessageDto>(HubMethods.editMessage, channelId, messageId, text);
    if (message) this.options.dispatch({ type: 'messageEdited', message });
    return message;
  }

  /** Deletes a message (the user's own, or anyone's with manageMessages, with an optional reason); deleting twice is fine. */
  async deleteMessage(channelId: string, messageId: number, reason: string | null): Promise<void> {
    await this.retrying(() => this.hub.invoke(HubMethods.deleteMessage, channelId, messageId, reason));
    this.options.dispatch({ type: 'messageDeleted', channelId, messageId });
  }

  /** The user typed in a channel's composer: tells the server, at most once every few seconds per channel. */
  typing(channelId: string): void {
    if (this.options.getState().connection !== 'connected') return;
    if (!this.typingThrottle.shouldSend(channelId, this.now())) return;
    void this.hub.invoke(HubMethods.sendTyping, channelId).catch(() => {});
  }

  /** Sets a timer for the next typing entry to expire (and, when it fires, drops the expired ones and sets the next). */
  private scheduleTypingExpiry(): void {
    const next = nextTypingExpiry(this.options.getState());
    if (next === null || this.stopped) return;
    if (this.typingTimer !== null && this.typingTimerAt <= next) return;
    if (this.typingTimer !== null) clearTimeout(this.typingTimer);
    this.typingTimerAt = next;
    this.typingTimer = setTimeout(() => {
      this.typingTimer = null;
      this.options.dispatch({ type: 'typingExpired', now: this.now() });
      this.scheduleTypingExpiry();
    }, Math.max(0, next - this.now()));
  }

  /** Sets how loud a member is in this user's mix; calls are coalesced while a slider moves. */
  setMemberVolume(userId: string, volume: number): void {
    const clamped = Math.min(Limits.memberVolumeMax, Math.max(0, volume));
    this.options.dispatch({ type: 'memberVolume', userId, volume: clamped });
    this.options.onMemberVolume?.(userId, clamped);
    clearTimeout(this.volumeTimers.get(userId));
    this.volumeTimers.set(userId, setTimeout(() => {
      this.volumeTimers.delete(userId);
      void this.hub.invoke(HubMethods.setMemberVolume, userId, clamped).catch(() => {});
    }, 150));
  }

  getIceServers(): Promise<IceServersDto> {
    return this.hub.invoke<IceServersDto>(HubMethods.getIceServers);
  }

  /**
   * Joins a voice channel with an offer. A join refused with `unavailable` (no voice server answered in time, the
   * cluster is busy) is sent again with the same offer: a join replaces the member's previous one, so a retry is safe.
   */
  async joinVoice(channelId: string, sdpOffer: string, muted: boolean, deafened: boolean): Promise<VoiceJoinedDto> {
    return withMembers(await this.retrying(() => this.hub.invoke<VoiceJoinedDto>(HubMethods.joinVoice, channelId, sdpOffer, muted, deafened)));
  }

  async resumeVoice(channelId: string): Promise<VoiceJoinedDto> {
    return withMembers(await this.hub.invoke<VoiceJoinedDto>(HubMethods.resumeVoice, channelId));
  }

  async leaveVoice(): Promise<void> {
    await this.hub.invoke(HubMethods.leaveVoice);
  }

  async setVoiceState(muted: boolean, deafened: boolean): Promise<void> {
    await this.hub.invoke(HubMethods.setVoiceState, muted, deafened);
  }

  /** Server-mutes and server-deafens a member of a voice channel, or lifts it (needs muteMembers there). */
  async moderateVoice(channelId: string, userId: string, muted: boolean, deafened: boolean, reason: string | null): Promise<void> {
    await this.hub.invoke(HubMethods.moderateVoice, channelId, userId, muted, deafened, reason);
  }

  /** Ends a member's voice membership in a channel (needs moveMembers there). */
  async disconnectVoiceMember(channelId: string, userId: string, reason: string | null): Promise<void> {
    await this.hub.invoke(HubMethods.disconnectVoiceMember, channelId, userId, reason);
  }

  /** Moves a member to another voice channel (needs moveMembers in both). */
  async moveVoiceMember(channelId: string, userId: string, toChannelId: string, reason: string | null): Promise<void> {
    await this.hub.invoke(HubMethods.moveVoiceMember, channelId, userId, toChannelId, reason);
  }

  /** Retries calls refused with `unavailable` (the cluster is starting or busy) a few times. */
  private async retrying<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        const error = parseHubError(e);
        if (attempt >= 4 || error.code !== 'unavailable' || !isTransient(error)) throw e;
        await this.delay(500 * (attempt + 1));
      }
    }
  }
}

/** A voice join or resume answer with its member list an array even when the server sent none. */
const withMembers = (joined: VoiceJoinedDto): VoiceJoinedDto => ({ ...joined, members: joined.members ?? [] });

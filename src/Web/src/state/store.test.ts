import { describe, expect, test } from 'vitest';
import type { ChannelDto, ChannelViewDto, MessageDto, VoiceMemberDto } from '../protocol/types';
import { initialState, mergeMessages, reducer, unreadCount, type Action, type State } from './store';

const general: ChannelDto = { id: 'general', name: 'general', kind: 'text', position: 0, topic: 'Say hello' };
const random: ChannelDto = { id: 'random', name: 'random', kind: 'text', position: 1, topic: '' };
const lounge: ChannelDto = { id: 'lounge', name: 'Lounge', kind: 'voice', position: 2, topic: '' };

const me = { id: 'u-me', displayName: 'Me' };

function msg(id: number, channelId = 'general', authorId = 'u-other', text = `m${id}`): MessageDto {
  return { id, channelId, authorId, authorName: authorId, text, sentAt: new Date(Date.UTC(2025, 0, 1, 12, 0, id)).toISOString() };
}

function range(from: number, to: number, channelId = 'general'): MessageDto[] {
  const out: MessageDto[] = [];
  for (let id = from; id <= to; id++) out.push(msg(id, channelId));
  return out;
}

function view(channel: ChannelDto, messages: MessageDto[], hasMore = false, voice: VoiceMemberDto[] = []): ChannelViewDto {
  return { channel, online: [{ userId: 'u-other', displayName: 'Other' }], messages, hasMore, voice };
}

function run(state: State, ...actions: Action[]): State {
  return actions.reduce(reducer, state);
}

function started(focused = true): State {
  return run(initialState(focused), { type: 'me', user: me }, { type: 'channels', channels: [lounge, random, general] });
}

const ids = (state: State, channelId = 'general') => state.views[channelId]!.messages.map((m) => m.id);

describe('channels', () => {
  test('are kept in position order', () => {
    expect(started().channels.map((c) => c.id)).toEqual(['general', 'random', 'lounge']);
  });

  test('a channel list without a channel drops its view and, if active, the selection', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(1, 3)) }, { type: 'selectChannel', channelId: 'general' });
    s = reducer(s, { type: 'channels', channels: [random, lounge] });
    expect(s.views.general).toBeUndefined();
    expect(s.activeChannelId).toBeNull();
  });

  test('ChannelRemoved removes it and its view', () => {
    let s = run(started(), { type: 'channelOpened', view: view(random, range(1, 2, 'random')) });
    s = reducer(s, { type: 'channelRemoved', channelId: 'random' });
    expect(s.channels.map((c) => c.id)).toEqual(['general', 'lounge']);
    expect(s.views.random).toBeUndefined();
  });

  test('ChannelUpdated changes name and topic in place', () => {
    const s = reducer(started(), { type: 'channelUpdated', channel: { ...general, topic: 'new topic' } });
    expect(s.channels.find((c) => c.id === 'general')!.topic).toBe('new topic');
  });
});

describe('messages', () => {
  test('an opened channel holds its page, and events append to it', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(1, 3), true) });
    s = reducer(s, { type: 'messagePosted', message: msg(4) });
    expect(ids(s)).toEqual([1, 2, 3, 4]);
    expect(s.views.general!.hasMore).toBe(true);
  });

  test('the same message twice (the post reply and its event) is held once', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(1, 2)) });
    const posted = msg(3, 'general', me.id);
    s = run(s, { type: 'messagePosted', message: posted }, { type: 'messagePosted', message: posted });
    expect(ids(s)).toEqual([1, 2, 3]);
    const again = reducer(s, { type: 'messagePosted', message: msg(2) });
    expect(again).toBe(s);
  });

  test('an event that overtakes an earlier one is put in id order', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(1, 2)) });
    s = run(s, { type: 'messagePosted', message: msg(4) }, { type: 'messagePosted', message: msg(3) });
    expect(ids(s)).toEqual([1, 2, 3, 4]);
  });

  test('events for channels not open are ignored', () => {
    const s = started();
    expect(reducer(s, { type: 'messagePosted', message: msg(1, 'random') })).toBe(s);
  });

  test('history pages are put in front, without duplicates, and decide hasMore', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(51, 100), true) });
    s = reducer(s, { type: 'historyRequested', channelId: 'general' });
    expect(s.views.general!.loadingOlder).toBe(true);
    s = reducer(s, { type: 'historyLoaded', history: { channelId: 'general', messages: range(1, 51), hasMore: false }, before: 51 });
    expect(ids(s)).toEqual(range(1, 100).map((m) => m.id));
    expect(s.views.general!.hasMore).toBe(false);
    expect(s.views.general!.loadingOlder).toBe(false);
  });

  test('an empty page for the oldest message held ends the history', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(5, 6), true) });
    s = reducer(s, { type: 'historyLoaded', history: { channelId: 'general', messages: [], hasMore: false }, before: 5 });
    expect(s.views.general!.hasMore).toBe(false);
  });

  test('a page asked for before a reopen replaced the messages does not decide hasMore', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(5, 6), true) });
    s = reducer(s, { type: 'channelOpened', view: view(general, range(100, 149), true) });
    s = reducer(s, { type: 'historyLoaded', history: { channelId: 'general', messages: range(150, 151), hasMore: false }, before: 5 });
    expect(s.views.general!.hasMore).toBe(true);
  });

  test('a failed history load can be tried again', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(5, 6), true) }, { type: 'historyRequested', channelId: 'general' });
    s = reducer(s, { type: 'historyFailed', channelId: 'general' });
    expect(s.views.general!.loadingOlder).toBe(false);
  });

  test('reopening after a reconnect joins the new page to what is held when they meet', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(1, 60), false) }, { type: 'channelsClosed' });
    expect(s.views.general!.open).toBe(false);
    s = reducer(s, { type: 'channelOpened', view: view(general, range(13, 62), true) });
    expect(ids(s)).toEqual(range(1, 62).map((m) => m.id));
    expect(s.views.general!.hasMore).toBe(false);
    expect(s.views.general!.open).toBe(true);
  });

  test('reopening with a gap replaces what is held (it cannot be joined)', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(1, 10), false) });
    s = reducer(s, { type: 'channelOpened', view: view(general, range(100, 149), true) });
    expect(ids(s)[0]).toBe(100);
    expect(s.views.general!.messages).toHaveLength(50);
    expect(s.views.general!.hasMore).toBe(true);
  });

  test('mergeMessages handles interleaved and duplicate input', () => {
    const merged = mergeMessages([msg(1), msg(3), msg(5)], [msg(4), msg(3), msg(2), msg(2)]);
    expect(merged.map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
    expect(mergeMessages([], [msg(2), msg(1), msg(2)]).map((m) => m.id)).toEqual([1, 2]);
  });
});

describe('presence', () => {
  test('members come and go, once each', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, []) });
    const ann = { userId: 'u-ann', displayName: 'Ann' };
    s = run(s, { type: 'memberOnline', channelId: 'general', member: ann }, { type: 'memberOnline', channelId: 'general', member: ann });
    expect(s.views.general!.online.map((m) => m.userId)).toEqual(['u-other', 'u-ann']);
    s = reducer(s, { type: 'memberOffline', channelId: 'general', userId: 'u-other' });
    expect(s.views.general!.online.map((m) => m.userId)).toEqual(['u-ann']);
  });
});

describe('voice members', () => {
  const ann: VoiceMemberDto = { userId: 'u-ann', displayName: 'Ann', muted: false, deafened: false, speaking: false };

  test('join, update, speak and leave', () => {
    let s = run(started(), { type: 'channelOpened', view: view(lounge, [], false, [ann]) });
    expect(s.views.lounge!.voice).toEqual([ann]);
    const bo: VoiceMemberDto = { ...ann, userId: 'u-bo', displayName: 'Bo' };
    s = run(
      s,
      { type: 'voiceMemberJoined', channelId: 'lounge', member: bo },
      { type: 'voiceMemberUpdated', channelId: 'lounge', member: { ...ann, muted: true } },
      { type: 'voiceSpeaking', channelId: 'lounge', userId: 'u-bo', speaking: true },
    );
    expect(s.views.lounge!.voice).toEqual([
      { ...ann, muted: true },
      { ...bo, speaking: true },
    ]);
    s = reducer(s, { type: 'voiceMemberLeft', channelId: 'lounge', userId: 'u-ann' });
    expect(s.views.lounge!.voice.map((m) => m.userId)).toEqual(['u-bo']);
  });

  test('speaking for someone not in the channel changes nothing', () => {
    const s = run(started(), { type: 'channelOpened', view: view(lounge, [], false, [ann]) });
    expect(reducer(s, { type: 'voiceSpeaking', channelId: 'lounge', userId: 'u-nobody', speaking: true })).toBe(s);
  });

  test('the members a join returns replace the list', () => {
    let s = run(started(), { type: 'channelOpened', view: view(lounge, [], false, [ann]) });
    s = reducer(s, { type: 'voiceMembers', channelId: 'lounge', members: [] });
    expect(s.views.lounge!.voice).toEqual([]);
  });

  test('member volumes are forgotten when the voice channel changes', () => {
    let s = reducer(started(), { type: 'voiceStatus', status: { channelId: 'lounge', phase: 'connected', muted: false, deafened: false, error: null } });
    s = reducer(s, { type: 'memberVolume', userId: 'u-ann', volume: 1.5 });
    s = reducer(s, { type: 'voiceStatus', status: { ...s.voice, muted: true } });
    expect(s.volumes).toEqual({ 'u-ann': 1.5 });
    s = reducer(s, { type: 'voiceStatus', status: { ...s.voice, channelId: null, phase: 'idle' } });
    expect(s.volumes).toEqual({});
  });
});

describe('unread and the new-messages divider', () => {
  test('a first open with no memory counts everything as read', () => {
    const s = run(started(), { type: 'channelOpened', view: view(random, range(1, 5, 'random')) });
    expect(s.views.random!.readUpTo).toBe(5);
    expect(unreadCount(s.views.random, me.id)).toBe(0);
  });

  test('a remembered read marker puts the divider at the first unseen message on arrival', () => {
    let s = run(started(), { type: 'selectChannel', channelId: 'general' });
    s = reducer(s, { type: 'channelOpened', view: view(general, range(1, 10)), readUpTo: 7 });
    expect(s.views.general!.dividerBefore).toBe(8);
    expect(s.views.general!.readUpTo).toBe(10);
  });

  test('messages in another channel are unread until it is visited; own messages are not', () => {
    let s = run(
      started(),
      { type: 'channelOpened', view: view(general, range(1, 2)) },
      { type: 'channelOpened', view: view(random, range(1, 2, 'random')) },
      { type: 'selectChannel', channelId: 'general' },
    );
    s = run(s, { type: 'messagePosted', message: msg(3, 'random') }, { type: 'messagePosted', message: msg(4, 'random') });
    expect(unreadCount(s.views.random, me.id)).toBe(2);
    s = reducer(s, { type: 'selectChannel', channelId: 'random' });
    expect(s.views.random!.dividerBefore).toBe(3);
    expect(unreadCount(s.views.random, me.id)).toBe(0);
    // Leaving clears the divider; coming back with nothing new shows none.
    s = run(s, { type: 'selectChannel', channelId: 'general' }, { type: 'selectChannel', channelId: 'random' });
    expect(s.views.random!.dividerBefore).toBeNull();
  });

  test('messages arriving in the watched channel are read at once and add no divider', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(1, 2)) }, { type: 'selectChannel', channelId: 'general' });
    s = reducer(s, { type: 'messagePosted', message: msg(3) });
    expect(s.views.general!.readUpTo).toBe(3);
    expect(s.views.general!.dividerBefore).toBeNull();
  });

  test('while the page is in the background the divider marks where unseen messages start', () => {
    let s = run(started(), { type: 'channelOpened', view: view(general, range(1, 2)) }, { type: 'selectChannel', channelId: 'general' });
    s = run(s, { type: 'focus', focused: false }, { type: 'messagePosted', message: msg(3) }, { type: 'messagePosted', message: msg(4) });
    expect(s.views.general!.dividerBefore).toBe(3);
    expect(unreadCount(s.views.general, me.id)).toBe(2);
    s = reducer(s, { type: 'focus', focused: true });
    expect(s.views.general!.dividerBefore).toBe(3);
    expect(s.views.general!.readUpTo).toBe(4);
  });

  test('posting clears the divider in the watched channel', () => {
    let s = run(started(), { type: 'selectChannel', channelId: 'general' });
    s = reducer(s, { type: 'channelOpened', view: view(general, range(1, 4)), readUpTo: 2 });
    expect(s.views.general!.dividerBefore).toBe(3);
    s = reducer(s, { type: 'messagePosted', message: msg(5, 'general', me.id) });
    expect(s.views.general!.dividerBefore).toBeNull();
  });
});

describe('permissions', () => {
  test('are kept as arrays, and a channel update without permissions keeps the user’s', () => {
    let s = run(started(), { type: 'permissions', permissions: { server: null, owner: true, roles: null } as never });
    expect(s.permissions).toEqual({ server: [], owner: true, roles: [] });
    s = run(s, { type: 'channels', channels: [{ ...general, permissions: ['viewChannel', 'readHistory'] }, lounge] });
    s = run(s, { type: 'channelUpdated', channel: { ...general, topic: 'New topic' } });
    expect(s.channels[0]).toMatchObject({ topic: 'New topic', permissions: ['viewChannel', 'readHistory'] });
    s = run(s, { type: 'channelOpened', view: view({ ...general, permissions: ['viewChannel'] }, []) });
    expect(s.channels[0]!.permissions).toEqual(['viewChannel']);
    s = run(s, { type: 'channelOpened', view: view(general, []) });
    expect(s.channels[0]!.permissions).toEqual(['viewChannel']);
  });
});

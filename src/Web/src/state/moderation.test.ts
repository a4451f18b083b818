import { describe, expect, test } from 'vitest';
import type { ChannelDto, Permission } from '../protocol/types';
import { mayActOn, moderatesVoice, moderationReason, ModerationReasonMax, serverDeafenedInVoice, voiceModerations } from './moderation';
import { initialState, reducer } from './store';

const voice = (id: string, permissions?: Permission[]): ChannelDto => ({ id, name: id, kind: 'voice', position: 0, topic: '', permissions });
const basic: Permission[] = ['viewChannel', 'connect', 'speak'];
const member = { serverMuted: false, serverDeafened: false };

describe('who may act on whom', () => {
  test('never on themselves nor on the owner, and only on members ranked below', () => {
    expect(mayActOn('me', 2, 'me')).toBe(false);
    expect(mayActOn('me', Number.POSITIVE_INFINITY, 'boss', { owner: true })).toBe(false);
    expect(mayActOn('me', 2, 'peer', { position: 2 })).toBe(false);
    expect(mayActOn('me', 2, 'senior', { position: 3 })).toBe(false);
    expect(mayActOn('me', 2, 'junior', { position: 1 })).toBe(true);
    expect(mayActOn('me', 2, 'plain', { position: 0 })).toBe(true);
  });

  test('the owner acts on anyone else; an unknown rank is left to the server; nobody acts before signing in', () => {
    expect(mayActOn('me', Number.POSITIVE_INFINITY, 'admin', { position: 99 })).toBe(true);
    expect(mayActOn('me', 1, 'someone')).toBe(true);
    expect(mayActOn(null, Number.POSITIVE_INFINITY, 'someone')).toBe(false);
  });
});

describe('which actions are offered', () => {
  const lounge = voice('lounge', [...basic, 'muteMembers', 'moveMembers']);
  const stage = voice('stage', [...basic, 'moveMembers']);
  const closed = voice('closed', basic);
  const text: ChannelDto = { ...voice('general', [...basic, 'moveMembers']), kind: 'text' };
  const all = [lounge, stage, closed, text];

  test('muteMembers gives mute and deafen; moveMembers gives disconnect and a move to the voice channels where it is held', () => {
    const { actions, moveTo } = voiceModerations(lounge, all, member);
    expect(actions).toEqual(['mute', 'deafen', 'disconnect', 'move']);
    expect(moveTo.map((c) => c.id)).toEqual(['stage']);
  });

  test('a muted or deafened member is offered the way back', () => {
    expect(voiceModerations(lounge, all, { serverMuted: true, serverDeafened: true }).actions).toEqual(['unmute', 'undeafen', 'disconnect', 'move']);
  });

  test('moveMembers alone: disconnect and move, no mute; no other channel to go to: no move', () => {
    expect(voiceModerations(stage, [stage, closed, text], member)).toEqual({ actions: ['disconnect'], moveTo: [] });
    expect(voiceModerations(stage, [stage, lounge], member)).toEqual({ actions: ['disconnect', 'move'], moveTo: [lounge] });
  });

  test('muteMembers alone: mute and deafen only', () => {
    expect(voiceModerations(voice('quiet', [...basic, 'muteMembers']), all, member)).toEqual({ actions: ['mute', 'deafen'], moveTo: [] });
  });

  test('no menu without either permission, nor from a server before roles', () => {
    expect(moderatesVoice(lounge)).toBe(true);
    expect(moderatesVoice(stage)).toBe(true);
    expect(moderatesVoice(closed)).toBe(false);
    expect(moderatesVoice(voice('old'))).toBe(false);
    expect(voiceModerations(closed, all, member)).toEqual({ actions: [], moveTo: [] });
  });
});

describe('a moderator’s reason', () => {
  test('is trimmed, null when empty, and at most 512 characters', () => {
    expect(moderationReason('  ')).toBeNull();
    expect(moderationReason(' spam ')).toBe('spam');
    expect(moderationReason('x'.repeat(600))).toHaveLength(ModerationReasonMax);
  });
});

test('the user knows when a moderator deafened them', () => {
  let s = reducer(initialState(), { type: 'me', user: { id: 'me', displayName: 'Me' } });
  s = reducer(s, { type: 'voiceStatus', status: { channelId: 'lounge', phase: 'connected', muted: false, deafened: false, error: null } });
  expect(serverDeafenedInVoice(s)).toBe(false);
  s = reducer(s, { type: 'voiceMembers', channelId: 'lounge', members: [{ userId: 'me', displayName: 'Me', muted: false, deafened: false, speaking: false, serverDeafened: true }] });
  expect(serverDeafenedInVoice(s)).toBe(true);
});

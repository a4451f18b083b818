import { describe, expect, test } from 'vitest';
import type { VoiceMemberDto } from '../protocol/types';
import { initialState, type ChannelView, type State } from '../state/store';
import { initialVoice } from './types';
import { RememberedVolumes, remember } from './rememberedVolumes';

const member = (userId: string): VoiceMemberDto => ({ userId, displayName: userId, muted: false, deafened: false, speaking: false });

function inVoice(members: string[], phase: 'connected' | 'joining' | 'idle' = 'connected', volumes: Record<string, number> = {}): State {
  const base = initialState();
  const channel = phase === 'idle' ? null : 'lounge';
  return {
    ...base,
    me: { id: 'me', displayName: 'Me' },
    voice: { ...initialVoice, channelId: channel, phase },
    volumes,
    // Only the room's member list matters here.
    views: { lounge: { voice: members.map(member) } as unknown as ChannelView },
  };
}

describe('remember', () => {
  test('keeps chosen volumes, forgets 100 %, and keeps the newest when full', () => {
    let map = remember({}, 'bob', 0.5);
    map = remember(map, 'carol', 1.5);
    expect(map).toEqual({ bob: 0.5, carol: 1.5 });
    expect(remember(map, 'bob', 1)).toEqual({ carol: 1.5 });
    const full = remember(remember(remember({}, 'a', 0.1, 2), 'b', 0.2, 2), 'c', 0.3, 2);
    expect(full).toEqual({ b: 0.2, c: 0.3 });
    expect(Object.keys(remember(full, 'b', 0.4, 2))).toEqual(['c', 'b']);
  });
});

describe('RememberedVolumes', () => {
  test('applies a remembered volume once per voice session, to members in the room only', () => {
    const stored = { bob: 0.5, carol: 1.5, dave: 0.25 };
    const volumes = new RememberedVolumes(() => stored, () => {});

    expect(volumes.due(inVoice(['me', 'bob'], 'joining'))).toEqual([]);
    const members = inVoice(['me', 'bob', 'carol', 'erin']);
    expect(volumes.due(members)).toEqual([
      ['bob', 0.5],
      ['carol', 1.5],
    ]);
    expect(volumes.due(members)).toEqual([]);
    // Dave arrives; Bob is still there and is not set again.
    expect(volumes.due(inVoice(['me', 'bob', 'carol', 'erin', 'dave']))).toEqual([['dave', 0.25]]);
    expect(volumes.due(inVoice(['me', 'bob', 'carol', 'dave']))).toEqual([]);

    // Leaving voice ends the session: the next join applies them again, unless already in effect.
    expect(volumes.due(inVoice([], 'idle'))).toEqual([]);
    expect(volumes.due(inVoice(['me', 'bob', 'carol'], 'connected', { carol: 1.5 }))).toEqual([['bob', 0.5]]);
  });

  test('update hands each due volume to apply', () => {
    const applied: Array<[string, number]> = [];
    const volumes = new RememberedVolumes(() => ({ bob: 0.5 }), (userId, volume) => applied.push([userId, volume]));
    volumes.update(inVoice(['me', 'bob']));
    expect(applied).toEqual([['bob', 0.5]]);
  });
});

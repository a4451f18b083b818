import { describe, expect, test } from 'vitest';
import type { ChannelDto } from '../protocol/types';
import { applyOrder, categories, describeMove, displayOrder, groupChannels, moveOnto, moveWithinGroup } from './channelOrder';

const channel = (id: string, position: number, category: string | null = null): ChannelDto => ({
  id,
  name: id,
  kind: 'text',
  position,
  topic: '',
  category,
});

// general, random (no category); lounge, raid (Games); notes (Work) — listed out of order on purpose.
const channels = [channel('raid', 4, 'Games'), channel('general', 0), channel('lounge', 1, 'Games'), channel('notes', 2, 'Work'), channel('random', 3)];

describe('grouping', () => {
  test('uncategorised channels come first, then each category in the order of its first channel, each by position', () => {
    expect(groupChannels(channels).map((g) => [g.category, g.channels.map((c) => c.id)])).toEqual([
      [null, ['general', 'random']],
      ['Games', ['lounge', 'raid']],
      ['Work', ['notes']],
    ]);
    expect(displayOrder(channels)).toEqual(['general', 'random', 'lounge', 'raid', 'notes']);
    expect(categories(channels)).toEqual(['Games', 'Work']);
  });

  test('no empty group for channels without a category; blank categories count as none', () => {
    const grouped = groupChannels([channel('a', 0, 'X'), channel('b', 1, '  ')]);
    expect(grouped.map((g) => g.category)).toEqual([null, 'X']);
    expect(groupChannels([channel('a', 0, 'X')]).map((g) => g.category)).toEqual(['X']);
  });
});

describe('moving by keyboard', () => {
  test('a channel swaps with its neighbour in its own category', () => {
    expect(moveWithinGroup(channels, 'raid', -1)).toEqual(['general', 'random', 'raid', 'lounge', 'notes']);
    expect(moveWithinGroup(channels, 'general', 1)).toEqual(['random', 'general', 'lounge', 'raid', 'notes']);
  });

  test('the first of a group cannot go up, the last cannot go down, an unknown channel does not move', () => {
    expect(moveWithinGroup(channels, 'lounge', -1)).toBeNull();
    expect(moveWithinGroup(channels, 'random', 1)).toBeNull();
    expect(moveWithinGroup(channels, 'notes', 1)).toBeNull();
    expect(moveWithinGroup(channels, 'nope', 1)).toBeNull();
  });

  test('the new order applied gives positions that group back the same way, and is announced', () => {
    const order = moveWithinGroup(channels, 'raid', -1)!;
    const moved = applyOrder(channels, order);
    expect(displayOrder(moved)).toEqual(order);
    expect(describeMove(moved, 'raid')).toBe('raid moved to position 1 of 2 in Games.');
    expect(describeMove(applyOrder(channels, moveWithinGroup(channels, 'general', 1)!), 'general')).toBe('general moved to position 2 of 2.');
  });
});

describe('moving by drag and drop', () => {
  const order = ['a', 'b', 'c', 'd'];

  test('dropped on a later channel it goes after it; on an earlier one, before it', () => {
    expect(moveOnto(order, 'a', 'c')).toEqual(['b', 'c', 'a', 'd']);
    expect(moveOnto(order, 'd', 'b')).toEqual(['a', 'd', 'b', 'c']);
    expect(moveOnto(order, 'b', 'a')).toEqual(['b', 'a', 'c', 'd']);
  });

  test('dropped on itself or with an unknown id nothing changes', () => {
    expect(moveOnto(order, 'b', 'b')).toBeNull();
    expect(moveOnto(order, 'x', 'b')).toBeNull();
    expect(moveOnto(order, 'b', 'x')).toBeNull();
  });

  test('channels the order does not list keep their relative place after the listed ones', () => {
    const placed = applyOrder([channel('a', 0), channel('b', 1), channel('c', 2)], ['c', 'a']);
    expect(displayOrder(placed)).toEqual(['c', 'a', 'b']);
  });
});

import { describe, expect, test } from 'vitest';
import type { MessageDto } from '../protocol/types';
import { buildTimeline, GroupWindowMs } from './timeline';

const base = new Date(2025, 2, 4, 12, 0, 0).getTime(); // local noon, so a day line only comes from a real day change

function m(id: number, authorId: string, offsetMs: number): MessageDto {
  return { id, channelId: 'c', authorId, authorName: authorId, text: `t${id}`, sentAt: new Date(base + offsetMs).toISOString() };
}

const shape = (items: ReturnType<typeof buildTimeline>) =>
  items.map((i) => (i.kind === 'message' ? `${i.message.id}${i.head ? 'H' : ''}` : i.kind));

describe('buildTimeline', () => {
  test('consecutive messages of one author within the window share a header', () => {
    const items = buildTimeline([m(1, 'a', 0), m(2, 'a', 60_000), m(3, 'b', 61_000), m(4, 'a', 62_000), m(5, 'a', 63_000)], null);
    expect(shape(items)).toEqual(['day', '1H', '2', '3H', '4H', '5']);
  });

  test('the same author under another name starts a new group', () => {
    const renamed = { ...m(2, 'a', 1000), authorName: 'a as an account' };
    const items = buildTimeline([m(1, 'a', 0), renamed, { ...m(3, 'a', 2000), authorName: 'a as an account' }], null);
    expect(shape(items)).toEqual(['day', '1H', '2H', '3']);
  });

  test('a pause longer than the window starts a new group', () => {
    const items = buildTimeline([m(1, 'a', 0), m(2, 'a', GroupWindowMs), m(3, 'a', 2 * GroupWindowMs + 1)], null);
    expect(shape(items)).toEqual(['day', '1H', '2', '3H']);
  });

  test('the divider goes before its message and starts a group', () => {
    const items = buildTimeline([m(1, 'a', 0), m(2, 'a', 1000), m(3, 'a', 2000)], 2);
    expect(shape(items)).toEqual(['day', '1H', 'divider', '2H', '3']);
  });

  test('a divider for a message not held is not drawn', () => {
    expect(shape(buildTimeline([m(5, 'a', 0)], 4))).toEqual(['day', '5H']);
  });

  test('a new day gets a line and a header', () => {
    const day = 24 * 60 * 60 * 1000;
    const items = buildTimeline([m(1, 'a', 0), m(2, 'a', day)], null);
    expect(shape(items)).toEqual(['day', '1H', 'day', '2H']);
  });

  test('a clock going backwards starts a new group', () => {
    expect(shape(buildTimeline([m(1, 'a', 10_000), m(2, 'a', 0)], null))).toEqual(['day', '1H', '2H']);
  });

  test('a reply starts a group, to show what it answers above its author', () => {
    const items = buildTimeline([m(1, 'a', 0), { ...m(2, 'a', 1000), replyTo: 1 }, m(3, 'a', 2000)], null);
    expect(shape(items)).toEqual(['day', '1H', '2H', '3']);
  });

  test('keys are unique', () => {
    const items = buildTimeline([m(1, 'a', 0), m(2, 'b', 1), m(3, 'b', 2)], 2);
    expect(new Set(items.map((i) => i.key)).size).toBe(items.length);
  });
});

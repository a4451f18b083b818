import { describe, expect, test } from 'vitest';
import { TypingThrottle, typingAt, typingLine, typingStarted, typingStopped } from './typing';

const entry = (userId: string, until: number) => ({ userId, displayName: userId, until });

describe('typing line', () => {
  test('one name, two names, then several people', () => {
    expect(typingLine([])).toBeNull();
    expect(typingLine([entry('Alice', 1)])).toBe('Alice is typing…');
    expect(typingLine([entry('Alice', 1), entry('Bob', 1)])).toBe('Alice and Bob are typing…');
    expect(typingLine([entry('Alice', 1), entry('Bob', 1), entry('Carol', 1)])).toBe('Several people are typing…');
  });
});

describe('typing entries', () => {
  test('a new event extends the entry in place; an older one changes nothing', () => {
    const a = typingStarted([], entry('a', 100));
    const b = typingStarted(a, entry('b', 150));
    const extended = typingStarted(b, entry('a', 200));
    expect(extended.map((e) => [e.userId, e.until])).toEqual([['a', 200], ['b', 150]]);
    expect(typingStarted(extended, entry('a', 120))).toBe(extended);
  });

  test('entries expire at their time; nothing expired keeps the same list', () => {
    const list = [entry('a', 100), entry('b', 200)];
    expect(typingAt(list, 99)).toBe(list);
    expect(typingAt(list, 100).map((e) => e.userId)).toEqual(['b']);
    expect(typingAt(list, 200)).toEqual([]);
  });

  test('a user who posted stops typing', () => {
    const list = [entry('a', 100), entry('b', 200)];
    expect(typingStopped(list, 'a').map((e) => e.userId)).toEqual(['b']);
    expect(typingStopped(list, 'c')).toBe(list);
  });
});

describe('TypingThrottle', () => {
  test('sends at the first keystroke, then at most once per 3 s per channel; sending a message starts over', () => {
    const t = new TypingThrottle();
    expect(t.shouldSend('general', 0)).toBe(true);
    expect(t.shouldSend('general', 1_000)).toBe(false);
    expect(t.shouldSend('random', 1_000)).toBe(true);
    expect(t.shouldSend('general', 2_999)).toBe(false);
    expect(t.shouldSend('general', 3_000)).toBe(true);
    t.reset('general');
    expect(t.shouldSend('general', 3_100)).toBe(true);
  });

  test('a clock that went back does not silence it', () => {
    const t = new TypingThrottle();
    expect(t.shouldSend('general', 10_000)).toBe(true);
    expect(t.shouldSend('general', 5_000)).toBe(true);
  });
});

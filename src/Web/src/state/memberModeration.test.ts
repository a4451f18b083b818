import { describe, expect, test } from 'vitest';
import { describeTimeOut, timeOutEnd, TimeOutDurations, timeOutUntil } from './memberModeration';

describe('time-outs', () => {
  const now = Date.parse('2026-03-02T10:00:00Z');

  test('the offered durations are 1 min, 10 min, 1 h, 1 day and 1 week, all within what the server takes', () => {
    expect(TimeOutDurations.map((d) => d.minutes)).toEqual([1, 10, 60, 1440, 10080]);
    expect(TimeOutDurations.every((d) => d.minutes >= 1 && d.minutes <= 40320)).toBe(true);
  });

  test('a time-out in the future is in force; none, a past one or an unreadable one is not', () => {
    expect(timeOutEnd('2026-03-02T10:10:00Z', now)?.toISOString()).toBe('2026-03-02T10:10:00.000Z');
    expect(timeOutEnd(null, now)).toBeNull();
    expect(timeOutEnd(undefined, now)).toBeNull();
    expect(timeOutEnd('2026-03-02T09:59:59Z', now)).toBeNull();
    expect(timeOutEnd('2026-03-02T10:00:00Z', now)).toBeNull();
    expect(timeOutEnd('soon', now)).toBeNull();
  });

  test('the end is shown as a time today and with the date on a later day', () => {
    const later = new Date(now + 60 * 60_000);
    expect(describeTimeOut(later, now, 'en-GB')).toBe(`Timed out until ${later.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`);
    const nextWeek = new Date(now + 7 * 24 * 60 * 60_000);
    const shown = describeTimeOut(nextWeek, now, 'en-GB');
    expect(shown).toContain('Timed out until');
    expect(shown).toContain(nextWeek.toLocaleDateString('en-GB', { dateStyle: 'medium' }));
  });

  test('a new time-out ends its minutes from now', () => {
    expect(timeOutUntil(10, now)).toBe('2026-03-02T10:10:00.000Z');
  });
});

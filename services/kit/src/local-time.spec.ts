import { describe, expect, it } from 'vitest';
import { addDays, isDate, isTimeZone, localTime } from './local-time.js';

describe('local time', () => {
  it('reads the local date, weekday and minute across daylight saving time', () => {
    // 2026-03-29 is the spring change in Brussels (02:00 → 03:00).
    expect(localTime(Date.parse('2026-03-29T00:30:00Z'), 'Europe/Brussels')).toEqual({
      date: '2026-03-29',
      weekday: 0,
      minuteOfDay: 90,
    });
    expect(localTime(Date.parse('2026-03-29T01:30:00Z'), 'Europe/Brussels').minuteOfDay).toBe(210);
  });

  it('checks dates and time zones', () => {
    expect(isDate('2026-02-28')).toBe(true);
    expect(isDate('2026-02-29')).toBe(false);
    expect(isDate('28-02-2026')).toBe(false);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(isTimeZone('Europe/Brussels')).toBe(true);
    expect(isTimeZone('Europe/Atlantis')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { addDays, isDate, isTimeZone, localTime, nightMinute, nightTime } from './local-time.js';

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

  it('gives the night to the evening it began on', () => {
    // Saturday 02:00 local belongs to Friday night.
    const n = nightTime(Date.parse('2026-11-28T01:00:00Z'), 'Europe/Brussels');
    expect(n).toEqual({ nightDate: '2026-11-27', nightWeekday: 5, nightMinute: 14 * 60 });
    const evening = nightTime(Date.parse('2026-11-27T21:00:00Z'), 'Europe/Brussels');
    expect(evening).toEqual({ nightDate: '2026-11-27', nightWeekday: 5, nightMinute: 10 * 60 });
  });

  it('maps HH:MM into the night: evening first, then the morning after', () => {
    expect(nightMinute('12:00')).toBe(0);
    expect(nightMinute('23:30')).toBe(690);
    expect(nightMinute('01:00')).toBe(780);
    expect(nightMinute('11:59')).toBe(1439);
    expect(nightMinute('24:00')).toBeUndefined();
    expect(nightMinute('1:00')).toBeUndefined();
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

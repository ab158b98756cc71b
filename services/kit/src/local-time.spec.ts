import { describe, expect, it } from 'vitest';
import { addDays, isDate, isTimeZone, localTime, utcOffsetMinutes } from './local-time.js';

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

  it('gives the UTC offset of a zone at an instant, across daylight saving', () => {
    expect(utcOffsetMinutes(Date.parse('2026-12-03T12:00:00Z'), 'Europe/Brussels')).toBe(60);
    expect(utcOffsetMinutes(Date.parse('2026-07-01T12:00:00Z'), 'Europe/Brussels')).toBe(120);
    // The switch: 01:00 UTC on the last Sunday of March.
    expect(utcOffsetMinutes(Date.parse('2026-03-29T00:59:59Z'), 'Europe/Brussels')).toBe(60);
    expect(utcOffsetMinutes(Date.parse('2026-03-29T01:00:00Z'), 'Europe/Brussels')).toBe(120);
    expect(utcOffsetMinutes(Date.parse('2026-12-03T12:00:00Z'), 'UTC')).toBe(0);
    expect(utcOffsetMinutes(Date.parse('2026-12-03T12:00:00Z'), 'America/St_Johns')).toBe(-210);
    expect(utcOffsetMinutes(Date.parse('2026-12-03T12:00:00Z'), 'Asia/Kolkata')).toBe(330);
  });
});

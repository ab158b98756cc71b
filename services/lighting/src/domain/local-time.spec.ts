import { describe, expect, it } from 'vitest';
import { nightMinute, nightTime } from './local-time.js';

describe('the operating night', () => {
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
});

import { describe, expect, it } from 'vitest';
import { nightWindow, sunsetAndSunrise } from './sun.js';

const BRUSSELS = { latitude: 50.8467, longitude: 4.3525 };
const minutesFrom = (ms: number, iso: string) => Math.abs(ms - Date.parse(iso)) / 60_000;

describe('the astronomical clock', () => {
  // Almanac times for Brussels (Royal Observatory of Belgium tables), in UTC.
  it.each([
    ['2026-06-21', '2026-06-21T20:00:00Z', '2026-06-22T03:30:00Z'],
    ['2026-12-21', '2026-12-21T15:40:00Z', '2026-12-22T07:44:00Z'],
  ])(
    'finds sunset and the next sunrise in Brussels on %s within 3 minutes',
    (date, sunset, sunrise) => {
      const times = sunsetAndSunrise(date, BRUSSELS);
      expect(minutesFrom(times.sunsetMs, sunset)).toBeLessThan(3);
      expect(minutesFrom(times.sunriseMs, sunrise)).toBeLessThan(3);
    },
  );

  it('shifts dusk and dawn by the profile offsets', () => {
    const plain = nightWindow('2026-11-23', BRUSSELS, {
      duskOffsetMinutes: 0,
      dawnOffsetMinutes: 0,
    });
    const shifted = nightWindow('2026-11-23', BRUSSELS, {
      duskOffsetMinutes: 15,
      dawnOffsetMinutes: -20,
    });
    expect(shifted.startMs - plain.startMs).toBe(15 * 60_000);
    expect(shifted.endMs - plain.endMs).toBe(-20 * 60_000);
  });

  it('has no night in the polar summer and a full one in the polar winter (Tromsø)', () => {
    const tromso = { latitude: 69.65, longitude: 18.96 };
    const summer = nightWindow('2026-06-21', tromso, {
      duskOffsetMinutes: 0,
      dawnOffsetMinutes: 0,
    });
    expect(summer.endMs - summer.startMs).toBe(0);
    const winter = nightWindow('2026-12-21', tromso, {
      duskOffsetMinutes: 0,
      dawnOffsetMinutes: 0,
    });
    expect(winter.endMs - winter.startMs).toBe(86_400_000);
  });
});

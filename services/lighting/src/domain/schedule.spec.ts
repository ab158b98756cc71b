import { describe, expect, it } from 'vitest';
import { type CurfewRule, defaultProfile, type Profile, type ZoneSpec } from './model.js';
import { zoneMode } from './schedule.js';

const zone: ZoneSpec = {
  id: 'warandepark',
  name: 'Warandepark',
  kind: 'park',
  location: { latitude: 50.845, longitude: 4.364 },
  timeZone: 'Europe/Brussels',
};
const at = (iso: string) => Date.parse(iso);
const curfew = (over: Partial<CurfewRule> = {}): CurfewRule => ({
  start: '01:00',
  end: '05:00',
  level: 0,
  nights: 'all',
  exceptDates: [],
  exceptLampIds: [],
  ...over,
});
const profile = (over: Partial<Profile> = {}): Profile => ({ ...defaultProfile(zone.id), ...over });

describe('zone mode', () => {
  it('is day between dawn and dusk and night between dusk and dawn', () => {
    // Sunset in Brussels on 2026-11-23 ≈ 15:48 UTC, sunrise next morning ≈ 07:14 UTC.
    expect(zoneMode(at('2026-11-23T15:30:00Z'), zone, profile()).kind).toBe('day');
    expect(zoneMode(at('2026-11-23T16:00:00Z'), zone, profile())).toMatchObject({
      kind: 'night',
      nightDate: '2026-11-23',
      levels: { baseLevel: 20, presenceLevel: 100 },
    });
    expect(zoneMode(at('2026-11-24T07:00:00Z'), zone, profile()).kind).toBe('night');
    expect(zoneMode(at('2026-11-24T07:30:00Z'), zone, profile()).kind).toBe('day');
  });

  it('uses the weekend levels on Friday and Saturday nights, including after midnight', () => {
    const p = profile({ weekend: { baseLevel: 30, presenceLevel: 100 } });
    // Friday 2026-11-27 evening and the small hours of Saturday.
    expect(zoneMode(at('2026-11-27T20:00:00Z'), zone, p)).toMatchObject({
      levels: { baseLevel: 30 },
    });
    expect(zoneMode(at('2026-11-28T02:00:00Z'), zone, p)).toMatchObject({
      levels: { baseLevel: 30 },
    });
    // Sunday night is a weekday night.
    expect(zoneMode(at('2026-11-29T20:00:00Z'), zone, p)).toMatchObject({
      levels: { baseLevel: 20 },
    });
  });

  it('applies a curfew from its start to its end local time, except on listed nights', () => {
    const p = profile({ curfews: [curfew({ exceptDates: ['2026-12-31'] })] });
    // 01:00-05:00 CET = 00:00-04:00 UTC.
    expect(zoneMode(at('2026-11-23T23:59:00Z'), zone, p)).toMatchObject({ curfew: undefined });
    expect(zoneMode(at('2026-11-24T00:00:00Z'), zone, p)).toMatchObject({ curfew: { level: 0 } });
    expect(zoneMode(at('2026-11-24T03:59:00Z'), zone, p)).toMatchObject({ curfew: { level: 0 } });
    expect(zoneMode(at('2026-11-24T04:00:00Z'), zone, p)).toMatchObject({ curfew: undefined });
    expect(zoneMode(at('2027-01-01T01:00:00Z'), zone, p)).toMatchObject({ curfew: undefined });
  });

  it('applies weekday-only curfews on weekday nights only', () => {
    const p = profile({ curfews: [curfew({ nights: 'weekday' })] });
    expect(zoneMode(at('2026-11-25T01:00:00Z'), zone, p)).toMatchObject({ curfew: { level: 0 } });
    expect(zoneMode(at('2026-11-28T01:00:00Z'), zone, p)).toMatchObject({ curfew: undefined });
  });

  it('lights a special date all night and an event even by day', () => {
    const p = profile({
      specialDates: [{ date: '2026-12-31', level: 100, name: 'Oudejaarsavond' }],
      events: [
        {
          name: 'Winterfestival',
          startMs: at('2026-11-28T14:00:00Z'),
          endMs: at('2026-11-28T18:00:00Z'),
          level: 80,
        },
      ],
    });
    expect(zoneMode(at('2027-01-01T02:00:00Z'), zone, p)).toMatchObject({
      kind: 'special',
      level: 100,
    });
    expect(zoneMode(at('2026-12-31T12:00:00Z'), zone, p).kind).toBe('day');
    expect(zoneMode(at('2026-11-28T14:30:00Z'), zone, p)).toMatchObject({
      kind: 'event',
      level: 80,
    });
    expect(zoneMode(at('2026-11-28T18:00:00Z'), zone, p).kind).toBe('night');
  });
});

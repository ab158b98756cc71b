import { describe, expect, it } from 'vitest';
import { defaultProfile, type Profile } from './model.js';
import { lampViolations, overrideViolations, profileViolations, zoneViolations } from './rules.js';

const lamps = [
  { id: 'wp-001', minLevel: 10 },
  { id: 'wp-002', minLevel: 25 },
];
const profile = (over: Partial<Profile> = {}): Profile => ({ ...defaultProfile('wp'), ...over });
const fields = (violations: { field: string }[]) => violations.map((v) => v.field);

describe('profile rules', () => {
  it('accepts the default profile', () => {
    expect(
      profileViolations(profile({ weekday: { baseLevel: 30, presenceLevel: 100 } }), lamps),
    ).toEqual([]);
  });

  it('refuses a level a lamp cannot show, naming the lamp and what to use', () => {
    const [v] = profileViolations(profile(), lamps);
    expect(v).toEqual({
      field: 'profile.weekday.base_level',
      description:
        '20 % is below the minimum level 25 % of lamp wp-002: use 0 (off) or at least 25',
    });
  });

  it('refuses levels out of range, presence below base, and no light on presence', () => {
    const v = profileViolations(
      profile({
        weekday: { baseLevel: 30, presenceLevel: 0 },
        weekend: { baseLevel: 101, presenceLevel: 50 },
      }),
      [],
    );
    expect(fields(v)).toEqual([
      'profile.weekday.presence_level',
      'profile.weekday.presence_level',
      'profile.weekend.base_level',
      'profile.weekend.presence_level',
    ]);
  });

  it('refuses insane hold times and ramps, and a ramp down faster than up', () => {
    const v = profileViolations(profile({ holdMs: 500, rampUpMs: 20_000, rampDownMs: 15_000 }), []);
    expect(fields(v)).toEqual(['profile.hold', 'profile.ramp_up', 'profile.ramp_down']);
  });

  it('checks curfews, special dates and events field by field', () => {
    const v = profileViolations(
      profile({
        curfews: [
          {
            start: '05:00',
            end: '01:00',
            level: 0,
            nights: 'all',
            exceptDates: ['2026-02-30'],
            exceptLampIds: ['wp-404'],
          },
          {
            start: '25:00',
            end: '01:00',
            level: 0,
            nights: 'all',
            exceptDates: [],
            exceptLampIds: [],
          },
        ],
        specialDates: [
          { date: '2026-12-31', level: 100, name: 'x' },
          { date: '2026-12-31', level: 100, name: 'y' },
        ],
        events: [{ name: ' ', startMs: 10, endMs: 5, level: 100 }],
      }),
      [{ id: 'wp-001', minLevel: 10 }],
    );
    expect(fields(v)).toEqual([
      'profile.curfews[0].end_local_time',
      'profile.curfews[0].except_dates[0]',
      'profile.curfews[0].except_lamp_ids[0]',
      'profile.curfews[1].start_local_time',
      'profile.special_dates[1].date',
      'profile.events[0].name',
      'profile.events[0].end_time',
    ]);
  });

  it('keeps the fail-safe level at least the base level', () => {
    const v = profileViolations(profile({ fallbackLevel: 10 }), []);
    expect(v).toEqual([
      {
        field: 'profile.fallback_level',
        description:
          'must be at least the weekday base level 20 %: losing the service must not darken the streets',
      },
    ]);
  });
});

describe('zone, lamp and override rules', () => {
  it('names each bad zone field', () => {
    const v = zoneViolations({
      id: 'a b',
      name: '',
      location: { latitude: 95, longitude: 4 },
      timeZone: 'Mars/Olympus',
    });
    expect(fields(v)).toEqual([
      'zone.id',
      'zone.name',
      'zone.kind',
      'zone.location.latitude',
      'zone.time_zone',
    ]);
  });

  it('names each bad lamp field, unknown neighbours included', () => {
    const v = lampViolations(
      {
        id: 'wp-001',
        zoneId: 'wp',
        location: { latitude: 50.8, longitude: 4.3 },
        ratedPowerWatts: 0,
        minLevel: 120,
        controllerId: 'lc 1',
        neighbourIds: ['wp-001', 'wp-404'],
        detectorIds: ['pr/1'],
      },
      new Set(['wp-002']),
    );
    expect(fields(v)).toEqual([
      'lamp.rated_power_watts',
      'lamp.min_level',
      'lamp.controller_id',
      'lamp.neighbour_ids[0]',
      'lamp.neighbour_ids[1]',
      'lamp.detector_ids[0]',
    ]);
  });

  it('requires an override to end in the future, within a week, with a reason', () => {
    expect(fields(overrideViolations({ level: 101, startMs: 10, endMs: 10, reason: ' ' }))).toEqual(
      ['level', 'end_time', 'reason'],
    );
    expect(
      overrideViolations({ level: 0, startMs: 0, endMs: 8 * 86_400_000, reason: 'x' }),
    ).toEqual([{ field: 'end_time', description: 'an override lasts at most 7 days' }]);
  });
});

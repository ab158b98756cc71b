// The files of `slimstad lighting profile set --file` and `lamps import --file`.
import {
  Lamp,
  LightingProfile,
  NightKind,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../errors.js';
import {
  durationText,
  jsonDuration,
  lampsFromJson,
  profileFromJson,
  profileToJson,
  profileToSet,
} from './lighting-files.js';

function refusal(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

const PROFILE = {
  zoneId: 'warandepark',
  duskOffsetMinutes: 15,
  dawnOffsetMinutes: -15,
  weekday: { baseLevel: 20, presenceLevel: 100 },
  hold: '90s',
  rampUp: '1.5s',
  rampDown: '60s',
  pedestrian: { distanceMeters: 40, speedMetersPerSecond: 1.4 },
  cyclist: { distanceMeters: 120, speedMetersPerSecond: 5 },
  curfews: [
    {
      startLocalTime: '23:00',
      endLocalTime: '05:00',
      level: 0,
      nights: 'weekday',
      exceptDates: ['2026-12-31'],
      exceptLampIds: ['wp-1'],
    },
  ],
  specialDates: [{ date: '2026-12-31', level: 100, name: 'Oudjaar' }],
  events: [
    {
      name: 'Concert',
      startTime: '2026-07-04T19:00:00+02:00',
      endTime: '2026-07-04T23:30:00Z',
      level: 80,
    },
  ],
  fallbackLevel: 30,
};

describe('jsonDuration', () => {
  it('reads proto3 JSON, the CLI form and objects; zero is allowed', () => {
    expect(jsonDuration('30s', 'hold')).toEqual({ seconds: 30n, nanos: 0 });
    expect(jsonDuration('1.5s', 'hold')).toEqual({ seconds: 1n, nanos: 500_000_000 });
    expect(jsonDuration('0s', 'rampUp')).toEqual({ seconds: 0n, nanos: 0 });
    expect(jsonDuration('10m', 'rampDown')).toEqual({ seconds: 600n, nanos: 0 });
    expect(jsonDuration({ seconds: '30' }, 'hold')).toEqual({ seconds: 30n, nanos: 0 });
    expect(jsonDuration({ seconds: 1, nanos: 5 }, 'hold')).toEqual({ seconds: 1n, nanos: 5 });
    expect(jsonDuration({}, 'hold')).toEqual({ seconds: 0n, nanos: 0 });
  });

  it('refuses numbers, negatives and other text, naming the field', () => {
    expect(refusal(() => jsonDuration(30, 'hold'))).toBe(
      'hold must be a duration like "30s" (or give holdSeconds as a number).',
    );
    expect(refusal(() => jsonDuration('-1s', 'hold'))).toBe(
      'hold must be a duration like "30s", "1.5s" or "10m".',
    );
    expect(refusal(() => jsonDuration('half a minute', 'hold'))).toBe(
      'hold must be a duration like "30s", "1.5s" or "10m".',
    );
    expect(refusal(() => jsonDuration({ seconds: -1 }, 'hold'))).toMatch(/^hold must be \{/);
    expect(refusal(() => jsonDuration({ minutes: 1 }, 'hold'))).toMatch(/^hold must be \{/);
  });

  it('durationText writes proto3 JSON', () => {
    expect(durationText({ seconds: 30n, nanos: 0 })).toBe('30s');
    expect(durationText({ seconds: 1n, nanos: 500_000_000 })).toBe('1.5s');
    expect(durationText({ seconds: 0n, nanos: 1 })).toBe('0.000000001s');
  });
});

describe('profileFromJson', () => {
  it('reads a full profile: durations, night kinds, events', () => {
    const { profile, version } = profileFromJson(PROFILE);
    expect(version).toBeUndefined();
    expect(profile).toEqual(
      LightingProfile.fromPartial({
        zoneId: 'warandepark',
        duskOffsetMinutes: 15,
        dawnOffsetMinutes: -15,
        weekday: { baseLevel: 20, presenceLevel: 100 },
        hold: { seconds: 90n, nanos: 0 },
        rampUp: { seconds: 1n, nanos: 500_000_000 },
        rampDown: { seconds: 60n, nanos: 0 },
        pedestrian: { distanceMeters: 40, speedMetersPerSecond: 1.4 },
        cyclist: { distanceMeters: 120, speedMetersPerSecond: 5 },
        curfews: [
          {
            startLocalTime: '23:00',
            endLocalTime: '05:00',
            level: 0,
            nights: NightKind.NIGHT_KIND_WEEKDAY,
            exceptDates: ['2026-12-31'],
            exceptLampIds: ['wp-1'],
          },
        ],
        specialDates: [{ date: '2026-12-31', level: 100, name: 'Oudjaar' }],
        events: [
          {
            name: 'Concert',
            startTime: new Date('2026-07-04T17:00:00Z'),
            endTime: new Date('2026-07-04T23:30:00Z'),
            level: 80,
          },
        ],
        fallbackLevel: 30,
      }),
    );
    expect(profile.weekend).toBeUndefined();
  });

  it('takes durations as numbers of seconds in holdSeconds, rampUpSeconds, rampDownSeconds', () => {
    const { profile } = profileFromJson({
      holdSeconds: 30,
      rampUpSeconds: 0,
      rampDownSeconds: 2.5,
    });
    expect(profile.hold).toEqual({ seconds: 30n, nanos: 0 });
    expect(profile.rampUp).toEqual({ seconds: 0n, nanos: 0 });
    expect(profile.rampDown).toEqual({ seconds: 2n, nanos: 500_000_000 });
  });

  it('reads night kinds as all, full enum names or numbers; snake_case keys too', () => {
    const curfew = (nights: unknown) =>
      profileFromJson({ curfews: [{ nights }] }).profile.curfews[0]?.nights;
    expect(curfew('all')).toBe(NightKind.NIGHT_KIND_UNSPECIFIED);
    expect(curfew('NIGHT_KIND_WEEKEND')).toBe(NightKind.NIGHT_KIND_WEEKEND);
    expect(curfew(2)).toBe(NightKind.NIGHT_KIND_WEEKEND);
    const { profile } = profileFromJson({
      hold_seconds: 10,
      fallback_level: 40,
      weekday: { base_level: 5 },
    });
    expect(profile).toMatchObject({
      hold: { seconds: 10n },
      fallbackLevel: 40,
      weekday: { baseLevel: 5 },
    });
  });

  it('returns the version apart and ignores the output-only fields', () => {
    const { profile, version } = profileFromJson({
      ...PROFILE,
      version: '7',
      updatedBy: 'jan',
      updateTime: '2026-11-22T10:00:00Z',
    });
    expect(version).toBe(7n);
    expect(profile.version).toBe(0n);
    expect(profile.updatedBy).toBe('');
    expect(profile.updateTime).toBeUndefined();
    expect(profileFromJson({ version: 3 }).version).toBe(3n);
  });

  it('reads back what profileToJson writes (profile get -o json)', () => {
    const { profile } = profileFromJson(PROFILE);
    const stored = { ...profile, version: 5n, updatedBy: 'jan', updateTime: new Date() };
    const json = JSON.parse(JSON.stringify(profileToJson(stored)));
    expect(json).toMatchObject({ hold: '90s', rampUp: '1.5s', version: '5' });
    expect(profileFromJson(json)).toEqual({ profile, version: 5n });
  });

  it('refuses unknown fields, naming them and the fields there are', () => {
    expect(refusal(() => profileFromJson({ holdSecond: 30 }))).toMatch(
      /^unknown field holdSecond; fields are zoneId, duskOffsetMinutes, .*, fallbackLevel, version, updatedBy, updateTime\.$/,
    );
    expect(refusal(() => profileFromJson({ weekday: { base: 10 } }))).toBe(
      'weekday has an unknown field base; fields are baseLevel, presenceLevel.',
    );
    expect(refusal(() => profileFromJson({ curfews: [{}, { level: 0, days: 'all' }] }))).toMatch(
      /^curfews\[1\] has an unknown field days; fields are startLocalTime, /,
    );
  });

  it('refuses wrong types and values, naming the field', () => {
    expect(refusal(() => profileFromJson([]))).toBe('the file must be a JSON object.');
    expect(refusal(() => profileFromJson({ fallbackLevel: '30' }))).toBe(
      'fallbackLevel must be a whole number.',
    );
    expect(refusal(() => profileFromJson({ weekday: { baseLevel: 2.5 } }))).toBe(
      'weekday.baseLevel must be a whole number.',
    );
    expect(refusal(() => profileFromJson({ pedestrian: { distanceMeters: 'far' } }))).toBe(
      'pedestrian.distanceMeters must be a number.',
    );
    expect(refusal(() => profileFromJson({ curfews: {} }))).toBe('curfews must be an array.');
    expect(refusal(() => profileFromJson({ curfews: [{ nights: 'fridays' }] }))).toBe(
      'curfews[0].nights must be weekday, weekend or all.',
    );
    expect(refusal(() => profileFromJson({ curfews: [{ exceptDates: '2026-12-31' }] }))).toBe(
      'curfews[0].exceptDates must be an array of strings.',
    );
    expect(refusal(() => profileFromJson({ events: [{ startTime: '2026-07-04 19:00' }] }))).toBe(
      'events[0].startTime must be an ISO 8601 time with a zone, e.g. 2026-11-22T10:00:00Z.',
    );
    expect(refusal(() => profileFromJson({ holdSeconds: -1 }))).toBe(
      'holdSeconds must be a number of seconds, 0 or more.',
    );
    expect(refusal(() => profileFromJson({ holdSeconds: '30' }))).toBe(
      'holdSeconds must be a number of seconds, 0 or more.',
    );
    expect(refusal(() => profileFromJson({ hold: '30s', holdSeconds: 30 }))).toBe(
      'hold and holdSeconds are both given; give one.',
    );
    expect(refusal(() => profileFromJson({ version: 'v3' }))).toBe(
      'version must be a whole number (the version read).',
    );
    expect(refusal(() => profileFromJson({ hold_seconds: 1, holdSeconds: 2 }))).toBe(
      'holdSeconds is given twice (camelCase and snake_case).',
    );
  });
});

describe('profileToSet', () => {
  const current = LightingProfile.fromPartial({ zoneId: 'warandepark', version: 4n });
  const file = profileFromJson(PROFILE);

  it('sends the file for the zone with the version read', () => {
    expect(profileToSet(file, 'warandepark', current, false)).toEqual({
      ...file.profile,
      version: 4n,
    });
    expect(profileToSet({ ...file, version: 4n }, 'warandepark', current, false).version).toBe(4n);
    const noZone = profileFromJson({ ...PROFILE, zoneId: undefined });
    expect(profileToSet(noZone, 'markt', current, false).zoneId).toBe('markt');
  });

  it('refuses a file of another zone or an older version, unless forced', () => {
    const refused = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(CliError);
        return [(error as CliError).exitCode, (error as Error).message];
      }
      throw new Error('accepted');
    };
    expect(refused(() => profileToSet(file, 'markt', current, false))).toEqual([
      EXIT_USAGE,
      'the file is the profile of zone warandepark, not markt: pass --force to set it on markt',
    ]);
    expect(
      refused(() => profileToSet({ ...file, version: 3n }, 'warandepark', current, false)),
    ).toEqual([
      EXIT_FAILURE,
      'the profile of warandepark changed since the file was read (file version 3, now 4): get it again, or pass --force to overwrite it',
    ]);
    expect(profileToSet({ ...file, version: 3n }, 'markt', current, true)).toEqual({
      ...file.profile,
      zoneId: 'markt',
      version: 4n,
    });
  });
});

describe('lampsFromJson', () => {
  const LAMP = {
    id: 'wp-14',
    zoneId: 'warandepark',
    name: 'Lichtpunt 14',
    location: { latitude: 51.58, longitude: 4.77 },
    ratedPowerWatts: 36,
    minLevel: 10,
    controllerId: 'lc-14',
    neighbourIds: ['wp-13', 'wp-15'],
    detectorIds: ['pir-14'],
  };

  it('reads an array of lamps; versions and output-only fields are ignored', () => {
    expect(
      lampsFromJson([
        { ...LAMP, version: '3', createTime: '2026-11-22T10:00:00Z' },
        { id: 'wp-15', zone_id: 'warandepark', rated_power_watts: 24 },
      ]),
    ).toEqual([
      Lamp.fromPartial(LAMP),
      Lamp.fromPartial({ id: 'wp-15', zoneId: 'warandepark', ratedPowerWatts: 24 }),
    ]);
    expect(lampsFromJson([])).toEqual([]);
  });

  it('reads back what lamps list -o json prints', () => {
    const stored = Lamp.fromPartial({ ...LAMP, version: 2n, updateTime: new Date() });
    expect(lampsFromJson(JSON.parse(JSON.stringify([Lamp.toJSON(stored)])))).toEqual([
      Lamp.fromPartial(LAMP),
    ]);
  });

  it('refuses a non-array, missing ids and zones, repeats and unknown fields', () => {
    expect(refusal(() => lampsFromJson(LAMP))).toBe('must be a JSON array of lamps.');
    expect(refusal(() => lampsFromJson([LAMP, { zoneId: 'x' }]))).toBe('[1].id is required.');
    expect(refusal(() => lampsFromJson([{ id: 'wp-1', zoneId: ' ' }]))).toBe(
      '[0].zoneId is required.',
    );
    expect(refusal(() => lampsFromJson([LAMP, LAMP]))).toBe('[1].id wp-14 is also lamp [0].');
    expect(refusal(() => lampsFromJson([{ ...LAMP, power: 36 }]))).toMatch(
      /^\[0\] has an unknown field power; fields are id, zoneId, /,
    );
    expect(refusal(() => lampsFromJson([{ ...LAMP, neighbourIds: 'wp-13' }]))).toBe(
      '[0].neighbourIds must be an array of strings.',
    );
    expect(refusal(() => lampsFromJson([{ ...LAMP, location: { lat: 1 } }]))).toMatch(
      /^\[0\]\.location has an unknown field lat; /,
    );
    expect(refusal(() => lampsFromJson(['wp-14']))).toBe('[0] must be a JSON object.');
  });
});

// The pure option parsers and request builders of `slimstad lighting …`.
import {
  Lamp,
  NightKind,
  Zone,
  ZoneKind,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT_USAGE } from '../errors.js';
import {
  applyLampChanges,
  applyZoneChanges,
  checkLampChanges,
  checkZoneChanges,
  energyRange,
  idList,
  latitude,
  localDate,
  localToday,
  longitude,
  natsToken,
  nightKind,
  overrideDuration,
  overrideRequest,
  percent,
  reason,
  timeZone,
  watts,
  zoneKind,
} from './lighting-args.js';

/** The message a parser refuses `raw` with (commander prints it after the option). */
function refusal(parse: (raw: string) => unknown, raw: string): string {
  try {
    parse(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

/** The usage error a builder refuses with. */
function usage(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT_USAGE);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('zoneKind and nightKind', () => {
  it('reads zone kinds as tokens or full names', () => {
    expect(zoneKind('park')).toBe(ZoneKind.ZONE_KIND_PARK);
    expect(zoneKind(' Street ')).toBe(ZoneKind.ZONE_KIND_STREET);
    expect(zoneKind('ZONE_KIND_SQUARE')).toBe(ZoneKind.ZONE_KIND_SQUARE);
  });

  it('refuses other zone kinds and UNSPECIFIED, listing the kinds', () => {
    expect(refusal(zoneKind, 'forest')).toBe('must be one of park, street, square.');
    expect(refusal(zoneKind, 'unspecified')).toBe('must be one of park, street, square.');
  });

  it('reads weekday, weekend and all (every night), or the full enum name', () => {
    expect(nightKind('weekday')).toBe(NightKind.NIGHT_KIND_WEEKDAY);
    expect(nightKind('Weekend')).toBe(NightKind.NIGHT_KIND_WEEKEND);
    expect(nightKind('all')).toBe(NightKind.NIGHT_KIND_UNSPECIFIED);
    expect(nightKind('NIGHT_KIND_WEEKEND')).toBe(NightKind.NIGHT_KIND_WEEKEND);
    expect(nightKind('NIGHT_KIND_UNSPECIFIED')).toBe(NightKind.NIGHT_KIND_UNSPECIFIED);
  });

  it('refuses other night kinds', () => {
    expect(refusal(nightKind, 'fridays')).toBe('must be weekday, weekend or all.');
    expect(refusal(nightKind, '')).toBe('must be weekday, weekend or all.');
  });
});

describe('numbers', () => {
  it('percent: whole numbers 0-100', () => {
    expect(percent('0')).toBe(0);
    expect(percent('100')).toBe(100);
    expect(percent(' 35 ')).toBe(35);
    for (const raw of ['101', '-1', '12.5', '', 'half', '1e3'])
      expect(refusal(percent, raw)).toBe('must be 0-100.');
  });

  it('watts: a number above zero', () => {
    expect(watts('36')).toBe(36);
    expect(watts('12.5')).toBe(12.5);
    for (const raw of ['0', '-5', '', 'bright', 'Infinity'])
      expect(refusal(watts, raw)).toBe('must be a number of watts above 0.');
  });

  it('latitude and longitude: degrees within range', () => {
    expect(latitude('51.5886')).toBe(51.5886);
    expect(longitude('-4.7759')).toBe(-4.7759);
    expect(longitude('180')).toBe(180);
    expect(refusal(latitude, '91')).toBe('must be a number of degrees from -90 to 90.');
    expect(refusal(latitude, '')).toBe('must be a number of degrees from -90 to 90.');
    expect(refusal(longitude, '-181')).toBe('must be a number of degrees from -180 to 180.');
    expect(refusal(longitude, 'east')).toBe('must be a number of degrees from -180 to 180.');
  });
});

describe('ids and text', () => {
  it('natsToken: letters, digits, - and _', () => {
    expect(natsToken('warandepark')).toBe('warandepark');
    expect(natsToken(' wp_14-a ')).toBe('wp_14-a');
    for (const raw of ['', 'a.b', 'a b', 'park*', 'zone>'])
      expect(refusal(natsToken, raw)).toBe(
        'must be a single NATS token: letters, digits, - and _.',
      );
  });

  it('idList: comma-separated tokens, trimmed; empty is the empty list', () => {
    expect(idList('wp-13,wp-15')).toEqual(['wp-13', 'wp-15']);
    expect(idList(' wp-13 , wp-15 ')).toEqual(['wp-13', 'wp-15']);
    expect(idList('wp-13')).toEqual(['wp-13']);
    expect(idList('')).toEqual([]);
    expect(idList('  ')).toEqual([]);
  });

  it('idList: refuses empty items, bad tokens and repeats', () => {
    expect(refusal(idList, 'wp-13,,wp-15')).toBe(
      'an empty id is not an id; give ids separated by commas, e.g. lamp-1,lamp-2.',
    );
    expect(refusal(idList, 'wp-13;wp-15')).toBe(
      'wp-13;wp-15 is not an id; give ids separated by commas, e.g. lamp-1,lamp-2.',
    );
    expect(refusal(idList, 'wp-13,wp-13')).toBe('wp-13 is listed twice.');
  });

  it('timeZone: IANA names only', () => {
    expect(timeZone('Europe/Brussels')).toBe('Europe/Brussels');
    expect(timeZone(' UTC ')).toBe('UTC');
    for (const raw of ['Europe/Slimstad', '', 'CEST+1'])
      expect(refusal(timeZone, raw)).toBe('must be an IANA time zone, e.g. Europe/Brussels.');
  });

  it('reason: not blank, trimmed', () => {
    expect(reason(' storm damage ')).toBe('storm damage');
    expect(refusal(reason, '  ')).toBe('must not be empty.');
  });
});

describe('overrideDuration', () => {
  const seconds = (raw: string) => {
    const value = overrideDuration(raw);
    return Number(value.seconds) + value.nanos / 1e9;
  };

  it('reads single units, compounds and decimals', () => {
    expect(seconds('90m')).toBe(5_400);
    expect(seconds('2h')).toBe(7_200);
    expect(seconds('1h30m')).toBe(5_400);
    expect(seconds('1d2h')).toBe(93_600);
    expect(seconds('45s')).toBe(45);
    expect(seconds('1.5h')).toBe(5_400);
    expect(seconds('7d')).toBe(604_800);
    expect(overrideDuration('2h')).toEqual({ seconds: 7_200n, nanos: 0 });
  });

  it('refuses other text, zero and more than 7 days', () => {
    for (const raw of ['soon', '', '2', 'h', '2 hours', '-1h', '1h-30m'])
      expect(refusal(overrideDuration, raw)).toBe('must be a duration like 90m or 2h.');
    expect(refusal(overrideDuration, '0m')).toBe('must be longer than zero.');
    expect(refusal(overrideDuration, '0h0m')).toBe('must be longer than zero.');
    expect(refusal(overrideDuration, '7d1s')).toBe('must be at most 7 days.');
    expect(refusal(overrideDuration, '169h')).toBe('must be at most 7 days.');
  });
});

describe('dates and the energy range', () => {
  it('localDate: existing YYYY-MM-DD dates', () => {
    expect(localDate('2026-11-22')).toBe('2026-11-22');
    expect(localDate('2028-02-29')).toBe('2028-02-29');
    for (const raw of ['2026-02-30', '2026-13-01', '22-11-2026', '2026-11-22T00:00:00Z', ''])
      expect(refusal(localDate, raw)).toBe('must be a date YYYY-MM-DD, e.g. 2026-11-22.');
  });

  it('localToday: the local calendar date', () => {
    expect(localToday(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
  });

  it('energyRange: --to defaults to today, may equal --from', () => {
    expect(energyRange({ from: '2026-11-01' }, '2026-11-22')).toEqual({
      fromDate: '2026-11-01',
      toDate: '2026-11-22',
    });
    expect(energyRange({ from: '2026-11-01', to: '2026-11-01' }, '2026-11-22')).toEqual({
      fromDate: '2026-11-01',
      toDate: '2026-11-01',
    });
    expect(energyRange({ from: '2025-11-22', to: '2026-11-23' }, '2026-11-22').toDate).toBe(
      '2026-11-23',
    );
  });

  it('energyRange: refuses --to before --from, a future --from alone, and over 366 days', () => {
    expect(usage(() => energyRange({ from: '2026-11-22', to: '2026-11-21' }, '2026-12-01'))).toBe(
      '--to 2026-11-21 is before --from 2026-11-22',
    );
    expect(usage(() => energyRange({ from: '2026-12-24' }, '2026-12-01'))).toBe(
      '--from 2026-12-24 is after today (2026-12-01): pass --to as well',
    );
    expect(usage(() => energyRange({ from: '2025-11-22', to: '2026-11-24' }, '2026-12-01'))).toBe(
      '--to must be at most 366 days after --from; ask for a shorter range',
    );
  });
});

describe('overrideRequest', () => {
  const now = new Date('2026-11-22T18:00:00Z');
  const base = { zone: 'warandepark', level: 100, reason: 'concert' };

  it('--for becomes duration (the service counts from its clock); no lamp: the whole zone', () => {
    expect(overrideRequest({ ...base, for: { seconds: 7_200n, nanos: 0 } }, now)).toEqual({
      zoneId: 'warandepark',
      lampId: '',
      level: 100,
      endTime: undefined,
      duration: { seconds: 7_200n, nanos: 0 },
      reason: 'concert',
    });
  });

  it('--until becomes end_time; --lamp names the lamp', () => {
    const until = new Date('2026-11-23T02:00:00Z');
    expect(overrideRequest({ ...base, lamp: 'wp-14', level: 0, until }, now)).toEqual({
      zoneId: 'warandepark',
      lampId: 'wp-14',
      level: 0,
      endTime: until,
      duration: undefined,
      reason: 'concert',
    });
  });

  it('needs exactly one of --for and --until', () => {
    const message = 'say how long: --for (e.g. 2h) or --until (an ISO 8601 time), one of them';
    expect(usage(() => overrideRequest(base, now))).toBe(message);
    expect(
      usage(() =>
        overrideRequest(
          { ...base, for: { seconds: 60n, nanos: 0 }, until: new Date('2026-11-23T00:00:00Z') },
          now,
        ),
      ),
    ).toBe(message);
  });

  it('refuses --until in the past or more than 7 days ahead', () => {
    expect(
      usage(() => overrideRequest({ ...base, until: new Date('2026-11-22T17:59:59Z') }, now)),
    ).toBe('--until 2026-11-22T17:59:59.000Z is in the past');
    expect(usage(() => overrideRequest({ ...base, until: now }, now))).toMatch(/is in the past$/);
    expect(
      usage(() => overrideRequest({ ...base, until: new Date('2026-11-29T18:00:01Z') }, now)),
    ).toBe('--until must be at most 7 days ahead');
    expect(
      overrideRequest({ ...base, until: new Date('2026-11-29T18:00:00Z') }, now).endTime,
    ).toEqual(new Date('2026-11-29T18:00:00Z'));
  });
});

describe('zone changes', () => {
  const zone = Zone.fromPartial({
    id: 'warandepark',
    name: 'Warandepark',
    kind: ZoneKind.ZONE_KIND_PARK,
    location: { latitude: 51.58, longitude: 4.77 },
    timeZone: 'Europe/Brussels',
    version: 4n,
  });

  it('applies only the options given and keeps id and version', () => {
    expect(applyZoneChanges(zone, { name: 'Waranda' })).toEqual({ ...zone, name: 'Waranda' });
    expect(
      applyZoneChanges(zone, {
        kind: ZoneKind.ZONE_KIND_SQUARE,
        lat: 51.6,
        lon: 4.8,
        timeZone: 'Europe/Amsterdam',
      }),
    ).toEqual({
      ...zone,
      kind: ZoneKind.ZONE_KIND_SQUARE,
      location: { latitude: 51.6, longitude: 4.8 },
      timeZone: 'Europe/Amsterdam',
    });
  });

  it('refuses no change, and --lat without --lon', () => {
    expect(usage(() => checkZoneChanges({}))).toBe(
      'nothing to change: give at least one option, e.g. --name',
    );
    expect(usage(() => applyZoneChanges(zone, { lat: 51 }))).toBe('--lat and --lon go together');
    expect(usage(() => applyZoneChanges(zone, { lon: 4 }))).toBe('--lat and --lon go together');
  });
});

describe('lamp changes', () => {
  const lamp = Lamp.fromPartial({
    id: 'wp-14',
    zoneId: 'warandepark',
    location: { latitude: 51.58, longitude: 4.77 },
    ratedPowerWatts: 36,
    minLevel: 10,
    neighbourIds: ['wp-13'],
    detectorIds: ['pir-14'],
    version: 2n,
  });

  it('applies the options given; an empty list clears neighbours', () => {
    expect(
      applyLampChanges(lamp, {
        power: 24,
        minLevel: 5,
        controller: 'lc-14',
        neighbours: ['wp-13', 'wp-15'],
        name: 'Lichtpunt 14',
      }),
    ).toEqual({
      ...lamp,
      ratedPowerWatts: 24,
      minLevel: 5,
      controllerId: 'lc-14',
      neighbourIds: ['wp-13', 'wp-15'],
      name: 'Lichtpunt 14',
    });
    expect(applyLampChanges(lamp, { neighbours: [], detectors: [] })).toEqual({
      ...lamp,
      neighbourIds: [],
      detectorIds: [],
    });
    expect(applyLampChanges(lamp, { zone: 'markt', lat: 1, lon: 2 })).toEqual({
      ...lamp,
      zoneId: 'markt',
      location: { latitude: 1, longitude: 2 },
    });
  });

  it('refuses no change, half a location and the lamp as its own neighbour', () => {
    expect(usage(() => checkLampChanges('wp-14', {}))).toBe(
      'nothing to change: give at least one option, e.g. --power',
    );
    expect(usage(() => applyLampChanges(lamp, { lon: 4 }))).toBe('--lat and --lon go together');
    expect(usage(() => applyLampChanges(lamp, { neighbours: ['wp-13', 'wp-14'] }))).toBe(
      '--neighbours lists the lamp itself (wp-14)',
    );
  });
});

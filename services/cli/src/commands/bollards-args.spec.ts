// The pure option parsers and request builders of `slimstad bollards …`.
import {
  CredentialKind,
  FailMode,
  VehicleClass,
  Weekday,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT_USAGE } from '../errors.js';
import {
  credentialOf,
  failMode,
  limit,
  onOff,
  type PermitFlags,
  permitOf,
  timeWindow,
  vehicleClass,
  weekdays,
  windowText,
  zoneList,
} from './bollards-args.js';

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

const { WEEKDAY_MONDAY: MON, WEEKDAY_WEDNESDAY: WED, WEEKDAY_SUNDAY: SUN } = Weekday;

describe('enums, on/off, zones and limits', () => {
  it('failMode: safe or secure, never unspecified', () => {
    expect(failMode('safe')).toBe(FailMode.FAIL_MODE_SAFE);
    expect(failMode(' SECURE ')).toBe(FailMode.FAIL_MODE_SECURE);
    expect(failMode('FAIL_MODE_SAFE')).toBe(FailMode.FAIL_MODE_SAFE);
    expect(refusal(failMode, 'open')).toBe('must be one of safe, secure.');
    expect(refusal(failMode, 'unspecified')).toBe('must be one of safe, secure.');
  });

  it('vehicleClass: the six classes, with _ or -', () => {
    expect(vehicleClass('delivery')).toBe(VehicleClass.VEHICLE_CLASS_DELIVERY);
    expect(vehicleClass('public_service')).toBe(VehicleClass.VEHICLE_CLASS_PUBLIC_SERVICE);
    expect(vehicleClass('public-service')).toBe(VehicleClass.VEHICLE_CLASS_PUBLIC_SERVICE);
    expect(refusal(vehicleClass, 'bicycle')).toBe(
      'must be one of resident, delivery, taxi, public_service, emergency, event.',
    );
  });

  it('onOff: on or off only', () => {
    expect(onOff('on')).toBe(true);
    expect(onOff(' OFF ')).toBe(false);
    for (const raw of ['yes', '1', '', 'true'])
      expect(refusal(onOff, raw)).toBe('must be on or off.');
  });

  it('zoneList: at least one id', () => {
    expect(zoneList('vismarkt,korenmarkt')).toEqual(['vismarkt', 'korenmarkt']);
    expect(refusal(zoneList, '')).toBe('must name at least one zone, e.g. vismarkt,korenmarkt.');
    expect(refusal(zoneList, 'vismarkt,vismarkt')).toBe('vismarkt is listed twice.');
  });

  it('limit: 1 to 10000', () => {
    expect(limit('1')).toBe(1);
    expect(limit('2500')).toBe(2500);
    for (const raw of ['0', '-1', '1.5', '', 'all', '10001'])
      expect(refusal(limit, raw)).toBe('must be a whole number from 1 to 10000.');
  });
});

describe('time windows', () => {
  it('reads ranges, lists and both, as ISO weekdays in order, each once', () => {
    expect(weekdays('Mon-Sat')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(weekdays('Mon,Wed')).toEqual([MON, WED]);
    expect(weekdays('wed, mon')).toEqual([MON, WED]);
    expect(weekdays('Mon-Wed,Sat')).toEqual([1, 2, 3, 6]);
    expect(weekdays('Saturday-Sunday')).toEqual([6, SUN]);
    expect(weekdays('Fri-Mon')).toEqual([MON, 5, 6, SUN]);
    expect(weekdays('Mon,Mon-Tue')).toEqual([1, 2]);
    expect(weekdays('daily')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(weekdays('Sun')).toEqual([SUN]);
  });

  it('parses a window into days, from and to', () => {
    expect(timeWindow('Mon-Sat 06:00-11:00')).toEqual({
      days: [1, 2, 3, 4, 5, 6],
      from: '06:00',
      to: '11:00',
    });
    expect(timeWindow(' Mon,Wed 07:00-09:00 ')).toEqual({
      days: [MON, WED],
      from: '07:00',
      to: '09:00',
    });
    expect(timeWindow('Mon, Wed 07:00-09:00').days).toEqual([MON, WED]);
    expect(timeWindow('Sun 00:00-23:59')).toEqual({ days: [SUN], from: '00:00', to: '23:59' });
  });

  it('refuses a bad window, naming the part that is wrong', () => {
    expect(refusal(timeWindow, 'Mon-Sat')).toBe(
      'must be days and times, e.g. "Mon-Sat 06:00-11:00" or "Mon,Wed 07:00-09:00".',
    );
    expect(refusal(timeWindow, 'Mon-Sat 6-11')).toBe(
      '"6-11" is not a time range HH:MM-HH:MM, e.g. "Mon-Sat 06:00-11:00" or "Mon,Wed 07:00-09:00".',
    );
    expect(refusal(timeWindow, 'Mon 06:00-24:00')).toMatch(/^"06:00-24:00" is not a time range/);
    expect(refusal(timeWindow, 'Mon 06:00')).toMatch(/^"06:00" is not a time range/);
    expect(refusal(timeWindow, 'Mon-Sat 06:00-11:00-12:00')).toMatch(/is not a time range/);
    expect(refusal(timeWindow, 'Mon-Zat 06:00-11:00')).toBe(
      '"Mon-Zat" is not a day or a range of days (Mon, Tue, … Sun; e.g. Mon-Sat or Mon,Wed).',
    );
    expect(refusal(timeWindow, 'Mon,,Wed 06:00-11:00')).toMatch(/^"" is not a day/);
    expect(refusal(timeWindow, 'Mon-Wed-Fri 06:00-11:00')).toMatch(/^"Mon-Wed-Fri" is not a day/);
    expect(refusal(timeWindow, 'Fri 22:00-02:00')).toBe(
      '02:00 is not after 22:00: split a window that crosses midnight in two, e.g. "Fri 22:00-23:59" and "Sat 00:00-02:00".',
    );
    expect(refusal(timeWindow, 'Fri 10:00-10:00')).toMatch(/^10:00 is not after 10:00/);
  });

  it('writes a window back as operators write it', () => {
    const text = (raw: string) => windowText(timeWindow(raw));
    expect(text('Mon-Sat 06:00-11:00')).toBe('Mon-Sat 06:00-11:00');
    expect(text('Mon,Wed 07:00-09:00')).toBe('Mon,Wed 07:00-09:00');
    expect(text('Mon,Tue,Thu-Sun 07:00-09:00')).toBe('Mon,Tue,Thu-Sun 07:00-09:00');
    expect(text('daily 00:00-23:59')).toBe('Mon-Sun 00:00-23:59');
    expect(windowText({ days: [], from: '06:00', to: '07:00' })).toBe('(no days) 06:00-07:00');
  });

  it('round-trips any set of days', () => {
    for (let mask = 1; mask < 128; mask++) {
      const days = [1, 2, 3, 4, 5, 6, 7].filter((d) => mask & (1 << (d - 1))) as Weekday[];
      const window = { days, from: '06:00', to: '07:00' };
      expect(timeWindow(windowText(window))).toEqual(window);
    }
  });
});

describe('credentials', () => {
  it('a plate or a badge, trimmed', () => {
    expect(credentialOf({ plate: ' 1-VAN-042 ' }, true)).toEqual({
      credentialKind: CredentialKind.CREDENTIAL_KIND_PLATE,
      credential: '1-VAN-042',
    });
    expect(credentialOf({ badge: 'B-77' }, false)).toEqual({
      credentialKind: CredentialKind.CREDENTIAL_KIND_BADGE,
      credential: 'B-77',
    });
  });

  it('none: an unidentified vehicle where allowed, else a usage error', () => {
    expect(credentialOf({}, false)).toEqual({
      credentialKind: CredentialKind.CREDENTIAL_KIND_UNSPECIFIED,
      credential: '',
    });
    expect(usage(() => credentialOf({}, true))).toBe('say whose permit: --plate or --badge');
  });

  it('refuses both, and an empty one', () => {
    expect(usage(() => credentialOf({ plate: 'A', badge: 'B' }, false))).toBe(
      'give --plate or --badge, not both',
    );
    expect(usage(() => credentialOf({ plate: ' ' }, false))).toBe('--plate is empty');
    expect(usage(() => credentialOf({ badge: '' }, true))).toBe('--badge is empty');
  });
});

describe('permitOf', () => {
  const flags: PermitFlags = {
    plate: '1-VAN-042',
    class: VehicleClass.VEHICLE_CLASS_DELIVERY,
    zones: ['vismarkt'],
    from: new Date('2026-11-01T00:00:00Z'),
    until: new Date('2027-05-01T00:00:00Z'),
    window: [timeWindow('Mon-Sat 06:00-11:00')],
    reason: 'bakery Vismarkt 3',
  };

  it('builds the permit to send, output-only fields empty', () => {
    expect(permitOf(flags)).toEqual({
      id: '',
      credentialKind: CredentialKind.CREDENTIAL_KIND_PLATE,
      credential: '1-VAN-042',
      credentialFingerprint: '',
      vehicleClass: VehicleClass.VEHICLE_CLASS_DELIVERY,
      zoneIds: ['vismarkt'],
      validFrom: flags.from,
      validUntil: flags.until,
      windows: [{ days: [1, 2, 3, 4, 5, 6], from: '06:00', to: '11:00' }],
      oneOff: false,
      reason: 'bakery Vismarkt 3',
      useTime: undefined,
      revokeTime: undefined,
      revokeReason: '',
      createdBy: '',
      createTime: undefined,
    });
    expect(permitOf({ ...flags, window: undefined, oneOff: true })).toMatchObject({
      windows: [],
      oneOff: true,
    });
  });

  it('refuses no credential, --until not after --from, and windows for emergency vehicles', () => {
    expect(usage(() => permitOf({ ...flags, plate: undefined }))).toBe(
      'say whose permit: --plate or --badge',
    );
    expect(usage(() => permitOf({ ...flags, until: flags.from }))).toBe(
      '--until 2026-11-01T00:00:00.000Z is not after --from 2026-11-01T00:00:00.000Z',
    );
    expect(usage(() => permitOf({ ...flags, class: VehicleClass.VEHICLE_CLASS_EMERGENCY }))).toBe(
      'emergency vehicles are admitted at any time: leave out --window',
    );
  });
});

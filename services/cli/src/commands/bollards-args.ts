// Parsers and pure request builders for `slimstad bollards …`: fail modes and vehicle classes
// as operators write them (`safe`, `public_service`), weekly time windows (`Mon-Sat
// 06:00-11:00`), `on`/`off`, a plate or a badge (one of them), and the permit a `permit add`
// sends. Parsers throw InvalidArgumentError, which commander prefixes with the option and the
// value (`option '--window <days hh:mm-hh:mm>' argument 'Mon-Sat 6-11' is invalid. …`); the
// builders check options against each other and throw a usage CliError naming them.
import {
  CredentialKind,
  FailMode,
  type Permit,
  type TimeWindow,
  VehicleClass,
  Weekday,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { InvalidArgumentError } from 'commander';
import { CliError, EXIT_USAGE } from '../errors.js';
import { enumValue } from './device-args.js';
import { idList } from './lighting-args.js';

/** `safe` (goes down on loss of power or service) or `secure` (stays as it is). */
export const failMode = (token: string): FailMode => enumValue(FailMode, 'FAIL_MODE_', token);

/** `resident`, `delivery`, `taxi`, `public_service`, `emergency`, `event`. */
export const vehicleClass = (token: string): VehicleClass =>
  enumValue(VehicleClass, 'VEHICLE_CLASS_', token);

/** `on` → true, `off` → false (emergency mode, maintenance). */
export function onOff(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new InvalidArgumentError('must be on or off.');
}

/** Zone ids for a permit: at least one, comma-separated. */
export function zoneList(raw: string): string[] {
  const ids = idList(raw);
  if (ids.length === 0)
    throw new InvalidArgumentError('must name at least one zone, e.g. vismarkt,korenmarkt.');
  return ids;
}

/** A whole number from 1 to 10,000 (how many audit entries). */
export function limit(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 1 || n > 10_000)
    throw new InvalidArgumentError('must be a whole number from 1 to 10000.');
  return n;
}

/** The days as written in a window, ISO order. */
export const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const FULL_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** `mon`, `Monday` → 1 (ISO numbering, as Weekday); undefined otherwise. */
function dayNumber(raw: string): number | undefined {
  const name = raw.trim().toLowerCase();
  const short = DAY_NAMES.findIndex((d) => d.toLowerCase() === name);
  const index = short >= 0 ? short : FULL_NAMES.indexOf(name);
  return index >= 0 ? index + 1 : undefined;
}

const WINDOW_EXAMPLE = 'e.g. "Mon-Sat 06:00-11:00" or "Mon,Wed 07:00-09:00"';
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/**
 * The days of a window: `Mon-Sat`, `Mon,Wed,Fri`, `Mon-Wed,Sat`, `Sat-Sun`, `daily`; a range
 * may wrap (`Fri-Mon`). As Weekday values in ISO order, each once.
 */
export function weekdays(raw: string): Weekday[] {
  const text = raw.trim();
  if (['daily', 'every day'].includes(text.toLowerCase()))
    return [1, 2, 3, 4, 5, 6, 7] as Weekday[];
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const ends = part.split('-');
    const numbers = ends.map(dayNumber);
    if (ends.length > 2 || numbers.some((n) => n === undefined))
      throw new InvalidArgumentError(
        `${JSON.stringify(part.trim())} is not a day or a range of days (Mon, Tue, … Sun; e.g. Mon-Sat or Mon,Wed).`,
      );
    const [first, last = first] = numbers as number[];
    for (let day = first as number; ; day = (day % 7) + 1) {
      days.add(day);
      if (day === last) break;
    }
  }
  return [...days].sort((a, b) => a - b) as Weekday[];
}

/**
 * A weekly window in the zone's local time: days, then `HH:MM-HH:MM` (the end exclusive and
 * after the start; split a window across midnight in two), e.g. `Mon-Sat 06:00-11:00`.
 */
export function timeWindow(raw: string): TimeWindow {
  const text = raw.trim();
  const space = text.lastIndexOf(' ');
  if (space < 0) throw new InvalidArgumentError(`must be days and times, ${WINDOW_EXAMPLE}.`);
  const days = weekdays(text.slice(0, space));
  const times = text.slice(space + 1).split('-');
  const [from = '', to = ''] = times;
  if (times.length !== 2 || !HHMM.test(from) || !HHMM.test(to))
    throw new InvalidArgumentError(
      `${JSON.stringify(text.slice(space + 1))} is not a time range HH:MM-HH:MM, ${WINDOW_EXAMPLE}.`,
    );
  if (to <= from)
    throw new InvalidArgumentError(
      `${to} is not after ${from}: split a window that crosses midnight in two, e.g. "Fri 22:00-23:59" and "Sat 00:00-02:00".`,
    );
  return { days, from, to };
}

/** A plate or a badge, as the options name it. */
export interface CredentialFlags {
  plate?: string;
  badge?: string;
}

export interface Credential {
  credentialKind: CredentialKind;
  credential: string;
}

/**
 * The credential of `--plate` or `--badge`; both is a usage error, and so is neither when
 * `required` (else: no credential, an unidentified vehicle).
 */
export function credentialOf(flags: CredentialFlags, required: boolean): Credential {
  const plate = flags.plate?.trim();
  const badge = flags.badge?.trim();
  if (flags.plate !== undefined && flags.badge !== undefined)
    throw new CliError('give --plate or --badge, not both', EXIT_USAGE);
  if (flags.plate !== undefined && !plate) throw new CliError('--plate is empty', EXIT_USAGE);
  if (flags.badge !== undefined && !badge) throw new CliError('--badge is empty', EXIT_USAGE);
  if (plate) return { credentialKind: CredentialKind.CREDENTIAL_KIND_PLATE, credential: plate };
  if (badge) return { credentialKind: CredentialKind.CREDENTIAL_KIND_BADGE, credential: badge };
  if (required) throw new CliError('say whose permit: --plate or --badge', EXIT_USAGE);
  return { credentialKind: CredentialKind.CREDENTIAL_KIND_UNSPECIFIED, credential: '' };
}

/** The options of `permit add`, parsed. */
export interface PermitFlags extends CredentialFlags {
  class: VehicleClass;
  zones: string[];
  from: Date;
  until: Date;
  window?: TimeWindow[];
  oneOff?: boolean;
  reason: string;
}

/** The permit `permit add` sends; the service checks the rest (durations, zones, classes). */
export function permitOf(flags: PermitFlags): Permit {
  const credential = credentialOf(flags, true);
  if (flags.until.getTime() <= flags.from.getTime())
    throw new CliError(
      `--until ${flags.until.toISOString()} is not after --from ${flags.from.toISOString()}`,
      EXIT_USAGE,
    );
  const windows = flags.window ?? [];
  if (flags.class === VehicleClass.VEHICLE_CLASS_EMERGENCY && windows.length > 0)
    throw new CliError(
      'emergency vehicles are admitted at any time: leave out --window',
      EXIT_USAGE,
    );
  return {
    id: '',
    ...credential,
    credentialFingerprint: '',
    vehicleClass: flags.class,
    zoneIds: flags.zones,
    validFrom: flags.from,
    validUntil: flags.until,
    windows,
    oneOff: Boolean(flags.oneOff),
    reason: flags.reason,
    useTime: undefined,
    revokeTime: undefined,
    revokeReason: '',
    createdBy: '',
    createTime: undefined,
  };
}

/** A window as an operator writes it: `Mon-Sat 06:00-11:00`, `Mon,Wed 07:00-09:00`. */
export function windowText(window: TimeWindow): string {
  const days = [...new Set(window.days)]
    .filter((d) => d >= Weekday.WEEKDAY_MONDAY && d <= Weekday.WEEKDAY_SUNDAY)
    .sort((a, b) => a - b);
  const runs: number[][] = [];
  for (const day of days) {
    const run = runs.at(-1);
    if (run && run.at(-1) === day - 1) run.push(day);
    else runs.push([day]);
  }
  const name = (day: number) => DAY_NAMES[day - 1];
  const text = runs
    .map((run) =>
      run.length >= 3
        ? `${name(run[0] as number)}-${name(run.at(-1) as number)}`
        : run.map(name).join(','),
    )
    .join(',');
  return `${text || '(no days)'} ${window.from}-${window.to}`;
}

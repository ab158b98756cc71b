// Parsers and pure request builders for `slimstad lighting …`: zone kinds and night kinds as
// operators write them (`park`, `weekend`, `all`), levels in percent, ids (single NATS
// tokens) and id lists, IANA time zones, override durations (`90m`, `2h`, `1h30m`) and local
// dates. Parsers throw InvalidArgumentError, which commander prefixes with the option
// (`option '--level <percent>' argument '120' is invalid. must be 0-100.`); the builders check
// options against each other and throw a usage CliError naming the options.
import type { Duration } from '@slimstad/contracts/gen/google/protobuf/duration';
import {
  type Lamp,
  NightKind,
  type Zone,
  ZoneKind,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import type { SetOverrideRequest } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting_service';
import { InvalidArgumentError } from 'commander';
import { CliError, EXIT_USAGE } from '../errors.js';
import { duration, enumValue } from './device-args.js';

/** `park`, `street`, `square` (or `ZONE_KIND_PARK`). */
export const zoneKind = (token: string): ZoneKind => enumValue(ZoneKind, 'ZONE_KIND_', token);

/** `weekday`, `weekend` or `all` (every night), or the full enum name (`NIGHT_KIND_WEEKEND`). */
export function nightKind(token: string): NightKind {
  const name = token.trim().toUpperCase().replace(/-/g, '_');
  if (name === 'ALL' || name === 'NIGHT_KIND_UNSPECIFIED') return NightKind.NIGHT_KIND_UNSPECIFIED;
  try {
    return enumValue(NightKind, 'NIGHT_KIND_', name);
  } catch {
    throw new InvalidArgumentError('must be weekday, weekend or all.');
  }
}

/** A level in percent: a whole number 0-100. */
export function percent(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < 0 || value > 100)
    throw new InvalidArgumentError('must be 0-100.');
  return value;
}

/** A rated power in watts, above zero. */
export function watts(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError('must be a number of watts above 0.');
  return value;
}

const degrees = (raw: string, limit: number): number => {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || Math.abs(value) > limit)
    throw new InvalidArgumentError(`must be a number of degrees from -${limit} to ${limit}.`);
  return value;
};

/** WGS84 latitude, -90 to 90. */
export const latitude = (raw: string): number => degrees(raw, 90);
/** WGS84 longitude, -180 to 180. */
export const longitude = (raw: string): number => degrees(raw, 180);

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** A zone or lamp id: a single NATS token (it appears in subjects). */
export function natsToken(raw: string): string {
  const id = raw.trim();
  if (!TOKEN.test(id))
    throw new InvalidArgumentError('must be a single NATS token: letters, digits, - and _.');
  return id;
}

/** `a,b,c` → ids (each a NATS token); an empty string is the empty list (clears it). */
export function idList(raw: string): string[] {
  if (raw.trim() === '') return [];
  const ids = raw.split(',').map((id) => id.trim());
  const bad = ids.find((id) => !TOKEN.test(id));
  if (bad !== undefined)
    throw new InvalidArgumentError(
      `${bad === '' ? 'an empty id' : bad} is not an id; give ids separated by commas, e.g. lamp-1,lamp-2.`,
    );
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new InvalidArgumentError(`${twice} is listed twice.`);
  return ids;
}

/** An IANA time zone, e.g. Europe/Brussels. */
export function timeZone(raw: string): string {
  const zone = raw.trim();
  try {
    if (zone === '') throw new RangeError('empty');
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new InvalidArgumentError('must be an IANA time zone, e.g. Europe/Brussels.');
  }
  return zone;
}

/** Text that is not blank (reasons, for the audit log). */
export function reason(raw: string): string {
  if (raw.trim() === '') throw new InvalidArgumentError('must not be empty.');
  return raw.trim();
}

/** The longest override the service accepts. */
export const MAX_OVERRIDE_SECONDS = 7 * 86_400;

const COMPOUND = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `90m`, `2h`, `1h30m`, `1d`, `1.5h`, `45s` → a Duration longer than zero, at most 7 days. */
export function overrideDuration(raw: string): Duration {
  const text = raw.trim();
  const compound = COMPOUND.exec(text);
  let seconds: number;
  if (text !== '' && compound) {
    const [, d = '0', h = '0', m = '0', s = '0'] = compound;
    seconds = Number(d) * 86_400 + Number(h) * 3_600 + Number(m) * 60 + Number(s);
  } else {
    try {
      const parsed = duration(text);
      seconds = Number(parsed.seconds) + parsed.nanos / 1e9;
    } catch {
      throw new InvalidArgumentError('must be a duration like 90m or 2h.');
    }
  }
  if (seconds <= 0) throw new InvalidArgumentError('must be longer than zero.');
  if (seconds > MAX_OVERRIDE_SECONDS) throw new InvalidArgumentError('must be at most 7 days.');
  const whole = Math.floor(seconds);
  return { seconds: BigInt(whole), nanos: Math.round((seconds - whole) * 1e9) };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date `YYYY-MM-DD` that exists. */
export function localDate(raw: string): string {
  const text = raw.trim();
  const match = DATE.exec(text);
  const day = match ? new Date(`${text}T00:00:00Z`) : undefined;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text)
    throw new InvalidArgumentError('must be a date YYYY-MM-DD, e.g. 2026-11-22.');
  return text;
}

/** The local date of `now` on this machine, `YYYY-MM-DD`. */
export function localToday(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

const DAY_MS = 86_400_000;
const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

/** The most operating days one energy report covers after the first (the service's limit). */
export const MAX_ENERGY_DAYS = 366;

/** `--from` and `--to` of `lighting energy`; `--to` defaults to `today`. */
export function energyRange(
  flags: { from: string; to?: string },
  today: string,
): { fromDate: string; toDate: string } {
  const toDate = flags.to ?? today;
  if (daysBetween(flags.from, toDate) < 0) {
    throw new CliError(
      flags.to === undefined
        ? `--from ${flags.from} is after today (${today}): pass --to as well`
        : `--to ${toDate} is before --from ${flags.from}`,
      EXIT_USAGE,
    );
  }
  if (daysBetween(flags.from, toDate) > MAX_ENERGY_DAYS)
    throw new CliError(
      `--to must be at most ${MAX_ENERGY_DAYS} days after --from; ask for a shorter range`,
      EXIT_USAGE,
    );
  return { fromDate: flags.from, toDate };
}

/** The options of `lighting override set`, parsed. */
export interface OverrideFlags {
  zone: string;
  lamp?: string;
  level: number;
  for?: Duration;
  until?: Date;
  reason: string;
}

/**
 * The SetOverride request of the options: `--for` becomes `duration` (the service counts from
 * its own clock), `--until` becomes `end_time`, which must be ahead of `now` by at most 7 days.
 */
export function overrideRequest(flags: OverrideFlags, now: Date): SetOverrideRequest {
  if ((flags.for === undefined) === (flags.until === undefined))
    throw new CliError(
      'say how long: --for (e.g. 2h) or --until (an ISO 8601 time), one of them',
      EXIT_USAGE,
    );
  if (flags.until) {
    const ahead = flags.until.getTime() - now.getTime();
    if (ahead <= 0)
      throw new CliError(`--until ${flags.until.toISOString()} is in the past`, EXIT_USAGE);
    if (ahead > MAX_OVERRIDE_SECONDS * 1000)
      throw new CliError('--until must be at most 7 days ahead', EXIT_USAGE);
  }
  return {
    zoneId: flags.zone,
    lampId: flags.lamp ?? '',
    level: flags.level,
    endTime: flags.until,
    duration: flags.for,
    reason: flags.reason,
  };
}

/** A usage error when no option is given, or only one of --lat and --lon. */
function checkChanges(changes: { lat?: number; lon?: number }, example: string): void {
  if (Object.values(changes).every((value) => value === undefined))
    throw new CliError(`nothing to change: give at least one option, e.g. ${example}`, EXIT_USAGE);
  if ((changes.lat === undefined) !== (changes.lon === undefined))
    throw new CliError('--lat and --lon go together', EXIT_USAGE);
}

const location = (
  changes: { lat?: number; lon?: number },
  current: Zone['location'],
): Zone['location'] =>
  changes.lat === undefined || changes.lon === undefined
    ? current
    : { latitude: changes.lat, longitude: changes.lon };

/** The zone options of `zones create` and `zones update`. */
export interface ZoneChanges {
  name?: string;
  kind?: ZoneKind;
  lat?: number;
  lon?: number;
  timeZone?: string;
}

/** Checks the options of `zones update` before anything is read or sent. */
export const checkZoneChanges = (changes: ZoneChanges): void => checkChanges(changes, '--name');

/**
 * `zone` with the options applied, its id and version untouched (UpdateZone names the
 * version read). A usage error when no option is given, or only one of --lat and --lon.
 */
export function applyZoneChanges(zone: Zone, changes: ZoneChanges): Zone {
  checkZoneChanges(changes);
  return {
    ...zone,
    name: changes.name ?? zone.name,
    kind: changes.kind ?? zone.kind,
    location: location(changes, zone.location),
    timeZone: changes.timeZone ?? zone.timeZone,
  };
}

/** The lamp options of `lamps create` and `lamps update`. */
export interface LampChanges {
  zone?: string;
  name?: string;
  lat?: number;
  lon?: number;
  power?: number;
  minLevel?: number;
  controller?: string;
  neighbours?: string[];
  detectors?: string[];
}

/** Checks the options of `lamps update` of lamp `id` before anything is read or sent. */
export function checkLampChanges(id: string, changes: LampChanges): void {
  checkChanges(changes, '--power');
  if (changes.neighbours?.includes(id))
    throw new CliError(`--neighbours lists the lamp itself (${id})`, EXIT_USAGE);
}

/** `lamp` with the options applied (id and version untouched); as applyZoneChanges. */
export function applyLampChanges(lamp: Lamp, changes: LampChanges): Lamp {
  checkLampChanges(lamp.id, changes);
  return {
    ...lamp,
    zoneId: changes.zone ?? lamp.zoneId,
    name: changes.name ?? lamp.name,
    location: location(changes, lamp.location),
    ratedPowerWatts: changes.power ?? lamp.ratedPowerWatts,
    minLevel: changes.minLevel ?? lamp.minLevel,
    controllerId: changes.controller ?? lamp.controllerId,
    neighbourIds: changes.neighbours ?? lamp.neighbourIds,
    detectorIds: changes.detectors ?? lamp.detectorIds,
  };
}

// The files of `slimstad lighting`: a LightingProfile (`profile set --file`) and an array of
// Lamps (`lamps import --file`) in proto3 JSON. Checked where `fromJSON` is lenient: an
// unknown field (a typo) is refused instead of ignored, a number must be a number, a Duration
// string such as "30s" must not become zero, an unknown enum name must not become
// UNRECOGNIZED. Errors name the field (`curfews[0].nights must be weekday, weekend or all.`).
// What `profile get -o json` and `lamps list -o json` print reads back unchanged.
import type { Duration } from '@slimstad/contracts/gen/google/protobuf/duration';
import { Lamp, LightingProfile } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { InvalidArgumentError } from 'commander';
import { CliError, EXIT_USAGE } from '../errors.js';
import { duration as cliDuration, instant } from './device-args.js';
import { nightKind } from './lighting-args.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const fail = (path: string, message: string): never => {
  throw new InvalidArgumentError(`${path} ${message}`);
};

/** What a field holds; a nested object is its own schema, an array `[schema]`. */
type Leaf =
  | 'string'
  | 'strings'
  | 'int'
  | 'number'
  | 'duration'
  | 'seconds'
  | 'nights'
  | 'time'
  | 'version'
  | 'output';
type Schema = { [field: string]: Leaf | Schema | [Schema] };

const PROTO3_DURATION = /^(\d+)(?:\.(\d{1,9}))?s$/;

/**
 * A Duration from proto3 JSON (`"30s"`, `"1.5s"`), the CLI's own form (`"15m"`, `"1h"`,
 * `"500ms"`) or an object `{ "seconds": "30", "nanos": 0 }`; zero allowed, negative not.
 */
export function jsonDuration(value: unknown, path: string): Duration {
  if (typeof value === 'string') {
    const exact = PROTO3_DURATION.exec(value.trim());
    if (exact?.[1] !== undefined)
      return {
        seconds: BigInt(exact[1]),
        nanos: Number((exact[2] ?? '').padEnd(9, '0')),
      };
    try {
      return cliDuration(value);
    } catch {
      return fail(path, 'must be a duration like "30s", "1.5s" or "10m".');
    }
  }
  if (isRecord(value)) {
    const seconds = value.seconds ?? 0;
    const nanos = value.nanos ?? 0;
    const whole = typeof seconds === 'string' ? Number(seconds) : seconds;
    if (
      typeof whole !== 'number' ||
      !Number.isInteger(whole) ||
      typeof nanos !== 'number' ||
      !Number.isInteger(nanos) ||
      whole < 0 ||
      nanos < 0 ||
      nanos >= 1e9 ||
      Object.keys(value).some((key) => key !== 'seconds' && key !== 'nanos')
    )
      return fail(path, 'must be { "seconds": …, "nanos": … } with whole, non-negative values.');
    return { seconds: BigInt(whole), nanos };
  }
  return fail(path, `must be a duration like "30s" (or give ${path}Seconds as a number).`);
}

/** A number of seconds (`holdSeconds: 30`, `rampUpSeconds: 1.5`) → a Duration. */
function secondsDuration(value: unknown, path: string): Duration {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    return fail(path, 'must be a number of seconds, 0 or more.');
  const whole = Math.floor(value);
  return { seconds: BigInt(whole), nanos: Math.round((value - whole) * 1e9) };
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Walks `value` along `schema`: refuses unknown fields and wrong types, converts durations
 * to `{ seconds, nanos }`, night kinds to their value, and drops output-only fields. Keys in
 * snake_case become camelCase. Returns what `fromJSON` then reads exactly.
 */
function walk(value: unknown, schema: Schema, path: string): Record<string, unknown> {
  const where = path || 'the file';
  if (!isRecord(value)) return fail(where, 'must be a JSON object.');
  const out: Record<string, unknown> = {};
  for (const [rawKey, raw] of Object.entries(value)) {
    const key = camel(rawKey);
    const at = path ? `${path}.${key}` : key;
    const kind = schema[key];
    if (kind === undefined)
      fail(
        path ? `${path} has an unknown field ${rawKey};` : `unknown field ${rawKey};`,
        `fields are ${Object.keys(schema).join(', ')}.`,
      );
    if (raw === null || raw === undefined) continue;
    if (key in out) fail(at, 'is given twice (camelCase and snake_case).');
    out[key] = field(raw, kind as Leaf | Schema | [Schema], at);
  }
  return out;
}

function field(raw: unknown, kind: Leaf | Schema | [Schema], at: string): unknown {
  if (Array.isArray(kind)) {
    if (!Array.isArray(raw)) return fail(at, 'must be an array.');
    return raw.map((item, i) => walk(item, kind[0], `${at}[${i}]`));
  }
  if (typeof kind === 'object') return walk(raw, kind, at);
  switch (kind) {
    case 'string':
      return typeof raw === 'string' ? raw : fail(at, 'must be a string.');
    case 'strings':
      return Array.isArray(raw) && raw.every((item) => typeof item === 'string')
        ? raw
        : fail(at, 'must be an array of strings.');
    case 'int':
      return typeof raw === 'number' && Number.isInteger(raw)
        ? raw
        : fail(at, 'must be a whole number.');
    case 'number':
      return typeof raw === 'number' && Number.isFinite(raw) ? raw : fail(at, 'must be a number.');
    case 'duration': {
      const { seconds, nanos } = jsonDuration(raw, at);
      return { seconds: String(seconds), nanos };
    }
    case 'seconds': {
      const { seconds, nanos } = secondsDuration(raw, at);
      return { seconds: String(seconds), nanos };
    }
    case 'nights':
      if (typeof raw === 'number' && [0, 1, 2].includes(raw)) return raw;
      if (typeof raw !== 'string') return fail(at, 'must be weekday, weekend or all.');
      try {
        return nightKind(raw);
      } catch (error) {
        return fail(at, (error as Error).message);
      }
    case 'time':
      try {
        return typeof raw === 'string'
          ? instant(raw).toISOString()
          : fail(at, 'must be an ISO 8601 time.');
      } catch (error) {
        return fail(at, (error as Error).message);
      }
    case 'version':
      if (
        (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) ||
        (typeof raw === 'string' && /^\d+$/.test(raw))
      )
        return String(raw);
      return fail(at, 'must be a whole number (the version read).');
    case 'output':
      return raw;
  }
}

const GEO_POINT: Schema = { latitude: 'number', longitude: 'number', altitudeMeters: 'number' };
const LEVEL_SET: Schema = { baseLevel: 'int', presenceLevel: 'int' };
const LOOK_AHEAD: Schema = { distanceMeters: 'number', speedMetersPerSecond: 'number' };
const CURFEW: Schema = {
  startLocalTime: 'string',
  endLocalTime: 'string',
  level: 'int',
  nights: 'nights',
  exceptDates: 'strings',
  exceptLampIds: 'strings',
};
const SPECIAL_DATE: Schema = { date: 'string', level: 'int', name: 'string' };
const EVENT: Schema = { name: 'string', startTime: 'time', endTime: 'time', level: 'int' };

const PROFILE: Schema = {
  zoneId: 'string',
  duskOffsetMinutes: 'int',
  dawnOffsetMinutes: 'int',
  weekday: LEVEL_SET,
  weekend: LEVEL_SET,
  hold: 'duration',
  holdSeconds: 'seconds',
  rampUp: 'duration',
  rampUpSeconds: 'seconds',
  rampDown: 'duration',
  rampDownSeconds: 'seconds',
  pedestrian: LOOK_AHEAD,
  cyclist: LOOK_AHEAD,
  curfews: [CURFEW],
  specialDates: [SPECIAL_DATE],
  events: [EVENT],
  fallbackLevel: 'int',
  version: 'version',
  updatedBy: 'output',
  updateTime: 'output',
};

const LAMP: Schema = {
  id: 'string',
  zoneId: 'string',
  name: 'string',
  location: GEO_POINT,
  ratedPowerWatts: 'number',
  minLevel: 'int',
  controllerId: 'string',
  neighbourIds: 'strings',
  detectorIds: 'strings',
  version: 'version',
  createTime: 'output',
  updateTime: 'output',
};

/** A profile read from a file, and the version it names (the version it was read at). */
export interface ProfileFile {
  profile: LightingProfile;
  version?: bigint;
}

/**
 * A LightingProfile from proto3 JSON (camelCase or snake_case). Durations `hold`, `rampUp`,
 * `rampDown` as "30s" (or "10m", or `{ "seconds": … }`), or as numbers of seconds in
 * `holdSeconds`, `rampUpSeconds`, `rampDownSeconds`; curfew `nights` as weekday, weekend,
 * all or the enum name. `version` is returned apart; `updatedBy` and `updateTime` are ignored.
 */
export function profileFromJson(json: unknown): ProfileFile {
  const object = walk(json, PROFILE, '');
  for (const name of ['hold', 'rampUp', 'rampDown']) {
    const seconds = `${name}Seconds`;
    if (object[seconds] !== undefined) {
      if (object[name] !== undefined) fail(name, `and ${seconds} are both given; give one.`);
      object[name] = object[seconds];
    }
    delete object[seconds];
  }
  const version = object.version === undefined ? undefined : BigInt(object.version as string);
  delete object.version;
  delete object.updatedBy;
  delete object.updateTime;
  const profile = LightingProfile.fromJSON(object);
  return version === undefined ? { profile } : { profile, version };
}

/** A profile as proto3 JSON that profileFromJson reads back: durations as "30s". */
export function profileToJson(profile: LightingProfile): Record<string, unknown> {
  const json = LightingProfile.toJSON(profile) as Record<string, unknown>;
  for (const name of ['hold', 'rampUp', 'rampDown'] as const) {
    const value = profile[name];
    if (value) json[name] = durationText(value);
  }
  return json;
}

/** A Duration in proto3 JSON: `30s`, `1.5s`. */
export function durationText(value: Duration): string {
  if (value.nanos === 0) return `${value.seconds}s`;
  const fraction = String(value.nanos).padStart(9, '0').replace(/0+$/, '');
  return `${value.seconds}.${fraction}s`;
}

/**
 * The profile `profile set` sends: the file's, for `zone`, with the version just read
 * (`current`). Without `force`, refuses a file of another zone, or one read at an older
 * version than the stored profile (someone changed it since): the operator would overwrite
 * that change unseen.
 */
export function profileToSet(
  file: ProfileFile,
  zone: string,
  current: LightingProfile,
  force: boolean,
): LightingProfile {
  if (!force) {
    const named = file.profile.zoneId;
    if (named && named !== zone)
      throw new CliError(
        `the file is the profile of zone ${named}, not ${zone}: pass --force to set it on ${zone}`,
        EXIT_USAGE,
      );
    if (file.version !== undefined && file.version !== current.version)
      throw new CliError(
        `the profile of ${zone} changed since the file was read (file version ${file.version}, now ${current.version}): get it again, or pass --force to overwrite it`,
      );
  }
  return { ...file.profile, zoneId: zone, version: current.version };
}

/**
 * The lamps of `lamps import --file`: a JSON array of Lamps in proto3 JSON (what
 * `lamps list -o json` prints). Each needs an id and a zoneId; ids are unique in the file.
 * Versions and output-only fields are ignored (the import reads each lamp's version).
 */
export function lampsFromJson(json: unknown): Lamp[] {
  if (!Array.isArray(json)) throw new InvalidArgumentError('must be a JSON array of lamps.');
  const first = new Map<string, number>();
  return json.map((item, i) => {
    const object = walk(item, LAMP, `[${i}]`);
    delete object.version;
    delete object.createTime;
    delete object.updateTime;
    for (const name of ['id', 'zoneId'])
      if (typeof object[name] !== 'string' || (object[name] as string).trim() === '')
        fail(`[${i}].${name}`, 'is required.');
    const id = object.id as string;
    const earlier = first.get(id);
    if (earlier !== undefined) fail(`[${i}].id`, `${id} is also lamp [${earlier}].`);
    first.set(id, i);
    return Lamp.fromJSON(object);
  });
}

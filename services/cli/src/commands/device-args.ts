// Parsers for the device and reading options of the CLI: enum tokens as operators write them
// (`water_level`, `lorawan_chirpstack`), durations (`15m`), metric specs (`name:unit:min:max`),
// networks (`kind:id`), labels (`k=v`) and `--set field=value`; and the pure step from those
// options to a Device and its update mask. Each failure names what it expects; commander adds
// the option (`option '--type <type>' argument 'lamp' is invalid. must be one of …`).

import {
  DEVICE_UPDATE_PATHS,
  type DeviceUpdatePath,
  enumFromToken,
  enumToken,
  enumTokens,
} from '@slimstad/contracts';
import type { Duration } from '@slimstad/contracts/gen/google/protobuf/duration';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  Device,
  DeviceStatus,
  DeviceType,
  type MetricSpec,
  type Network,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { InvalidArgumentError } from 'commander';
import { CliError, EXIT_USAGE } from '../errors.js';

/**
 * Reads an enum token (`water_level`, `water-level` or the full `DEVICE_TYPE_WATER_LEVEL`);
 * the error lists every allowed token.
 */
export function enumValue<E extends number>(
  values: Record<string, E | string>,
  prefix: string,
  token: string,
): E {
  const name = token.trim().toUpperCase().replace(/-/g, '_');
  const value = enumFromToken(
    values,
    prefix,
    name.startsWith(prefix) ? name.slice(prefix.length) : name,
  );
  if (value === undefined) {
    throw new InvalidArgumentError(`must be one of ${enumTokens(values, prefix).join(', ')}.`);
  }
  return value;
}

export { enumToken, enumTokens };

export const deviceType = (token: string) => enumValue(DeviceType, 'DEVICE_TYPE_', token);
export const deviceStatus = (token: string) => enumValue(DeviceStatus, 'DEVICE_STATUS_', token);
export const classification = (token: string) =>
  enumValue(DataClassification, 'DATA_CLASSIFICATION_', token);
export const rejectionReason = (token: string) =>
  enumValue(RejectionReason, 'REJECTION_REASON_', token);

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** `900s`, `15m`, `1h`, `1d` (and `500ms`) → a protobuf Duration. */
export function duration(raw: string): Duration {
  const match = DURATION.exec(raw.trim());
  if (!match?.[1] || !match[2]) {
    throw new InvalidArgumentError('must be a duration like 900s, 15m, 1h or 1d.');
  }
  const seconds = Number(match[1]) * (SECONDS[match[2]] ?? 1);
  if (seconds <= 0) throw new InvalidArgumentError('must be longer than zero.');
  const whole = Math.floor(seconds);
  return { seconds: BigInt(whole), nanos: Math.round((seconds - whole) * 1e9) };
}

const optionalNumber = (raw: string | undefined, what: string): number | undefined => {
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new InvalidArgumentError(`${what} ${JSON.stringify(raw)} is not a number.`);
  return value;
};

/** `water_level:m:-2:8` → a metric spec (min and max optional, e.g. `battery:V::4.2`). */
export function metricSpec(raw: string): MetricSpec {
  const [name, unit, min, max, ...rest] = raw.split(':');
  if (!name?.trim() || !unit?.trim() || rest.length > 0) {
    throw new InvalidArgumentError('must be name:unit[:min[:max]], e.g. water_level:m:-2:8.');
  }
  const spec: MetricSpec = {
    name: name.trim(),
    unit: unit.trim(),
    min: optionalNumber(min, 'min'),
    max: optionalNumber(max, 'max'),
  };
  if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) {
    throw new InvalidArgumentError(`min ${spec.min} is above max ${spec.max}.`);
  }
  return spec;
}

/** `lorawan_chirpstack:0004A30B001C0530` → a network. */
export function network(raw: string): Network {
  const at = raw.indexOf(':');
  if (at <= 0 || at === raw.length - 1) {
    throw new InvalidArgumentError('must be kind:id, e.g. lorawan_chirpstack:0004A30B001C0530.');
  }
  const kind = raw.slice(0, at);
  try {
    return { kind: enumValue(NetworkKind, 'NETWORK_KIND_', kind), networkId: raw.slice(at + 1) };
  } catch (error) {
    throw new InvalidArgumentError(`kind ${kind} is unknown; ${(error as Error).message}`);
  }
}

/** `k=v` → a label entry. */
export function label(raw: string): [string, string] {
  const at = raw.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('must be key=value.');
  return [raw.slice(0, at), raw.slice(at + 1)];
}

/** A positive integer (page sizes). */
export function positive(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

/** A finite number (coordinates). */
export function finite(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value))
    throw new InvalidArgumentError('must be a number.');
  return value;
}

/** Text that is not blank (e.g. the reason of a decommissioning, for the audit log). */
export function nonBlank(raw: string): string {
  if (raw.trim() === '') throw new InvalidArgumentError('must not be empty.');
  return raw;
}

/** An ISO 8601 time with a zone. */
export function instant(raw: string): Date {
  const value = new Date(raw);
  if (!/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(raw.trim()) || Number.isNaN(value.getTime())) {
    throw new InvalidArgumentError(
      'must be an ISO 8601 time with a zone, e.g. 2026-11-22T10:00:00Z.',
    );
  }
  return value;
}

/** A commander collector for repeatable options. */
export const collect =
  <T>(parse: (raw: string) => T) =>
  (raw: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(raw)];

/** The device fields an operator gives as options of `devices register` and `devices update`. */
export interface DeviceChanges {
  type?: DeviceType;
  name?: string;
  lat?: number;
  lon?: number;
  alt?: number;
  zone?: string;
  metric?: MetricSpec[];
  owner?: string;
  classification?: DataClassification;
  interval?: Duration;
  network?: Network;
  label?: [string, string][];
}

/** The update-mask paths the options can change, in mask order. */
export const UPDATE_PATHS = DEVICE_UPDATE_PATHS;
export type UpdatePath = DeviceUpdatePath;

/** Which option sets which path (`--lat/--lon/--alt` together set `location`). */
const PATH_OF: Record<Exclude<keyof DeviceChanges, 'type'>, UpdatePath> = {
  name: 'name',
  lat: 'location',
  lon: 'location',
  alt: 'location',
  zone: 'zone',
  metric: 'metrics',
  owner: 'owner_department',
  classification: 'classification',
  interval: 'expected_report_interval',
  network: 'network',
  label: 'labels',
};

/** `lat,lon[,alt]` → the location options. */
function location(raw: string): DeviceChanges {
  const parts = raw.split(',');
  if (parts.length < 2 || parts.length > 3)
    throw new InvalidArgumentError('must be lat,lon[,alt], e.g. 51.5877,4.7763.');
  const [lat, lon, alt] = parts.map((part) => finite(part));
  return { lat, lon, alt };
}

const list = <T>(raw: string, parse: (item: string) => T): T[] =>
  raw.trim() === '' ? [] : raw.split(',').map(parse);

const SETTERS: Record<UpdatePath, (value: string) => DeviceChanges> = {
  name: (value) => ({ name: value }),
  location,
  zone: (value) => ({ zone: value }),
  metrics: (value) => ({ metric: list(value, metricSpec) }),
  owner_department: (value) => ({ owner: value }),
  classification: (value) => ({ classification: classification(value) }),
  expected_report_interval: (value) => ({ interval: duration(value) }),
  network: (value) => ({ network: network(value) }),
  labels: (value) => ({ label: list(value, label) }),
};

/** One `--set field=value`: the mask path and the options it stands for. */
export interface Setting {
  path: UpdatePath;
  changes: DeviceChanges;
}

/**
 * `--set field=value` of `devices update`, `field` being an update-mask path: `name=…`,
 * `location=lat,lon[,alt]`, `zone=…`, `metrics=spec,spec` (each `name:unit[:min[:max]]`),
 * `owner_department=…`, `classification=internal`, `expected_report_interval=15m`,
 * `network=kind:id`, `labels=k=v,k=v` (empty: no labels).
 */
export function setting(raw: string): Setting {
  const at = raw.indexOf('=');
  const field = at < 0 ? raw.trim() : raw.slice(0, at).trim();
  if (at <= 0) throw new InvalidArgumentError('must be field=value, e.g. zone=haven.');
  if (!(UPDATE_PATHS as readonly string[]).includes(field)) {
    throw new InvalidArgumentError(
      `cannot set ${field}; fields are ${UPDATE_PATHS.join(', ')} (id and type never change).`,
    );
  }
  const path = field as UpdatePath;
  try {
    return { path, changes: SETTERS[path](raw.slice(at + 1)) };
  } catch (error) {
    throw new InvalidArgumentError(`${path} ${(error as Error).message}`);
  }
}

/** The paths the options set, in mask order. */
export function pathsOf(changes: DeviceChanges): UpdatePath[] {
  const paths = new Set<UpdatePath>();
  for (const [key, path] of Object.entries(PATH_OF)) {
    if (changes[key as keyof typeof PATH_OF] !== undefined) paths.add(path);
  }
  return UPDATE_PATHS.filter((path) => paths.has(path));
}

/** The options plus the `--set`s; a field given twice is a usage error. */
export function mergeSettings(options: DeviceChanges, settings: readonly Setting[]): DeviceChanges {
  const merged: DeviceChanges = {};
  for (const key of [...Object.keys(PATH_OF), 'type'] as (keyof DeviceChanges)[]) {
    if (options[key] !== undefined) Object.assign(merged, { [key]: options[key] });
  }
  const taken = new Set<UpdatePath>(pathsOf(merged));
  for (const { path, changes } of settings) {
    if (taken.has(path))
      throw new CliError(
        `${path} is given twice (options and --set name each field once)`,
        EXIT_USAGE,
      );
    taken.add(path);
    Object.assign(merged, changes);
  }
  return merged;
}

/**
 * The device the options describe, on top of `base`, and the update mask: exactly the paths
 * the options set (snake_case, in `UPDATE_PATHS` order). `type` is set but never in the mask.
 */
export function applyChanges(
  changes: DeviceChanges,
  base: Device,
): { device: Device; mask: UpdatePath[] } {
  const device: Device = { ...base };
  if (changes.type !== undefined) device.type = changes.type;
  if (changes.name !== undefined) device.name = changes.name;
  if (changes.lat !== undefined || changes.lon !== undefined || changes.alt !== undefined) {
    if (changes.lat === undefined || changes.lon === undefined)
      throw new CliError('--lat and --lon go together', EXIT_USAGE);
    device.location = {
      latitude: changes.lat,
      longitude: changes.lon,
      altitudeMeters: changes.alt,
    };
  }
  if (changes.zone !== undefined) device.zone = changes.zone;
  if (changes.metric !== undefined) device.metrics = changes.metric;
  if (changes.owner !== undefined) device.ownerDepartment = changes.owner;
  if (changes.classification !== undefined) device.classification = changes.classification;
  if (changes.interval !== undefined) device.expectedReportInterval = changes.interval;
  if (changes.network !== undefined) device.network = changes.network;
  if (changes.label !== undefined) device.labels = Object.fromEntries(changes.label);
  return { device, mask: pathsOf(changes) };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A Device from its proto3 JSON (`devices register --file`), checked where `Device.fromJSON`
 * is lenient: an unknown enum name would become UNRECOGNIZED and a Duration string such as
 * `"900s"` would become zero. Enums may be full names or tokens (`DEVICE_TYPE_NOISE`, `noise`);
 * the interval `"900s"` (proto3 JSON), `"15m"` or `{ "seconds": "900" }`. Fields in camelCase
 * or snake_case. Throws InvalidArgumentError naming the field.
 */
export function deviceFromJson(json: unknown): Device {
  if (!isRecord(json)) throw new InvalidArgumentError('must be a JSON object.');
  const object: Record<string, unknown> = { ...json };
  const field = (name: string, parse: (raw: string) => unknown, value: unknown): unknown => {
    if (typeof value !== 'string') return value;
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError(`${name} ${(error as Error).message}`);
    }
  };
  const enums = { type: deviceType, classification, status: deviceStatus } as const;
  for (const [name, parse] of Object.entries(enums)) {
    if (name in object) object[name] = field(name, parse, object[name]);
  }
  for (const name of ['expectedReportInterval', 'expected_report_interval']) {
    if (object[name] !== undefined && object[name] !== null) {
      const value = field(name, duration, object[name]);
      if (!isRecord(value))
        throw new InvalidArgumentError(`${name} must be a duration like "900s" or "15m".`);
      object[name] = { seconds: String(value.seconds ?? 0), nanos: value.nanos ?? 0 };
    }
  }
  if (isRecord(object.network)) {
    const kind = (token: string) => enumValue(NetworkKind, 'NETWORK_KIND_', token);
    object.network = { ...object.network, kind: field('network.kind', kind, object.network.kind) };
  }
  const device = Device.fromJSON(object);
  const unrecognized = [
    ['type', device.type],
    ['classification', device.classification],
    ['status', device.status],
    ['network.kind', device.network?.kind],
  ].find(([, value]) => value === -1);
  if (unrecognized) throw new InvalidArgumentError(`${unrecognized[0]} is not a known value.`);
  return device;
}

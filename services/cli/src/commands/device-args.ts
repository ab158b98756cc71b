// Parsers for the device and reading options of the CLI: enum tokens as operators write them
// (`water_level`, `lorawan_chirpstack`), durations (`15m`), metric specs (`name:unit:min:max`),
// networks (`kind:id`) and labels (`k=v`). Each failure names the option and what it expects.

import type { Duration } from '@slimstad/contracts/gen/google/protobuf/duration';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  DeviceStatus,
  DeviceType,
  type MetricSpec,
  type Network,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { InvalidArgumentError } from 'commander';

/** The lower-case tokens of an enum without its prefix and UNSPECIFIED, e.g. `water_level`. */
export function enumTokens(values: Record<string, string | number>, prefix: string): string[] {
  return Object.keys(values)
    .filter((k) => k.startsWith(prefix) && !k.endsWith('_UNSPECIFIED'))
    .map((k) => k.slice(prefix.length).toLowerCase());
}

/** Reads an enum token; the error lists every allowed token. */
export function enumValue<E extends number>(
  values: Record<string, E | string>,
  prefix: string,
  token: string,
): E {
  const value = values[`${prefix}${token.trim().toUpperCase()}`];
  if (typeof value !== 'number' || value === 0) {
    throw new InvalidArgumentError(`must be one of ${enumTokens(values, prefix).join(', ')}.`);
  }
  return value as E;
}

/** The token of an enum value, for output: `DEVICE_TYPE_WATER_LEVEL` → `water_level`. */
export function enumToken(values: Record<string, string | number>, prefix: string, value: number) {
  const key = Object.keys(values).find((k) => values[k] === value && k.startsWith(prefix));
  return key ? key.slice(prefix.length).toLowerCase() : String(value);
}

export const deviceType = (token: string) => enumValue(DeviceType, 'DEVICE_TYPE_', token);
export const deviceStatus = (token: string) => enumValue(DeviceStatus, 'DEVICE_STATUS_', token);
export const classification = (token: string) =>
  enumValue(DataClassification, 'DATA_CLASSIFICATION_', token);
export const rejectionReason = (token: string) =>
  enumValue(RejectionReason, 'REJECTION_REASON_', token);

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** `900s`, `15m`, `1h`, `1d` → a protobuf Duration. */
export function duration(raw: string): Duration {
  const match = DURATION.exec(raw.trim());
  if (!match?.[1] || !match[2]) {
    throw new InvalidArgumentError('must be a duration like 900s, 15m, 1h or 1d.');
  }
  const seconds = Number(match[1]) * (SECONDS[match[2]] ?? 1);
  const whole = Math.floor(seconds);
  return { seconds: BigInt(whole), nanos: Math.round((seconds - whole) * 1e9) };
}

const optionalNumber = (raw: string | undefined, what: string): number | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new InvalidArgumentError(`${what} ${JSON.stringify(raw)} is not a number.`);
  return value;
};

/** `water_level:m:-2:8` → a metric spec (min and max optional). */
export function metricSpec(raw: string): MetricSpec {
  const [name, unit, min, max, ...rest] = raw.split(':');
  if (!name || !unit || rest.length > 0) {
    throw new InvalidArgumentError('must be name:unit[:min[:max]], e.g. water_level:m:-2:8.');
  }
  return { name, unit, min: optionalNumber(min, 'min'), max: optionalNumber(max, 'max') };
}

/** `lorawan_chirpstack:0004A30B001C0530` → a network. */
export function network(raw: string): Network {
  const at = raw.indexOf(':');
  if (at <= 0 || at === raw.length - 1) {
    throw new InvalidArgumentError('must be kind:id, e.g. lorawan_chirpstack:0004A30B001C0530.');
  }
  return {
    kind: enumValue(NetworkKind, 'NETWORK_KIND_', raw.slice(0, at)),
    networkId: raw.slice(at + 1),
  };
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

/** An ISO 8601 time with a zone. */
export function instant(raw: string): Date {
  const value = new Date(raw);
  if (!/[zZ]|[+-]\d\d:?\d\d$/.test(raw) || Number.isNaN(value.getTime())) {
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

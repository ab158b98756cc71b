// The registry's rules for a device: what a valid registration is, which fields an update may
// change, and what changed between two versions. Pure: the API and the importer share them.
import { DEVICE_UPDATE_PATHS, type DeviceUpdatePath } from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  type Device,
  DeviceStatus,
  DeviceType,
  type MetricSpec,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import type { FieldViolation } from '@slimstad/kit';
import { knownUnit } from './units.js';

export const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ZONE = /^[A-Za-z0-9_-]{0,64}$/;
const METRIC_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const LABEL_KEY = /^[a-z0-9_.-]{1,63}$/;
const DEPARTMENT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const DEV_EUI = /^[0-9A-F]{16}$/;
const NETWORK_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_INTERVAL_S = 7 * 86_400;
const MAX_METRICS = 32;
const MAX_LABELS = 32;

/** Fields an update mask may name; `id`, `type` and output-only fields are fixed. */
export const UPDATABLE_FIELDS = DEVICE_UPDATE_PATHS;
export type UpdatableField = DeviceUpdatePath;

/**
 * Canonical form of a registration: trimmed text, DevEUIs in upper case, output-only fields
 * cleared. Validation and comparison work on this form.
 */
export function normalizeDevice(device: Device): Device {
  const kind = device.network?.kind ?? NetworkKind.NETWORK_KIND_UNSPECIFIED;
  const rawNetworkId = (device.network?.networkId ?? '').trim();
  return {
    id: device.id.trim(),
    type: device.type,
    name: device.name.trim(),
    location: device.location
      ? {
          latitude: device.location.latitude,
          longitude: device.location.longitude,
          altitudeMeters: device.location.altitudeMeters,
        }
      : undefined,
    zone: device.zone.trim(),
    metrics: device.metrics.map((m) => ({
      name: m.name.trim(),
      unit: m.unit.trim(),
      min: m.min,
      max: m.max,
    })),
    ownerDepartment: device.ownerDepartment.trim().toLowerCase(),
    classification: device.classification,
    expectedReportInterval: device.expectedReportInterval
      ? {
          seconds: device.expectedReportInterval.seconds,
          nanos: device.expectedReportInterval.nanos,
        }
      : undefined,
    network: {
      kind,
      networkId: isLoRaWan(kind) ? rawNetworkId.toUpperCase() : rawNetworkId,
    },
    status: DeviceStatus.DEVICE_STATUS_UNSPECIFIED,
    createdAt: undefined,
    updatedAt: undefined,
    decommissionedAt: undefined,
    labels: Object.fromEntries(
      Object.entries(device.labels)
        .map(([k, v]): [string, string] => [k.trim(), v.trim()])
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
    municipalityCode: '',
  };
}

export const isLoRaWan = (kind: NetworkKind) =>
  kind === NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK ||
  kind === NetworkKind.NETWORK_KIND_LORAWAN_TTS;

// Generated enums also hold UNRECOGNIZED = -1 (what an unknown wire value decodes to): not known.
const known = <E extends number>(values: Record<string, E | string>, value: E) =>
  value > 0 && Object.values(values).includes(value);

/** Every reason a registration is invalid, one per field, in field order; empty when valid. */
export function deviceViolations(device: Device): FieldViolation[] {
  const v: FieldViolation[] = [];
  const add = (field: string, description: string) => v.push({ field, description });

  if (!DEVICE_ID.test(device.id)) {
    add('id', `${JSON.stringify(device.id)} must be 1-64 characters from A-Z a-z 0-9 _ -`);
  }
  if (!known(DeviceType, device.type)) add('type', 'must be set to a known device type');
  if (!device.name) add('name', 'is required');
  else if (device.name.length > 200) add('name', 'is longer than 200 characters');

  const location = device.location;
  if (!location) add('location', 'is required');
  else {
    if (!(Number.isFinite(location.latitude) && Math.abs(location.latitude) <= 90)) {
      add('location.latitude', `${location.latitude} is not in [-90, 90]`);
    }
    if (!(Number.isFinite(location.longitude) && Math.abs(location.longitude) <= 180)) {
      add('location.longitude', `${location.longitude} is not in [-180, 180]`);
    }
    if (location.altitudeMeters !== undefined && !Number.isFinite(location.altitudeMeters)) {
      add('location.altitude_meters', 'must be a finite number');
    }
  }
  if (!ZONE.test(device.zone)) {
    add(
      'zone',
      `${JSON.stringify(device.zone)} must be at most 64 characters from A-Z a-z 0-9 _ -`,
    );
  }
  v.push(...metricViolations(device.metrics));
  if (!DEPARTMENT.test(device.ownerDepartment)) {
    add('owner_department', 'is required: lower-case letters, digits and -, e.g. public-works');
  }
  if (!known(DataClassification, device.classification)) {
    add('classification', 'must be public, internal or personal');
  }
  const interval = device.expectedReportInterval;
  if (interval) {
    const seconds = Number(interval.seconds) + interval.nanos / 1e9;
    if (!(seconds >= 0 && seconds <= MAX_INTERVAL_S)) {
      add('expected_report_interval', `${seconds}s is not between 0 and 7 days`);
    }
  }
  const kind = device.network?.kind ?? NetworkKind.NETWORK_KIND_UNSPECIFIED;
  const networkId = device.network?.networkId ?? '';
  if (!known(NetworkKind, kind)) add('network.kind', 'must be set to a known network kind');
  if (isLoRaWan(kind) && !DEV_EUI.test(networkId)) {
    add('network.network_id', `${JSON.stringify(networkId)} is not a DevEUI (16 hex digits)`);
  } else if (!isLoRaWan(kind) && !NETWORK_ID.test(networkId)) {
    add('network.network_id', 'is required: 1-128 characters from A-Z a-z 0-9 _ . : -');
  }
  const labels = Object.entries(device.labels);
  if (labels.length > MAX_LABELS) add('labels', `has more than ${MAX_LABELS} entries`);
  for (const [key, value] of labels) {
    if (!LABEL_KEY.test(key)) {
      add(`labels.${key}`, 'key must be 1-63 characters from a-z 0-9 _ . -');
    } else if (value.length > 256) {
      add(`labels.${key}`, 'value is longer than 256 characters');
    }
  }
  return v;
}

function metricViolations(metrics: readonly MetricSpec[]): FieldViolation[] {
  const v: FieldViolation[] = [];
  if (metrics.length === 0) v.push({ field: 'metrics', description: 'at least one is required' });
  if (metrics.length > MAX_METRICS) {
    v.push({ field: 'metrics', description: `has more than ${MAX_METRICS} entries` });
  }
  const seen = new Set<string>();
  metrics.forEach((m, i) => {
    const field = `metrics[${i}]`;
    if (!METRIC_NAME.test(m.name)) {
      v.push({
        field: `${field}.name`,
        description: `${JSON.stringify(m.name)} must be lower snake case, e.g. water_level`,
      });
    } else if (seen.has(m.name)) {
      v.push({ field: `${field}.name`, description: `${m.name} is listed twice` });
    }
    seen.add(m.name);
    if (!knownUnit(m.unit)) {
      v.push({
        field: `${field}.unit`,
        description: `${JSON.stringify(m.unit)} is not a known UCUM unit`,
      });
    }
    for (const bound of ['min', 'max'] as const) {
      const value = m[bound];
      if (value !== undefined && !Number.isFinite(value)) {
        v.push({ field: `${field}.${bound}`, description: 'must be a finite number' });
      }
    }
    if (m.min !== undefined && m.max !== undefined && m.min > m.max) {
      v.push({ field: `${field}.max`, description: `${m.max} is below min ${m.min}` });
    }
  });
  return v;
}

/**
 * Applies the fields named in `mask` from `patch` to `current`. Returns the violations instead
 * when the mask is empty or names a field that cannot change.
 */
export function applyUpdateMask(
  current: Device,
  patch: Device,
  mask: readonly string[],
): { device: Device } | { violations: FieldViolation[] } {
  if (mask.length === 0) {
    return {
      violations: [{ field: 'update_mask', description: 'is required: name the fields to change' }],
    };
  }
  const unknown = mask.filter((path) => !(UPDATABLE_FIELDS as readonly string[]).includes(path));
  if (unknown.length > 0) {
    return {
      violations: unknown.map((path) => ({
        field: 'update_mask',
        description: `${JSON.stringify(path)} cannot be changed; changeable: ${UPDATABLE_FIELDS.join(', ')}`,
      })),
    };
  }
  const next: Device = { ...current };
  for (const path of mask as UpdatableField[]) {
    switch (path) {
      case 'name':
        next.name = patch.name;
        break;
      case 'location':
        next.location = patch.location;
        break;
      case 'zone':
        next.zone = patch.zone;
        break;
      case 'metrics':
        next.metrics = patch.metrics;
        break;
      case 'owner_department':
        next.ownerDepartment = patch.ownerDepartment;
        break;
      case 'classification':
        next.classification = patch.classification;
        break;
      case 'expected_report_interval':
        next.expectedReportInterval = patch.expectedReportInterval;
        break;
      case 'network':
        next.network = patch.network;
        break;
      case 'labels':
        next.labels = patch.labels;
        break;
    }
  }
  return { device: next };
}

/** The registration fields that differ between two normalized devices (snake_case names). */
export function changedFields(before: Device, after: Device): UpdatableField[] {
  const a = normalizeDevice(before);
  const b = normalizeDevice(after);
  const same = (x: unknown, y: unknown) =>
    JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ===
    JSON.stringify(y, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  const pairs: Record<UpdatableField, [unknown, unknown]> = {
    name: [a.name, b.name],
    location: [a.location, b.location],
    zone: [a.zone, b.zone],
    metrics: [a.metrics, b.metrics],
    owner_department: [a.ownerDepartment, b.ownerDepartment],
    classification: [a.classification, b.classification],
    expected_report_interval: [intervalSeconds(a), intervalSeconds(b)],
    network: [a.network, b.network],
    labels: [a.labels, b.labels],
  };
  return UPDATABLE_FIELDS.filter((f) => !same(...pairs[f]));
}

/** The expected report interval in seconds; 0 when unset (reports on change only). */
export function intervalSeconds(device: Device): number {
  const d = device.expectedReportInterval;
  return d ? Number(d.seconds) + d.nanos / 1e9 : 0;
}

/** One line naming every violation, for import reports and logs. */
export const describeViolations = (violations: readonly FieldViolation[]) =>
  violations.map((x) => `${x.field}: ${x.description}`).join('; ');

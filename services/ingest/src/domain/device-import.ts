// Bulk import of devices from CSV or GeoJSON: parse each row into a Device (naming the column
// that is wrong), then plan what the import does with each against the registry. Pure; the
// handler loads the registered devices and writes the plan in one transaction.
import { enumFromToken, enumTokens } from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  type Device,
  DeviceStatus,
  DeviceType,
  type MetricSpec,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { ImportOutcome } from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import { parse as parseCsvText } from 'csv-parse/sync';
import {
  changedFields,
  describeViolations,
  deviceViolations,
  normalizeDevice,
} from './device-rules.js';

/** One row of the file: the device it describes, or why it could not be read. */
export interface ParsedRow {
  row: number;
  deviceId: string;
  device?: Device;
  error?: string;
}

export interface PlannedRow {
  row: number;
  deviceId: string;
  outcome: ImportOutcome;
  error: string;
  /** The device to write (CREATED or UPDATED). */
  device?: Device;
  /** Fields that change (UPDATED). */
  changed?: string[];
}

export const MAX_IMPORT_ROWS = 20_000;

class ColumnError extends Error {
  constructor(
    readonly column: string,
    message: string,
  ) {
    super(`${column}: ${message}`);
  }
}

const enumValue = <E extends number>(
  column: string,
  values: Record<string, E | string>,
  prefix: string,
  token: string,
): E => {
  const value = enumFromToken(values, prefix, token);
  if (value === undefined) {
    throw new ColumnError(
      column,
      `${JSON.stringify(token)} is not one of ${enumTokens(values, prefix).join(', ')}`,
    );
  }
  return value;
};

const numberIn = (column: string, raw: unknown, required: boolean): number | undefined => {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    if (required) throw new ColumnError(column, 'is required');
    return undefined;
  }
  // Only numbers and numeric text: Number(' ') and Number([]) would be a silent 0.
  const value =
    typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
  if (!Number.isFinite(value))
    throw new ColumnError(column, `${JSON.stringify(raw)} is not a number`);
  return value;
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** `900`, `900s`, `15m`, `1h` → seconds. A bare number is seconds. */
export function parseDurationSeconds(column: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'number') {
    if (raw < 0 || !Number.isFinite(raw)) throw new ColumnError(column, `${raw} is not a duration`);
    return raw;
  }
  const match = DURATION.exec(String(raw).trim());
  if (!match?.[1]) {
    throw new ColumnError(
      column,
      `${JSON.stringify(raw)} is not a duration like 900, 900s, 15m or 1h`,
    );
  }
  return Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] ?? 1);
}

/** `water_level:m:-1:10;temperature:Cel` → metric specs (min and max optional). */
export function parseMetricList(column: string, raw: string): MetricSpec[] {
  return raw
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [name = '', unit = '', min, max, ...rest] = part.split(':');
      if (!name || !unit || rest.length > 0) {
        throw new ColumnError(column, `${JSON.stringify(part)} is not name:unit[:min[:max]]`);
      }
      return {
        name,
        unit,
        min: numberIn(`${column} ${name} min`, min, false),
        max: numberIn(`${column} ${name} max`, max, false),
      };
    });
}

/** `vendor=acme;batch=2024-q3` → labels. */
export function parseLabelList(column: string, raw: string): Record<string, string> {
  // Entries, not assignment: `labels['__proto__'] = v` would drop the label silently.
  const labels: [string, string][] = [];
  for (const part of raw
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = part.indexOf('=');
    if (at <= 0) throw new ColumnError(column, `${JSON.stringify(part)} is not key=value`);
    labels.push([part.slice(0, at).trim(), part.slice(at + 1).trim()]);
  }
  return Object.fromEntries(labels);
}

const text = (raw: unknown) => (raw === undefined || raw === null ? '' : String(raw).trim());

/**
 * Builds a Device from one record of named fields, as both formats provide them. Metrics and
 * labels may be strings (CSV) or structured values (GeoJSON).
 */
function deviceFromFields(
  fields: Record<string, unknown>,
  latitude: unknown,
  longitude: unknown,
  altitude: unknown,
): Device {
  const metricsRaw = fields.metrics;
  const metrics = Array.isArray(metricsRaw)
    ? metricsRaw.map((m, i) => {
        const item = (m ?? {}) as Record<string, unknown>;
        return {
          name: text(item.name),
          unit: text(item.unit),
          min: numberIn(`metrics[${i}].min`, item.min, false),
          max: numberIn(`metrics[${i}].max`, item.max, false),
        };
      })
    : parseMetricList('metrics', text(metricsRaw));
  const labelsRaw = fields.labels;
  if (Array.isArray(labelsRaw)) {
    throw new ColumnError('labels', 'expected an object of key: value, not an array');
  }
  const labels =
    labelsRaw && typeof labelsRaw === 'object'
      ? Object.fromEntries(
          Object.entries(labelsRaw as Record<string, unknown>).map(([k, v]) => [k, text(v)]),
        )
      : parseLabelList('labels', text(labelsRaw));
  const interval = parseDurationSeconds(
    'expected_report_interval',
    fields.expected_report_interval ?? fields.expected_report_interval_s,
  );
  const networkKind = text(fields.network_kind);
  const classification = text(fields.classification);
  const type = text(fields.type);
  if (!type) throw new ColumnError('type', 'is required');
  if (!classification) throw new ColumnError('classification', 'is required');
  if (!networkKind) throw new ColumnError('network_kind', 'is required');
  return normalizeDevice({
    id: text(fields.id),
    type: enumValue('type', DeviceType, 'DEVICE_TYPE_', type),
    name: text(fields.name),
    location: {
      latitude: numberIn('latitude', latitude, true) ?? Number.NaN,
      longitude: numberIn('longitude', longitude, true) ?? Number.NaN,
      altitudeMeters: numberIn('altitude_meters', altitude, false),
    },
    zone: text(fields.zone),
    metrics,
    ownerDepartment: text(fields.owner_department),
    classification: enumValue(
      'classification',
      DataClassification,
      'DATA_CLASSIFICATION_',
      classification,
    ),
    expectedReportInterval: interval === undefined ? undefined : toDuration(interval),
    network: {
      kind: enumValue('network_kind', NetworkKind, 'NETWORK_KIND_', networkKind),
      networkId: text(fields.network_id),
    },
    status: DeviceStatus.DEVICE_STATUS_UNSPECIFIED,
    createdAt: undefined,
    updatedAt: undefined,
    decommissionedAt: undefined,
    labels,
    municipalityCode: '',
  });
}

/** Seconds → a Duration whose nanos stay below 1e9 (0.9999999999 rounds up to 1s, not 0s+1e9ns). */
function toDuration(seconds: number): { seconds: bigint; nanos: number } {
  const nanos = Math.round((seconds % 1) * 1e9);
  return nanos === 1e9
    ? { seconds: BigInt(Math.floor(seconds) + 1), nanos: 0 }
    : { seconds: BigInt(Math.floor(seconds)), nanos };
}

/** Parses a row's fields into a checked device, or the reasons it is not one. */
function toParsedRow(row: number, read: () => Device, idHint: unknown): ParsedRow {
  try {
    const device = read();
    const violations = deviceViolations(device);
    if (violations.length > 0)
      return { row, deviceId: device.id, error: describeViolations(violations) };
    return { row, deviceId: device.id, device };
  } catch (error) {
    return {
      row,
      deviceId: text(idHint),
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

export const CSV_COLUMNS = [
  'id',
  'type',
  'name',
  'latitude',
  'longitude',
  'altitude_meters',
  'zone',
  'metrics',
  'owner_department',
  'classification',
  'expected_report_interval',
  'network_kind',
  'network_id',
  'labels',
] as const;
const REQUIRED_CSV_COLUMNS = [
  'id',
  'type',
  'latitude',
  'longitude',
  'metrics',
  'network_kind',
  'network_id',
];

/** A whole-file problem (not one row's): the file is rejected with this message. */
export class ImportFileError extends Error {}

/** Parses a CSV file with a header row of Device field names (see CSV_COLUMNS). */
export function parseDeviceCsv(content: string): ParsedRow[] {
  let records: string[][];
  try {
    records = parseCsvText(content.replace(/^\uFEFF/, ''), {
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      // Only whole lines are comments: without this, `Pump #3` would lose everything after `#`.
      comment: '#',
      comment_no_infix: true,
    }) as string[][];
  } catch (error) {
    throw new ImportFileError(`CSV: ${error instanceof Error ? error.message : String(error)}`);
  }
  const [header, ...rows] = records;
  if (!header) throw new ImportFileError('CSV: the file is empty; expected a header row');
  const columns = header.map((h) => h.trim().toLowerCase());
  const unknown = columns.filter(
    (c) => !(CSV_COLUMNS as readonly string[]).includes(c) && c !== 'expected_report_interval_s',
  );
  if (unknown.length > 0) {
    throw new ImportFileError(
      `CSV: unknown column(s) ${unknown.join(', ')}; known: ${CSV_COLUMNS.join(', ')}`,
    );
  }
  const repeated = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (repeated.length > 0) {
    throw new ImportFileError(
      `CSV: column(s) ${[...new Set(repeated)].join(', ')} appear more than once`,
    );
  }
  const missing = REQUIRED_CSV_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new ImportFileError(`CSV: missing column(s) ${missing.join(', ')}`);
  if (rows.length > MAX_IMPORT_ROWS) {
    throw new ImportFileError(
      `CSV: ${rows.length} rows is more than ${MAX_IMPORT_ROWS} per import`,
    );
  }
  return rows.map((cells, i) => {
    const fields = Object.fromEntries(columns.map((c, j) => [c, cells[j] ?? '']));
    if (cells.length !== columns.length) {
      return {
        row: i + 1,
        deviceId: text(fields.id),
        error: `row has ${cells.length} cells, the header ${columns.length}`,
      };
    }
    return toParsedRow(
      i + 1,
      () => deviceFromFields(fields, fields.latitude, fields.longitude, fields.altitude_meters),
      fields.id,
    );
  });
}

/** Parses a GeoJSON FeatureCollection of Point features whose properties are Device fields. */
export function parseDeviceGeoJson(content: string): ParsedRow[] {
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch (error) {
    throw new ImportFileError(
      `GeoJSON: not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const collection = document as { type?: unknown; features?: unknown };
  if (collection?.type !== 'FeatureCollection' || !Array.isArray(collection.features)) {
    throw new ImportFileError('GeoJSON: expected a FeatureCollection with a features array');
  }
  if (collection.features.length > MAX_IMPORT_ROWS) {
    throw new ImportFileError(
      `GeoJSON: ${collection.features.length} features is more than ${MAX_IMPORT_ROWS} per import`,
    );
  }
  return collection.features.map((raw, i) => {
    const feature = (raw ?? {}) as {
      type?: unknown;
      geometry?: unknown;
      properties?: unknown;
      id?: unknown;
    };
    const properties = (feature.properties ?? {}) as Record<string, unknown>;
    const idHint = properties.id ?? feature.id;
    return toParsedRow(
      i + 1,
      () => {
        if (feature.type !== 'Feature') throw new ColumnError('type', 'expected a Feature');
        const geometry = feature.geometry as { type?: unknown; coordinates?: unknown } | null;
        if (geometry?.type !== 'Point' || !Array.isArray(geometry.coordinates)) {
          throw new ColumnError(
            'geometry',
            'expected a Point with [longitude, latitude(, altitude)]',
          );
        }
        // GeoJSON orders coordinates longitude first (RFC 7946 §3.1.1).
        const [longitude, latitude, altitude] = geometry.coordinates as unknown[];
        return deviceFromFields({ ...properties, id: idHint }, latitude, longitude, altitude);
      },
      idHint,
    );
  });
}

export interface RegistrySnapshot {
  /** Registered devices by id (decommissioned included). */
  byId: ReadonlyMap<string, Device>;
  /** Id of the active device holding each `kind:networkId`. */
  networkOwner: ReadonlyMap<string, string>;
}

export const networkKey = (device: Device) =>
  `${device.network?.kind ?? 0}:${device.network?.networkId ?? ''}`;

/**
 * Decides, row by row, what the import does. The import is all-or-nothing, so when any row
 * fails the others still report what they would have done.
 */
export function planImport(rows: readonly ParsedRow[], registry: RegistrySnapshot): PlannedRow[] {
  const idsInFile = new Map<string, number>();
  const networkInFile = new Map<string, string>();
  return rows.map((parsed): PlannedRow => {
    const base = { row: parsed.row, deviceId: parsed.deviceId };
    const fail = (error: string): PlannedRow => ({
      ...base,
      outcome: ImportOutcome.IMPORT_OUTCOME_FAILED,
      error,
    });
    if (!parsed.device) return fail(parsed.error ?? 'unreadable row');
    const device = parsed.device;
    const firstRow = idsInFile.get(device.id);
    if (firstRow !== undefined) return fail(`id: ${device.id} is also on row ${firstRow}`);
    idsInFile.set(device.id, parsed.row);

    const key = networkKey(device);
    const holderInFile = networkInFile.get(key);
    if (holderInFile !== undefined) {
      return fail(
        `network_id: ${device.network?.networkId} is also used by ${holderInFile} in this file`,
      );
    }
    networkInFile.set(key, device.id);
    const holder = registry.networkOwner.get(key);
    if (holder !== undefined && holder !== device.id) {
      return fail(`network_id: ${device.network?.networkId} belongs to active device ${holder}`);
    }

    const existing = registry.byId.get(device.id);
    if (!existing)
      return { ...base, outcome: ImportOutcome.IMPORT_OUTCOME_CREATED, error: '', device };
    if (existing.status === DeviceStatus.DEVICE_STATUS_DECOMMISSIONED) {
      return fail(`id: ${device.id} is decommissioned; ids are never reused`);
    }
    if (existing.type !== device.type) return fail('type: cannot change; register a new device');
    const changed = changedFields(existing, device);
    if (changed.length === 0)
      return { ...base, outcome: ImportOutcome.IMPORT_OUTCOME_UNCHANGED, error: '' };
    return { ...base, outcome: ImportOutcome.IMPORT_OUTCOME_UPDATED, error: '', device, changed };
  });
}

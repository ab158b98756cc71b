// The simulated devices, read from the same CSV file the simulator imports into ingest's
// registry (columns as in services/ingest/docs/registry.md). Only what the simulator needs is
// kept; the registry itself validates the rest on import. Pure.
import { parse } from 'csv-parse/sync';

/** The ways in the simulator can play, by the registry's `network_kind`. */
export const NETWORK_WAYS = ['lorawan_chirpstack', 'lorawan_tts', 'mqtt', 'grpc'] as const;
export type NetworkWay = (typeof NETWORK_WAYS)[number];

export interface SimMetric {
  name: string;
  unit: string;
  min?: number;
  max?: number;
}

export interface SimDevice {
  id: string;
  /** Registry device type without the `DEVICE_TYPE_` prefix, lower case, e.g. `bin_fill`. */
  type: string;
  name: string;
  latitude: number;
  longitude: number;
  zone: string;
  metrics: SimMetric[];
  /** Expected report interval in simulated seconds (> 0). */
  intervalS: number;
  network: NetworkWay;
  /** DevEUI (16 hex digits, upper case) for LoRaWAN, otherwise the registry's network id. */
  networkId: string;
  /** The registry's labels (`vendor=…;place=park`), when the row has any. */
  labels?: Readonly<Record<string, string>>;
}

/** The file cannot be simulated; the message lists every problem. */
export class DeviceFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`cannot simulate the device file:\n  - ${problems.join('\n  - ')}`);
    this.name = 'DeviceFileError';
  }
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** `900`, `900s`, `15m`, `1h` → seconds (a bare number is seconds), as the registry reads it. */
export function parseDuration(raw: string): number | undefined {
  const match = DURATION.exec(raw.trim());
  if (!match?.[1]) return undefined;
  return Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] ?? 1);
}

const optionalNumber = (raw: string | undefined): number | undefined =>
  raw === undefined || raw.trim() === '' ? undefined : Number(raw);

/** `water_level:m:-2:8;temperature:Cel` → metrics (min and max optional). */
export function parseMetrics(raw: string): SimMetric[] {
  return raw
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [name = '', unit = '', min, max] = part.split(':');
      return { name, unit, min: optionalNumber(min), max: optionalNumber(max) };
    });
}

/** `vendor=acme;place=park` → `{ vendor: 'acme', place: 'park' }`. */
export function parseLabels(raw: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of raw.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) labels[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return labels;
}

/**
 * Reads the devices of a registry CSV file. Throws DeviceFileError naming each row that the
 * simulator cannot play (unknown network kind, no report interval, bad coordinates).
 */
export function parseDevicesCsv(content: string): SimDevice[] {
  const records = parse(content.replace(/^\uFEFF/, ''), {
    columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
    skip_empty_lines: true,
    trim: true,
    comment: '#',
  }) as Record<string, string | undefined>[];
  const problems: string[] = [];
  const devices: SimDevice[] = [];
  records.forEach((record, i) => {
    const id = record.id ?? '';
    const where = `row ${i + 1}${id ? ` (${id})` : ''}`;
    const network = (record.network_kind ?? '').toLowerCase();
    const intervalS = parseDuration(record.expected_report_interval ?? '');
    const latitude = Number(record.latitude);
    const longitude = Number(record.longitude);
    const rowProblems: string[] = [];
    if (!id) rowProblems.push('id is required');
    if (!(NETWORK_WAYS as readonly string[]).includes(network)) {
      rowProblems.push(
        `network_kind ${JSON.stringify(network)} is not simulated; use one of ${NETWORK_WAYS.join(', ')}`,
      );
    }
    if (intervalS === undefined || intervalS <= 0) {
      rowProblems.push('expected_report_interval must be a positive duration such as 15m');
    }
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) {
      rowProblems.push('latitude and longitude must be numbers');
    }
    if (!record.network_id) rowProblems.push('network_id is required');
    if (rowProblems.length > 0) {
      problems.push(...rowProblems.map((p) => `${where}: ${p}`));
      return;
    }
    const lorawan = network.startsWith('lorawan_');
    const labels = parseLabels(record.labels ?? '');
    devices.push({
      id,
      type: (record.type ?? '').toLowerCase(),
      name: record.name || id,
      latitude,
      longitude,
      zone: record.zone ?? '',
      metrics: parseMetrics(record.metrics ?? ''),
      intervalS: intervalS as number,
      network: network as NetworkWay,
      networkId: lorawan
        ? (record.network_id ?? '').replace(/[-:\s]/g, '').toUpperCase()
        : (record.network_id ?? ''),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    });
  });
  if (problems.length > 0) throw new DeviceFileError(problems);
  return devices;
}

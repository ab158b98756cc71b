// What the edges share: the parse result every payload format produces, JSON and zod error
// reporting with the path that is wrong, decoded-payload normalization for LoRaWAN network
// servers, MQTT topic matching, and the step that hands a parsed delivery to the intake.
import { createHash } from 'node:crypto';
import type { NetworkKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { Reading, RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { Metrics } from '@slimstad/kit';
import { z } from 'zod';
import type { DeviceDirectory, DeviceView } from '../domain/device.js';
import type { IntakePublisher } from '../events/intake.publisher.js';

/** The part of the intake an edge uses; tests hand in stubs. */
export type Intake = Pick<IntakePublisher, 'submit' | 'reject'>;

/** What a payload parser makes of one delivery. */
export type EdgeParseResult =
  | {
      ok: true;
      /** Registry id of the device the delivery belongs to. */
      deviceId: string;
      /** Identifies the delivery, so a redelivered one is stored once (`Nats-Msg-Id`). */
      batchId: string;
      /** Normalized readings; may be empty (e.g. a LoRaWAN frame without application data). */
      readings: Reading[];
      /** JSON paths of decoded properties that are not metrics (strings, nested objects). */
      ignored: string[];
    }
  | {
      ok: false;
      reason: RejectionReason;
      /** For operators: what exactly is wrong, naming the JSON path or the unknown identity. */
      detail: string;
      /** The registry id, when it could be determined. */
      deviceId?: string;
    };

export type EdgeRejectionResult = Extract<EdgeParseResult, { ok: false }>;

/** The quarantine keeps at most this much of a raw payload (ReadingRejected.payload contract). */
export const MAX_QUARANTINED_PAYLOAD_BYTES = 4096;

export const malformed = (detail: string): EdgeRejectionResult => ({
  ok: false,
  reason: RejectionReason.REJECTION_REASON_MALFORMED,
  detail,
});

/** `readings[0].value`, `deviceInfo.devEui`, or `(body)` for the root. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(body)';
}

/**
 * Zod's error option for a field: `required, <what>` when it is absent, `must be <kind>,
 * <what>` when it has the wrong type, e.g. `expected('a string', 'the uplink id')`.
 */
export const expected = (kind: string, what: string) => ({
  error: (issue: { input?: unknown }) =>
    issue.input === undefined ? `required, ${what}` : `must be ${kind}, ${what}`,
});

/** One line naming each wrong path, e.g. `fCnt: must be a non-negative integer; time: required`. */
export function describeZodError(error: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const issue of error.issues) {
    const path = jsonPath([...prefix, ...issue.path]);
    // Zod's own wording for an absent field, where no `expected(...)` was given.
    const message = /received undefined$/.test(issue.message) ? 'required' : issue.message;
    const line = `${path}: ${message}`;
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  const shown = lines.slice(0, 5);
  if (lines.length > shown.length) shown.push(`… ${lines.length - shown.length} more`);
  return shown.join('; ');
}

/** Parses a JSON payload; the error names the position, as operators debug with it. */
export function parseJson(
  payload: Uint8Array | string,
): { ok: true; value: unknown } | EdgeRejectionResult {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  if (text.trim() === '') return malformed('(body): empty payload, expected a JSON object');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return malformed(`(body): not valid JSON (${(error as Error).message})`);
  }
}

/** An ISO 8601 time with a zone (`Z` or `+01:00`), as a Date; nanoseconds are truncated to ms. */
export const isoTime = (what: string) =>
  z
    .string(expected('an ISO 8601 time', what))
    .pipe(
      z.iso.datetime({
        offset: true,
        error: `must be an ISO 8601 time with a zone, e.g. 2026-11-22T10:00:00Z, ${what}`,
      }),
    )
    .transform((value) => new Date(value));

/** A LoRaWAN frame counter or port: a non-negative integer (protobuf JSON omits zeros). */
export const uint = (what: string) => {
  const message = `must be a non-negative integer, ${what}`;
  return z
    .number(expected('a non-negative integer', what))
    .int({ error: message })
    .nonnegative({ error: message });
};

/** A DevEUI as 16 lower-case hex digits; separators (`-`, `:`, spaces) are dropped. */
export function normalizeDevEui(raw: string): string | undefined {
  const hex = raw.replace(/[-:\s]/g, '');
  return /^[0-9a-fA-F]{16}$/.test(hex) ? hex.toLowerCase() : undefined;
}

/**
 * Finds a LoRaWAN device by DevEUI. Lower case is the normal form; the upper-case spelling is
 * tried too, because the registry contract (`Network.network_id`) documents DevEUIs in upper
 * case and a registry may keep them as entered.
 */
export function deviceByDevEui(
  directory: DeviceDirectory,
  kind: NetworkKind,
  devEui: string,
): DeviceView | undefined {
  return directory.byNetworkId(kind, devEui) ?? directory.byNetworkId(kind, devEui.toUpperCase());
}

export interface DecodedMetric {
  metric: string;
  value: number;
  unit: string;
}

/**
 * Turns a network server's decoded payload (the codec's output) into metrics: a number is a
 * value in the metric's canonical unit, `{ "value": n, "unit": "cm" }` one with its unit, a
 * boolean 1 or 0 (presence, open/closed). Other properties (strings, arrays, other objects,
 * null) are not metrics and are listed as ignored; a payload with nothing but those is
 * malformed. An empty object (a heartbeat) yields no metrics.
 */
export function decodedMetrics(
  decoded: Record<string, unknown>,
  path: string,
): { ok: true; metrics: DecodedMetric[]; ignored: string[] } | EdgeRejectionResult {
  const metrics: DecodedMetric[] = [];
  const ignored: string[] = [];
  for (const [metric, raw] of Object.entries(decoded)) {
    const at = `${path}.${metric}`;
    if (typeof raw === 'number') {
      metrics.push({ metric, value: raw, unit: '' });
    } else if (typeof raw === 'boolean') {
      metrics.push({ metric, value: raw ? 1 : 0, unit: '' });
    } else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'value' in raw) {
      const { value, unit } = raw as { value: unknown; unit?: unknown };
      if (typeof value !== 'number')
        return malformed(`${at}.value: must be a number, got ${typeName(value)}`);
      if (unit !== undefined && typeof unit !== 'string')
        return malformed(`${at}.unit: must be a UCUM unit code string, got ${typeName(unit)}`);
      metrics.push({ metric, value, unit: unit ?? '' });
    } else {
      ignored.push(at);
    }
  }
  // Only non-metrics (e.g. `{ "error": "unknown frame" }`): the codec's output is unusable.
  if (metrics.length === 0 && ignored.length > 0) {
    return malformed(
      `${path}: no numeric property to read (${ignored.slice(0, 5).join(', ')} are not numbers or { value, unit })`,
    );
  }
  return { ok: true, metrics, ignored };
}

const typeName = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;

/** A short, stable id for a delivery without one of its own. */
export function hashId(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(part);
    hash.update('\u0000');
  }
  return hash.digest('hex').slice(0, 32);
}

/** Builds a Reading the way every edge does: canonical unit when empty, source and channel set. */
export function edgeReading(fields: {
  deviceId: string;
  metric: string;
  value: number;
  unit: string;
  observedAt: Date;
  sequence: bigint;
  source: string;
  channel?: string | undefined;
}): Reading {
  return Reading.fromPartial({
    deviceId: fields.deviceId,
    metric: fields.metric,
    value: fields.value,
    unit: fields.unit,
    observedAt: fields.observedAt,
    sequence: fields.sequence,
    source: fields.source,
    channel: fields.channel,
  });
}

/**
 * The levels an MQTT topic matched at the filter's wildcards (`+` one level each, `#` the
 * rest joined), or undefined when it does not match. A shared-subscription prefix
 * (`$share/<group>/`) on the filter is ignored.
 */
export function matchTopic(filter: string, topic: string): string[] | undefined {
  const pattern = filter.replace(/^\$share\/[^/]+\//, '').split('/');
  const levels = topic.split('/');
  const captured: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '#') {
      captured.push(levels.slice(i).join('/'));
      return captured;
    }
    const level = levels[i];
    if (level === undefined) return undefined;
    if (p === '+') captured.push(level);
    else if (p !== level) return undefined;
  }
  return levels.length === pattern.length ? captured : undefined;
}

/** What became of one delivery once it is durable. */
export type DeliveryOutcome =
  | { kind: 'accepted'; deviceId: string; count: number }
  | { kind: 'rejected'; reason: RejectionReason; detail: string; quarantineId: string };

/**
 * Makes a parsed delivery durable: its readings submitted to the intake, or its rejection
 * published for the quarantine (with the raw payload, up to 4 KiB, for diagnosis and replay).
 * Resolves only once JetStream stored it; throws IntakeFullError or a bus error otherwise.
 */
export async function deliver(
  intake: Intake,
  source: string,
  parsed: EdgeParseResult,
  payload: Uint8Array | undefined,
): Promise<DeliveryOutcome> {
  if (parsed.ok) {
    if (parsed.readings.length > 0) await intake.submit(source, parsed.batchId, parsed.readings);
    return { kind: 'accepted', deviceId: parsed.deviceId, count: parsed.readings.length };
  }
  const quarantineId = await intake.reject({
    reason: parsed.reason,
    detail: parsed.detail,
    source,
    deviceId: parsed.deviceId,
    payload: payload?.subarray(0, MAX_QUARANTINED_PAYLOAD_BYTES),
  });
  return { kind: 'rejected', reason: parsed.reason, detail: parsed.detail, quarantineId };
}

/** The edges' counters, created once per metrics registry (several edges share them). */
export interface EdgeMetrics {
  /** Deliveries by edge and outcome (`accepted`, a rejection reason token, `ignored`, `retry`). */
  deliveries: ReturnType<Metrics['counter']>;
  /** Readings handed to the intake, by edge. */
  readings: ReturnType<Metrics['counter']>;
  /** 1 while the MQTT edge is connected and subscribed. */
  mqttConnected: ReturnType<Metrics['gauge']>;
}

const edgeMetricsCache = new WeakMap<Metrics, EdgeMetrics>();

export function edgeMetrics(metrics: Metrics): EdgeMetrics {
  let m = edgeMetricsCache.get(metrics);
  if (!m) {
    m = {
      deliveries: metrics.counter(
        'edge_deliveries_total',
        'Payloads received at the edges (MQTT, webhooks, gRPC), by edge and outcome.',
        ['edge', 'outcome'],
      ),
      readings: metrics.counter(
        'edge_readings_total',
        'Readings the edges handed to the intake stream, by edge.',
        ['edge'],
      ),
      mqttConnected: metrics.gauge(
        'edge_mqtt_connected',
        '1 while the MQTT edge is connected to the broker and subscribed, else 0.',
      ),
    };
    edgeMetricsCache.set(metrics, m);
  }
  return m;
}

/**
 * The readings of one LoRaWAN uplink, as ChirpStack and The Things Stack both deliver it: the
 * network server's decoded payload, one reading per metric, the frame counter as sequence and
 * the port as channel. Port 0 carries only MAC commands (nothing to measure); a missing decoded
 * payload on an application port means no codec is configured, which an operator must fix.
 */
export function lorawanUplinkReadings(uplink: {
  deviceId: string;
  batchId: string;
  decoded: Record<string, unknown> | undefined;
  /** JSON path of the decoded payload, for error messages. */
  decodedPath: string;
  /** What to do when it is missing, for the operator. */
  missingDecodedHint: string;
  observedAt: Date;
  fCnt: number;
  fPort: number;
  source: string;
}): EdgeParseResult {
  const { deviceId, batchId, fPort } = uplink;
  if (!uplink.decoded) {
    if (fPort === 0) return { ok: true, deviceId, batchId, readings: [], ignored: [] };
    return {
      ...malformed(`${uplink.decodedPath}: required; ${uplink.missingDecodedHint}`),
      deviceId,
    };
  }
  const decoded = decodedMetrics(uplink.decoded, uplink.decodedPath);
  if (!decoded.ok) return { ...decoded, deviceId };
  const readings = decoded.metrics.map((m) =>
    edgeReading({
      deviceId,
      metric: m.metric,
      value: m.value,
      unit: m.unit,
      observedAt: uplink.observedAt,
      sequence: BigInt(uplink.fCnt),
      source: uplink.source,
      channel: String(fPort),
    }),
  );
  return { ok: true, deviceId, batchId, readings, ignored: decoded.ignored };
}

// Slimstad's own JSON format for devices and simple adapters that publish to the city's MQTT
// broker on `slimstad/readings/<deviceId>`: a list of readings, or one reading. Pure: no I/O.
//
//   { "messageId": "wl-001-8812",
//     "readings": [{ "metric": "water_level", "value": 2.31, "unit": "m",
//                    "observedAt": "2026-11-22T10:00:00Z", "sequence": 42 }] }
//
// The device is the registry id in the topic (the broker's ACL decides who may publish there).
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { z } from 'zod';
import type { DeviceDirectory } from '../domain/device.js';
import {
  describeZodError,
  type EdgeParseResult,
  edgeReading,
  expected,
  hashId,
  isoTime,
  malformed,
  parseJson,
} from './common.js';

/** `Reading.source` and intake subject token of readings in the plain JSON format over MQTT. */
export const PLAIN_JSON_SOURCE = 'mqtt';

/** Readings per message, as for IngestService.PushReadings. */
export const MAX_PLAIN_JSON_READINGS = 1000;

const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SEQUENCE = 'must be a non-negative integer (or a string of digits)';

const readingSchema = z.object({
  metric: z
    .string(expected('a string', 'the metric name as registered, e.g. water_level'))
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters'),
  value: z.number(expected('a number', 'the measured value')),
  unit: z.string(expected('a string', 'a UCUM unit code, e.g. m or Cel')).optional(),
  observedAt: isoTime('when the device measured the value'),
  // A string for counters beyond 2^53, which JSON numbers cannot carry exactly.
  sequence: z
    .union(
      [
        z
          .number()
          .int({ error: SEQUENCE })
          .nonnegative({ error: SEQUENCE })
          .max(Number.MAX_SAFE_INTEGER, { error: `${SEQUENCE}; beyond 2^53 send it as text` }),
        z.string().regex(/^\d{1,20}$/, { error: SEQUENCE }),
      ],
      { error: SEQUENCE },
    )
    .optional(),
  channel: z
    .string(expected('a string', 'a sub-channel, e.g. in or out'))
    .max(64, 'must be at most 64 characters')
    .optional(),
});

const messageId = z
  .string(expected('a string', 'unique per message of this device'))
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .optional();

const batchSchema = z.object({
  messageId,
  readings: z
    .array(readingSchema, expected('an array', 'the readings'))
    .min(1, 'must hold at least one reading')
    .max(MAX_PLAIN_JSON_READINGS, `must hold at most ${MAX_PLAIN_JSON_READINGS} readings`),
});

const singleSchema = readingSchema.extend({ messageId });

export type PlainJsonReading = z.infer<typeof readingSchema>;

/**
 * Parses a plain JSON message of device `deviceId` (taken from the topic). The batch id is
 * the device id with `messageId`, or a hash of device id and body when there is none — so a
 * redelivered message is stored once, and so is an identical message sent twice within the
 * intake's duplicate window (give each message a messageId or an observedAt of its own).
 */
export function parsePlainJson(
  deviceId: string,
  payload: Uint8Array | string,
  directory: DeviceDirectory,
): EdgeParseResult {
  if (!DEVICE_ID.test(deviceId)) {
    return malformed(
      `topic: the device id ${JSON.stringify(deviceId.slice(0, 80))} must be 1-64 characters of [A-Za-z0-9_-]`,
    );
  }
  const json = parseJson(payload);
  if (!json.ok) return { ...json, deviceId };
  const value = json.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ...malformed('(body): must be a JSON object: { "readings": [...] } or one reading'),
      deviceId,
    };
  }
  let message: z.infer<typeof batchSchema>;
  if ('readings' in value) {
    const parsed = batchSchema.safeParse(value);
    if (!parsed.success) return { ...malformed(describeZodError(parsed.error)), deviceId };
    message = parsed.data;
  } else {
    const parsed = singleSchema.safeParse(value);
    if (!parsed.success) return { ...malformed(describeZodError(parsed.error)), deviceId };
    message = toBatch(parsed.data);
  }

  const device = directory.byId(deviceId);
  if (!device) {
    return {
      ok: false,
      reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
      detail: `no device ${deviceId} is registered (topic device id)`,
      deviceId,
    };
  }
  const readings = message.readings.map((r) =>
    edgeReading({
      deviceId: device.id,
      metric: r.metric,
      value: r.value,
      unit: r.unit ?? '',
      observedAt: r.observedAt,
      sequence: BigInt(r.sequence ?? 0),
      source: PLAIN_JSON_SOURCE,
      channel: r.channel,
    }),
  );
  const raw = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const batchId = message.messageId ? `${device.id}:${message.messageId}` : hashId(device.id, raw);
  return { ok: true, deviceId: device.id, batchId, readings, ignored: [] };
}

function toBatch(single: z.infer<typeof singleSchema>): z.infer<typeof batchSchema> {
  const { messageId: id, ...reading } = single;
  return { messageId: id, readings: [reading] };
}

// ChirpStack v4 uplink events (the `up` event of its MQTT and HTTP integrations, JSON
// marshaler) turned into readings: one per metric of the decoded payload (`object`), the
// device found by its DevEUI. Pure: no I/O, the caller submits or rejects the result.
// Event format: https://www.chirpstack.io/docs/chirpstack/integrations/events.html
import { NetworkKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { z } from 'zod';
import type { DeviceDirectory } from '../domain/device.js';
import {
  describeZodError,
  deviceByDevEui,
  type EdgeParseResult,
  expected,
  isoTime,
  lorawanUplinkReadings,
  malformed,
  normalizeDevEui,
  parseJson,
  uint,
} from './common.js';

/** `Reading.source` and intake subject token of readings from ChirpStack (MQTT or HTTP). */
export const CHIRPSTACK_SOURCE = 'chirpstack';

const uplinkSchema = z.object({
  deduplicationId: z
    .string(expected('a string', 'the uplink id ChirpStack assigns after deduplication'))
    .min(1, 'must not be empty'),
  time: isoTime('when ChirpStack received the uplink'),
  deviceInfo: z.object(
    {
      devEui: z.string(expected('a string', 'the device EUI (16 hex digits)')),
      deviceName: z.string(expected('a string', 'the device name')).optional(),
    },
    expected('an object', 'the device identity'),
  ),
  // Protobuf JSON leaves out zero values: a missing fCnt is frame 0, a missing fPort port 0.
  fCnt: uint('the uplink frame counter').optional(),
  fPort: uint('the LoRaWAN port').optional(),
  object: z
    .record(z.string(), z.unknown(), {
      error: 'must be an object, the payload decoded by the device profile codec',
    })
    .optional(),
});

export type ChirpstackUplink = z.infer<typeof uplinkSchema>;

/**
 * Parses one ChirpStack uplink event. Each property of `object` becomes a reading (see
 * `decodedMetrics`); observed_at is `time`, sequence `fCnt`, channel `fPort`, and the batch
 * id `deduplicationId`, identical whether the event came over MQTT or HTTP.
 *
 * @example
 * const result = parseChirpstackUplink(message, directory);
 * if (result.ok) await intake.submit(CHIRPSTACK_SOURCE, result.batchId, result.readings);
 */
export function parseChirpstackUplink(
  payload: Uint8Array | string,
  directory: DeviceDirectory,
): EdgeParseResult {
  const json = parseJson(payload);
  return json.ok ? parseChirpstackUplinkValue(json.value, directory) : json;
}

/** As parseChirpstackUplink, for an event already parsed from JSON. */
export function parseChirpstackUplinkValue(
  value: unknown,
  directory: DeviceDirectory,
): EdgeParseResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return malformed('(body): must be a JSON object, a ChirpStack uplink event');
  }
  const parsed = uplinkSchema.safeParse(value);
  if (!parsed.success) return malformed(describeZodError(parsed.error));
  const uplink = parsed.data;

  const devEui = normalizeDevEui(uplink.deviceInfo.devEui);
  if (!devEui) {
    return malformed(
      `deviceInfo.devEui: must be 16 hex digits, got ${JSON.stringify(uplink.deviceInfo.devEui.slice(0, 40))}`,
    );
  }
  const device = deviceByDevEui(directory, NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK, devEui);
  if (!device) {
    const name = uplink.deviceInfo.deviceName ? ` (${uplink.deviceInfo.deviceName})` : '';
    return {
      ok: false,
      reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
      detail: `no device with DevEUI ${devEui}${name} is registered on ChirpStack`,
    };
  }

  const fPort = uplink.fPort ?? 0;
  return lorawanUplinkReadings({
    deviceId: device.id,
    batchId: uplink.deduplicationId,
    decoded: uplink.object,
    decodedPath: 'object',
    missingDecodedHint: 'configure a payload codec in the device profile',
    observedAt: uplink.time,
    fCnt: uplink.fCnt ?? 0,
    fPort,
    source: CHIRPSTACK_SOURCE,
  });
}

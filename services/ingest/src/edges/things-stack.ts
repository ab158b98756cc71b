// The Things Stack v3 uplink messages (webhook or MQTT integration, JSON) turned into
// readings: one per metric of `uplink_message.decoded_payload`, the device found by its
// DevEUI (or, when TTS sends none, its TTS device id). Pure: no I/O.
// Message format: https://www.thethingsindustries.com/docs/integrations/data-formats/
import { NetworkKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { z } from 'zod';
import type { DeviceDirectory } from '../domain/device.js';
import {
  describeZodError,
  deviceByDevEui,
  type EdgeParseResult,
  expected,
  hashId,
  isoTime,
  lorawanUplinkReadings,
  malformed,
  normalizeDevEui,
  parseJson,
  uint,
} from './common.js';

/** `Reading.source` and intake subject token of readings from The Things Stack. */
export const TTS_SOURCE = 'tts';

/**
 * Top-level keys of the other TTS message types (join accept, downlink events, location,
 * service data): a webhook that receives one of these has nothing to ingest.
 */
export const TTS_NON_UPLINK_KEYS = [
  'join_accept',
  'downlink_ack',
  'downlink_nack',
  'downlink_sent',
  'downlink_failed',
  'downlink_queued',
  'downlink_queue_invalidated',
  'location_solved',
  'service_data',
  'normalized_uplink',
] as const;

const uplinkSchema = z.object({
  end_device_ids: z.object(
    {
      device_id: z
        .string(expected('a string', 'the device id in The Things Stack'))
        .min(1, 'must not be empty'),
      dev_eui: z.string(expected('a string', 'the device EUI (16 hex digits)')).optional(),
    },
    expected('an object', 'the device identity'),
  ),
  correlation_ids: z.array(z.string()).optional(),
  received_at: isoTime('when the application server handled the uplink').optional(),
  uplink_message: z.object(
    {
      // Protobuf JSON leaves out zero values: a missing f_cnt is frame 0, a missing f_port port 0.
      f_cnt: uint('the uplink frame counter').optional(),
      f_port: uint('the LoRaWAN port').optional(),
      decoded_payload: z
        .record(z.string(), z.unknown(), {
          error: 'must be an object, the payload decoded by the uplink payload formatter',
        })
        .optional(),
      received_at: isoTime('when the network server received the uplink').optional(),
    },
    expected('an object', 'the uplink (other message types carry no readings)'),
  ),
});

export type TtsUplink = z.infer<typeof uplinkSchema>;

/** True when the message is another TTS message type than an uplink (nothing to ingest). */
export function isTtsNonUplink(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !('uplink_message' in value) &&
    TTS_NON_UPLINK_KEYS.some((key) => key in value)
  );
}

/**
 * Parses one TTS uplink message. observed_at is `uplink_message.received_at` (the network
 * server's receive time; the top-level `received_at` when absent), sequence `f_cnt`, channel
 * `f_port`; the batch id is a hash of DevEUI, frame counter and that time, so a webhook retry
 * or the same uplink over MQTT is stored once.
 */
export function parseTtsUplink(
  payload: Uint8Array | string,
  directory: DeviceDirectory,
): EdgeParseResult {
  const json = parseJson(payload);
  return json.ok ? parseTtsUplinkValue(json.value, directory) : json;
}

/** As parseTtsUplink, for a message already parsed from JSON. */
export function parseTtsUplinkValue(value: unknown, directory: DeviceDirectory): EdgeParseResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return malformed('(body): must be a JSON object, a The Things Stack uplink message');
  }
  const parsed = uplinkSchema.safeParse(value);
  if (!parsed.success) return malformed(describeZodError(parsed.error));
  const message = parsed.data;
  const ids = message.end_device_ids;
  const uplink = message.uplink_message;

  const observedAt = uplink.received_at ?? message.received_at;
  if (!observedAt) {
    return malformed('uplink_message.received_at: required, when the network server received it');
  }
  let devEui: string | undefined;
  if (ids.dev_eui !== undefined) {
    devEui = normalizeDevEui(ids.dev_eui);
    if (!devEui) {
      return malformed(
        `end_device_ids.dev_eui: must be 16 hex digits, got ${JSON.stringify(ids.dev_eui.slice(0, 40))}`,
      );
    }
  }
  const device =
    (devEui && deviceByDevEui(directory, NetworkKind.NETWORK_KIND_LORAWAN_TTS, devEui)) ||
    directory.byNetworkId(NetworkKind.NETWORK_KIND_LORAWAN_TTS, ids.device_id);
  if (!device) {
    return {
      ok: false,
      reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
      detail: devEui
        ? `no device with DevEUI ${devEui} (TTS device ${ids.device_id}) is registered on The Things Stack`
        : `no device with TTS device id ${ids.device_id} is registered on The Things Stack (the uplink has no DevEUI)`,
    };
  }

  const fCnt = uplink.f_cnt ?? 0;
  const fPort = uplink.f_port ?? 0;
  const batchId = hashId(devEui ?? ids.device_id, String(fCnt), observedAt.toISOString());
  return lorawanUplinkReadings({
    deviceId: device.id,
    batchId,
    decoded: uplink.decoded_payload,
    decodedPath: 'uplink_message.decoded_payload',
    missingDecodedHint: 'set an uplink payload formatter for the device or application',
    observedAt,
    fCnt,
    fPort,
    source: TTS_SOURCE,
  });
}

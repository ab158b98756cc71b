// Turns a raw edge payload kept in the quarantine back into readings, for
// IngestService.ReplayQuarantine: e.g. an uplink refused as UNKNOWN_DEVICE parses once the
// device is registered. Only entries refused for their content (UNKNOWN_DEVICE, MALFORMED) are
// re-parsed: a BAD_SECRET entry came from an unauthenticated sender and must never become
// readings, so the caller passes the entry's reason and, without one, gets nothing back.
import { type Reading, RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { DeviceDirectory } from '../domain/device.js';
import { CHIRPSTACK_SOURCE, parseChirpstackUplink } from './chirpstack.js';
import type { EdgeParseResult } from './common.js';
import { PLAIN_JSON_SOURCE, parsePlainJson } from './plain-json.js';
import { parseTtsUplink, TTS_SOURCE } from './things-stack.js';

/** What the quarantine knows about the entry besides its payload. */
export interface ReparseContext {
  /** The entry's device id; the plain JSON format takes it from the MQTT topic, not the body. */
  deviceId?: string | undefined;
  /** The entry's reason, as enum value or JSON name; required for anything to be re-parsed. */
  reason?: RejectionReason | string | undefined;
}

const REPARSED_REASONS = new Set<RejectionReason | string>([
  RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
  RejectionReason.REJECTION_REASON_MALFORMED,
  'REJECTION_REASON_UNKNOWN_DEVICE',
  'REJECTION_REASON_MALFORMED',
]);

/**
 * @example
 * const reparse = reparseEdgePayload(directory);
 * reparse(row.source, row.payload, { deviceId: row.device_id ?? undefined, reason: row.reason });
 *
 * A parser of quarantined payloads by source (`chirpstack`, `tts`, `mqtt`); undefined when
 * the entry's reason is not one about content, the source has no parser, the payload (kept up to 4 KiB) no longer parses, the device is
 * still unknown, or it holds no readings.
 */
export function reparseEdgePayload(directory: DeviceDirectory) {
  return (
    source: string,
    payload: Uint8Array,
    context: ReparseContext = {},
  ): Reading[] | undefined => {
    if (context.reason === undefined || !REPARSED_REASONS.has(context.reason)) return undefined;
    let result: EdgeParseResult;
    switch (source) {
      case CHIRPSTACK_SOURCE:
        result = parseChirpstackUplink(payload, directory);
        break;
      case TTS_SOURCE:
        result = parseTtsUplink(payload, directory);
        break;
      case PLAIN_JSON_SOURCE:
        if (!context.deviceId) return undefined;
        result = parsePlainJson(context.deviceId, payload, directory);
        break;
      default:
        return undefined;
    }
    return result.ok && result.readings.length > 0 ? result.readings : undefined;
  };
}

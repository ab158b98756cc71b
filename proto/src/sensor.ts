// The sensor domain on the bus: streams and events of readings, device liveness and
// rejections, all emitted by the ingest service. Subjects start with `sensor.`.
import {
  DeviceChanged as DeviceChangedMessage,
  DeviceType,
  protobufPackage as sensorPackage,
} from '../gen/slimstad/sensor/v1/device.js';
import {
  DeviceCameOnline as DeviceCameOnlineMessage,
  DeviceWentOffline as DeviceWentOfflineMessage,
  Reading,
  ReadingBatch,
  ReadingRejected as ReadingRejectedMessage,
  RejectionReason,
} from '../gen/slimstad/sensor/v1/reading.js';
import { defineEvent, type EventContract, type StreamContract } from './contract.js';
import { enumToken } from './tokens.js';

const DAY = 24 * 60 * 60;

/** Accepted readings, one per message or in batches. High volume, short retention. */
export const SensorReadingsStream: StreamContract = {
  name: 'SENSOR_READINGS',
  subjects: ['sensor.reading.>', 'sensor.batch.>'],
  description:
    'Accepted sensor readings: sensor.reading.<type>.<device> and sensor.batch.<source>.',
  maxAgeSeconds: 7 * DAY,
  duplicateWindowSeconds: 120,
};

/** Device liveness: online/offline transitions. */
export const SensorDevicesStream: StreamContract = {
  name: 'SENSOR_DEVICES',
  subjects: ['sensor.device.>'],
  description:
    'Devices: sensor.device.online|offline.<device> (liveness) and sensor.device.changed.<type>.<device> (registry).',
  maxAgeSeconds: 30 * DAY,
  duplicateWindowSeconds: 120,
};

/** Readings ingest refused (and quarantined), by reason. */
export const SensorRejectionsStream: StreamContract = {
  name: 'SENSOR_REJECTIONS',
  subjects: ['sensor.rejected.>'],
  description: 'Rejected readings by reason: sensor.rejected.<reason>.',
  maxAgeSeconds: 30 * DAY,
  duplicateWindowSeconds: 120,
};

/** An accepted reading. `type` is a device-type token (see `deviceTypeToken`), `device` the device id. */
export const ReadingRecorded: EventContract<Reading, 'type' | 'device'> = defineEvent({
  messageType: `${sensorPackage}.Reading`,
  codec: Reading,
  template: 'sensor.reading.{type}.{device}',
  stream: SensorReadingsStream,
});

/** Several accepted readings from one source, for high-rate paths. `Nats-Msg-Id` is the batch id. */
export const ReadingBatchRecorded: EventContract<ReadingBatch, 'source'> = defineEvent({
  messageType: `${sensorPackage}.ReadingBatch`,
  codec: ReadingBatch,
  template: 'sensor.batch.{source}',
  stream: SensorReadingsStream,
});

/** A device reported again after being offline (or for the first time). */
export const DeviceCameOnline: EventContract<DeviceCameOnlineMessage, 'device'> = defineEvent({
  messageType: `${sensorPackage}.DeviceCameOnline`,
  codec: DeviceCameOnlineMessage,
  template: 'sensor.device.online.{device}',
  stream: SensorDevicesStream,
});

/** A device missed its expected reports. */
export const DeviceWentOffline: EventContract<DeviceWentOfflineMessage, 'device'> = defineEvent({
  messageType: `${sensorPackage}.DeviceWentOffline`,
  codec: DeviceWentOfflineMessage,
  template: 'sensor.device.offline.{device}',
  stream: SensorDevicesStream,
});

/**
 * A device was registered, changed or decommissioned; published through the registry's
 * transactional outbox. `Nats-Msg-Id` is `device:<outbox id>`.
 */
export const DeviceChanged: EventContract<DeviceChangedMessage, 'type' | 'device'> = defineEvent({
  messageType: `${sensorPackage}.DeviceChanged`,
  codec: DeviceChangedMessage,
  template: 'sensor.device.changed.{type}.{device}',
  stream: SensorDevicesStream,
});

/** A reading was refused and quarantined. `reason` is a rejection-reason token (see `rejectionReasonToken`). */
export const ReadingRejected: EventContract<ReadingRejectedMessage, 'reason'> = defineEvent({
  messageType: `${sensorPackage}.ReadingRejected`,
  codec: ReadingRejectedMessage,
  template: 'sensor.rejected.{reason}',
  stream: SensorRejectionsStream,
});

/** Every sensor stream, for declaring them at start-up. */
export const sensorStreams: readonly StreamContract[] = [
  SensorReadingsStream,
  SensorDevicesStream,
  SensorRejectionsStream,
];

/** Every sensor event, e.g. for documentation and contract tests. */
export const sensorEvents: readonly EventContract<unknown>[] = [
  ReadingRecorded,
  ReadingBatchRecorded,
  DeviceCameOnline,
  DeviceWentOffline,
  DeviceChanged,
  ReadingRejected,
];

/** The subject token of a device type: `DEVICE_TYPE_WATER_LEVEL` → `water_level`. */
export function deviceTypeToken(type: DeviceType): string {
  return enumToken(DeviceType, 'DEVICE_TYPE_', type);
}

/** The subject token of a rejection reason: `REJECTION_REASON_OUT_OF_RANGE` → `out_of_range`. */
export function rejectionReasonToken(reason: RejectionReason): string {
  return enumToken(RejectionReason, 'REJECTION_REASON_', reason);
}

/**
 * The Device fields an `UpdateDevice` mask may name (snake_case paths, in Device field order);
 * `id`, `type` and the output-only fields cannot change.
 */
export const DEVICE_UPDATE_PATHS = [
  'name',
  'location',
  'zone',
  'metrics',
  'owner_department',
  'classification',
  'expected_report_interval',
  'network',
  'labels',
] as const;
export type DeviceUpdatePath = (typeof DEVICE_UPDATE_PATHS)[number];

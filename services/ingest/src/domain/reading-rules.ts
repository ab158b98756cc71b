// The rules a reading must pass before it is stored: a known, active device; a metric the
// device declares; a unit convertible to the metric's canonical unit; a finite value inside
// the metric's range; a timestamp neither too far ahead nor too old. Each refusal names its
// reason and what exactly was wrong, for the quarantine and the operator who replays it.
import type { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { Classification } from '../store/reading.table.js';
import type { DeviceView } from './device.js';
import { classificationName, maxAgeFor } from './partitions.js';
import { convertUnit } from './units.js';

export interface ReadingLimits {
  maxFutureSkewMs: number;
  maxAgeMs: number;
  /** Retention per classification: a reading older than its classification keeps is refused. */
  retentionDays?: Record<Classification, number>;
}

export type Verdict =
  | { ok: true; reading: Reading; device: DeviceView }
  | { ok: false; reason: RejectionReason; detail: string };

const reject = (reason: RejectionReason, detail: string): Verdict => ({
  ok: false,
  reason,
  detail,
});

/** Validates and normalizes one reading (canonical unit, device type, received time). */
export function validateReading(
  reading: Reading,
  device: DeviceView | undefined,
  receivedAt: Date,
  limits: ReadingLimits,
): Verdict {
  if (!reading.deviceId)
    return reject(RejectionReason.REJECTION_REASON_MALFORMED, 'device_id is empty');
  if (!reading.metric) return reject(RejectionReason.REJECTION_REASON_MALFORMED, 'metric is empty');
  if (!reading.observedAt || Number.isNaN(reading.observedAt.getTime())) {
    return reject(RejectionReason.REJECTION_REASON_MALFORMED, 'observed_at is missing');
  }
  if (!device)
    return reject(
      RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
      `no device ${reading.deviceId} in the registry`,
    );
  if (!device.active) {
    return reject(
      RejectionReason.REJECTION_REASON_DECOMMISSIONED_DEVICE,
      `device ${device.id} is decommissioned`,
    );
  }
  const metric = device.metrics.get(reading.metric);
  if (!metric) {
    return reject(
      RejectionReason.REJECTION_REASON_UNKNOWN_METRIC,
      `device ${device.id} has no metric ${reading.metric} (it has: ${[...device.metrics.keys()].join(', ')})`,
    );
  }
  const value = convertUnit(reading.value, reading.unit, metric.unit);
  if (value === undefined) {
    return reject(
      RejectionReason.REJECTION_REASON_UNCONVERTIBLE_UNIT,
      `unit ${reading.unit} cannot be converted to ${metric.unit} for ${reading.metric}`,
    );
  }
  if (!Number.isFinite(value)) {
    return reject(
      RejectionReason.REJECTION_REASON_OUT_OF_RANGE,
      `${reading.metric} value ${reading.value} is not a finite number`,
    );
  }
  if (
    (metric.min !== undefined && value < metric.min) ||
    (metric.max !== undefined && value > metric.max)
  ) {
    return reject(
      RejectionReason.REJECTION_REASON_OUT_OF_RANGE,
      `${reading.metric} ${value} ${metric.unit} outside [${metric.min ?? '-∞'}, ${metric.max ?? '∞'}]`,
    );
  }
  const skew = reading.observedAt.getTime() - receivedAt.getTime();
  if (skew > limits.maxFutureSkewMs) {
    return reject(
      RejectionReason.REJECTION_REASON_TIMESTAMP_IN_FUTURE,
      `observed_at ${reading.observedAt.toISOString()} is ${Math.round(skew / 1000)} s ahead of the platform clock (max ${limits.maxFutureSkewMs / 1000} s)`,
    );
  }
  const maxAgeMs = limits.retentionDays
    ? maxAgeFor(classificationName(device.classification), limits.maxAgeMs, limits.retentionDays)
    : limits.maxAgeMs;
  if (-skew > maxAgeMs) {
    return reject(
      RejectionReason.REJECTION_REASON_TIMESTAMP_TOO_OLD,
      `observed_at ${reading.observedAt.toISOString()} is older than ${maxAgeMs / 3_600_000} h`,
    );
  }
  return {
    ok: true,
    device,
    reading: { ...reading, value, unit: metric.unit, receivedAt, deviceType: device.type },
  };
}

import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { Reading, RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceView } from './device.js';
import { validateReading } from './reading-rules.js';

const now = new Date('2026-11-23T12:00:00Z');
const limits = { maxFutureSkewMs: 5 * 60_000, maxAgeMs: 7 * 24 * 3600_000 };
const device: DeviceView = {
  id: 'wl-001',
  type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
  typeToken: 'water_level',
  active: true,
  zone: 'canal',
  classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
  metrics: new Map([['water_level', { unit: 'm', min: -1, max: 10 }]]),
  expectedIntervalMs: 60_000,
};
const reading = (over: Partial<Reading> = {}) =>
  Reading.fromPartial({
    deviceId: 'wl-001',
    metric: 'water_level',
    value: 2.3,
    unit: 'm',
    observedAt: new Date(now.getTime() - 1000),
    sequence: 7n,
    ...over,
  });

// Without a second argument the registered device is used; `undefined` means "not registered".
const reasonOf = (r: Reading, ...d: [DeviceView | undefined] | []) => {
  const v = validateReading(r, d.length ? d[0] : device, now, limits);
  return v.ok ? 'ok' : v.reason;
};

describe('validateReading', () => {
  it('accepts and normalizes a good reading to the canonical unit', () => {
    const v = validateReading(reading({ value: 231, unit: 'cm' }), device, now, limits);
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.reading.value).toBeCloseTo(2.31);
      expect(v.reading.unit).toBe('m');
      expect(v.reading.deviceType).toBe(DeviceType.DEVICE_TYPE_WATER_LEVEL);
      expect(v.reading.receivedAt).toEqual(now);
    }
  });

  it('names every rejection reason', () => {
    expect(reasonOf(reading(), undefined)).toBe(RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE);
    expect(reasonOf(reading(), { ...device, active: false })).toBe(
      RejectionReason.REJECTION_REASON_DECOMMISSIONED_DEVICE,
    );
    expect(reasonOf(reading({ metric: 'rain' }))).toBe(
      RejectionReason.REJECTION_REASON_UNKNOWN_METRIC,
    );
    expect(reasonOf(reading({ unit: 'kg' }))).toBe(
      RejectionReason.REJECTION_REASON_UNCONVERTIBLE_UNIT,
    );
    expect(reasonOf(reading({ value: 11 }))).toBe(RejectionReason.REJECTION_REASON_OUT_OF_RANGE);
    expect(reasonOf(reading({ value: Number.NaN }))).toBe(
      RejectionReason.REJECTION_REASON_OUT_OF_RANGE,
    );
    expect(reasonOf(reading({ observedAt: new Date(now.getTime() + 10 * 60_000) }))).toBe(
      RejectionReason.REJECTION_REASON_TIMESTAMP_IN_FUTURE,
    );
    expect(reasonOf(reading({ observedAt: new Date(now.getTime() - 8 * 24 * 3600_000) }))).toBe(
      RejectionReason.REJECTION_REASON_TIMESTAMP_TOO_OLD,
    );
    expect(reasonOf(reading({ metric: '' }))).toBe(RejectionReason.REJECTION_REASON_MALFORMED);
  });

  it('refuses a reading older than its classification is kept, even within the lateness bound', () => {
    const personal = { ...device, classification: DataClassification.DATA_CLASSIFICATION_PERSONAL };
    const twoDaysOld = reading({ observedAt: new Date(now.getTime() - 2 * 86_400_000) });
    const withRetention = { ...limits, retentionDays: { public: 730, internal: 365, personal: 1 } };
    expect(validateReading(twoDaysOld, personal, now, withRetention)).toMatchObject({
      ok: false,
      reason: RejectionReason.REJECTION_REASON_TIMESTAMP_TOO_OLD,
    });
    expect(validateReading(twoDaysOld, device, now, withRetention).ok).toBe(true);
  });

  it('says what was wrong', () => {
    const v = validateReading(reading({ value: 11 }), device, now, limits);
    expect(v).toMatchObject({ ok: false, detail: 'water_level 11 m outside [-1, 10]' });
  });

  it('accepts exactly the values inside the range (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -100, max: 100, noNaN: true }), (value) => {
        const inside = value >= -1 && value <= 10;
        expect(reasonOf(reading({ value })) === 'ok').toBe(inside);
      }),
    );
  });
});

import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { describe, expect, it } from 'vitest';
import { device, MemoryDirectory } from '../../test/support/devices.js';
import { parsePlainJson } from './plain-json.js';

const directory = new MemoryDirectory([device('wl-001')]);
const parse = (value: unknown, deviceId = 'wl-001') =>
  parsePlainJson(deviceId, JSON.stringify(value), directory);
const reading = {
  metric: 'water_level',
  value: 2.31,
  unit: 'm',
  observedAt: '2026-11-22T10:00:00Z',
  sequence: 42,
};

describe('parsePlainJson', () => {
  it('reads a list of readings for the device named in the topic', () => {
    const result = parse({
      messageId: 'm-1',
      readings: [
        reading,
        {
          metric: 'water_level',
          value: 231,
          unit: 'cm',
          observedAt: '2026-11-22T10:01:00+01:00',
          channel: 'north',
        },
      ],
    });
    expect(result).toMatchObject({ ok: true, deviceId: 'wl-001', batchId: 'wl-001:m-1' });
    expect(result.ok && result.readings).toEqual([
      expect.objectContaining({
        deviceId: 'wl-001',
        metric: 'water_level',
        value: 2.31,
        unit: 'm',
        observedAt: new Date('2026-11-22T10:00:00Z'),
        sequence: 42n,
        source: 'mqtt',
      }),
      expect.objectContaining({
        value: 231,
        unit: 'cm',
        observedAt: new Date('2026-11-22T09:01:00Z'),
        sequence: 0n,
        channel: 'north',
      }),
    ]);
  });

  it('reads a single reading, and big sequences given as text', () => {
    const result = parse({ ...reading, unit: undefined, sequence: '18446744073709551615' });
    expect(result.ok && result.readings).toEqual([
      expect.objectContaining({ unit: '', sequence: 18446744073709551615n }),
    ]);
  });

  it('derives the batch id from device and body when there is no messageId', () => {
    const a = parse(reading);
    const b = parse(reading);
    const c = parse({ ...reading, value: 2.32 });
    expect(a.ok && a.batchId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.ok && a.batchId).toBe(b.ok && b.batchId);
    expect(a.ok && a.batchId).not.toBe(c.ok && c.batchId);
  });

  it('refuses an unknown device, keeping its id', () => {
    expect(parse(reading, 'wl-999')).toEqual({
      ok: false,
      reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
      detail: 'no device wl-999 is registered (topic device id)',
      deviceId: 'wl-999',
    });
  });

  it.each([
    ['a device id with a dot', reading, 'wl.001', 'topic: the device id "wl.001"'],
    ['no readings', { readings: [] }, 'wl-001', 'readings: must hold at least one reading'],
    ['readings that are no list', { readings: {} }, 'wl-001', 'readings: must be an array'],
    ['no metric', { ...reading, metric: undefined }, 'wl-001', 'metric: required'],
    ['a value as text', { ...reading, value: '2.31' }, 'wl-001', 'value: must be a number'],
    [
      'no time',
      { readings: [{ ...reading, observedAt: undefined }] },
      'wl-001',
      'readings[0].observedAt: required',
    ],
    [
      'a local time',
      { ...reading, observedAt: '2026-11-22 10:00' },
      'wl-001',
      'observedAt: must be an ISO 8601 time',
    ],
    [
      'a negative sequence',
      { ...reading, sequence: -1 },
      'wl-001',
      'sequence: must be a non-negative integer',
    ],
    ['an array body', [reading], 'wl-001', '(body): must be a JSON object'],
  ])('refuses a message with %s, naming the path', (_what, body, deviceId, detail) => {
    const result = parse(body, deviceId);
    expect(result).toMatchObject({ ok: false, reason: RejectionReason.REJECTION_REASON_MALFORMED });
    expect(!result.ok && result.detail).toContain(detail);
  });

  it('refuses more than 1000 readings in one message', () => {
    const result = parse({ readings: Array.from({ length: 1001 }, () => reading) });
    expect(!result.ok && result.detail).toContain('readings: must hold at most 1000 readings');
  });
});

import { NetworkKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { describe, expect, it } from 'vitest';
import { device, MemoryDirectory } from '../../test/support/devices.js';
import { reparseEdgePayload } from './reparse.js';

const directory = new MemoryDirectory([device('wl-001')]);
const reparse = reparseEdgePayload(directory);
const uplink = Buffer.from(
  JSON.stringify({
    deduplicationId: 'u-1',
    time: '2026-11-22T10:00:00Z',
    deviceInfo: { devEui: '0004a30b001c0530' },
    fCnt: 3,
    fPort: 1,
    object: { water_level: 2.1 },
  }),
);
const plain = Buffer.from(
  JSON.stringify({ metric: 'water_level', value: 1.5, observedAt: '2026-11-22T10:00:00Z' }),
);

describe('reparseEdgePayload', () => {
  it('parses a quarantined uplink once its device is registered', () => {
    const context = { reason: 'REJECTION_REASON_UNKNOWN_DEVICE' };
    expect(reparse('chirpstack', uplink, context)).toBeUndefined();
    directory.network.set(
      `${NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK}:0004a30b001c0530`,
      directory.byId('wl-001')!,
    );
    expect(reparse('chirpstack', uplink, context)).toEqual([
      expect.objectContaining({ deviceId: 'wl-001', metric: 'water_level', value: 2.1 }),
    ]);
  });

  it('takes the plain JSON device from the entry, as the topic is not in the payload', () => {
    const context = { reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE };
    expect(reparse('mqtt', plain, context)).toBeUndefined();
    expect(reparse('mqtt', plain, { ...context, deviceId: 'wl-001' })).toEqual([
      expect.objectContaining({ deviceId: 'wl-001', value: 1.5 }),
    ]);
  });

  it('never turns an unauthenticated or unexplained payload into readings', () => {
    expect(reparse('mqtt', plain, { deviceId: 'wl-001' })).toBeUndefined();
    expect(
      reparse('mqtt', plain, { deviceId: 'wl-001', reason: 'REJECTION_REASON_BAD_SECRET' }),
    ).toBeUndefined();
    expect(reparse('grpc', plain, { reason: 'REJECTION_REASON_MALFORMED' })).toBeUndefined();
  });
});

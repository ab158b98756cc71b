import { NetworkKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { describe, expect, it } from 'vitest';
import { device, MemoryDirectory } from '../../test/support/devices.js';
import { parseChirpstackUplink } from './chirpstack.js';

const CS = NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK;
const directory = new MemoryDirectory([device('wl-001'), device('bin-7')]);
directory.network.set(`${CS}:0004a30b001c0530`, directory.byId('wl-001')!);
// Registered as the registry contract spells DevEUIs: upper case.
directory.network.set(`${CS}:70B3D57ED0000001`, directory.byId('bin-7')!);

/** A ChirpStack v4 `up` event as its JSON marshaler writes it. */
function uplink(overrides: Record<string, unknown> = {}) {
  return {
    deduplicationId: '3ac7e3c4-4401-4b8d-9386-a5c902f9202d',
    time: '2026-11-22T09:34:15.775023242+00:00',
    deviceInfo: {
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      tenantName: 'Slimstad',
      applicationId: '17c82e96-be03-4f38-aef3-f83d48582d97',
      applicationName: 'water',
      deviceProfileName: 'level-sensor',
      deviceName: 'Haven Mark',
      devEui: '0004a30b001c0530',
      tags: {},
    },
    devAddr: '00189440',
    adr: true,
    dr: 1,
    fCnt: 10,
    fPort: 2,
    confirmed: false,
    data: 'qg==',
    object: { water_level: 2.31, temperature: { value: 11.5, unit: 'Cel' }, status: 'ok' },
    rxInfo: [{ gatewayId: '0016c001f153a14c', rssi: -60, snr: 10.5 }],
    txInfo: { frequency: 868100000, modulation: { lora: { bandwidth: 125000 } } },
    ...overrides,
  };
}
const parse = (value: unknown) => parseChirpstackUplink(JSON.stringify(value), directory);

describe('parseChirpstackUplink', () => {
  it('makes one reading per decoded metric, keyed by the uplink', () => {
    const result = parseChirpstackUplink(Buffer.from(JSON.stringify(uplink())), directory);
    expect(result).toMatchObject({
      ok: true,
      deviceId: 'wl-001',
      batchId: '3ac7e3c4-4401-4b8d-9386-a5c902f9202d',
      ignored: ['object.status'],
    });
    if (!result.ok) return;
    const observedAt = new Date('2026-11-22T09:34:15.775Z');
    expect(result.readings).toEqual([
      expect.objectContaining({
        deviceId: 'wl-001',
        metric: 'water_level',
        value: 2.31,
        unit: '',
        observedAt,
        sequence: 10n,
        channel: '2',
        source: 'chirpstack',
      }),
      expect.objectContaining({ metric: 'temperature', value: 11.5, unit: 'Cel', observedAt }),
    ]);
  });

  it('finds the device whatever the DevEUI spelling', () => {
    expect(
      parse(uplink({ deviceInfo: { devEui: '00-04-A3-0B-00-1C-05-30' }, object: { level: 1 } })),
    ).toMatchObject({ ok: true, deviceId: 'wl-001' });
    expect(
      parse(uplink({ deviceInfo: { devEui: '70b3d57ed0000001' }, object: { fill: 40 } })),
    ).toMatchObject({ ok: true, deviceId: 'bin-7' });
  });

  it('reads booleans as 1 and 0, and a missing frame counter as 0', () => {
    const result = parse(uplink({ fCnt: undefined, object: { occupied: true, door: false } }));
    expect(result.ok && result.readings.map((r) => [r.metric, r.value, r.sequence])).toEqual([
      ['occupied', 1, 0n],
      ['door', 0, 0n],
    ]);
  });

  it('refuses an unknown DevEUI, naming it', () => {
    const result = parse(
      uplink({ deviceInfo: { devEui: 'FFFFFFFFFFFFFFFF', deviceName: 'stray' } }),
    );
    expect(result).toEqual({
      ok: false,
      reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
      detail: 'no device with DevEUI ffffffffffffffff (stray) is registered on ChirpStack',
    });
  });

  it.each([
    ['not JSON', '{"deduplicationId":', /^\(body\): not valid JSON/],
    ['an array', '[]', /^\(body\): must be a JSON object/],
    ['an empty body', '', /^\(body\): empty payload/],
  ])('refuses a body that is %s', (_what, body, detail) => {
    const result = parseChirpstackUplink(body, directory);
    expect(result).toMatchObject({ ok: false, reason: RejectionReason.REJECTION_REASON_MALFORMED });
    expect(!result.ok && result.detail).toMatch(detail);
  });

  it.each([
    ['no uplink id', { deduplicationId: undefined }, 'deduplicationId: required'],
    ['no time', { time: undefined }, 'time: required'],
    ['a time without zone', { time: '2026-11-22T09:34:15' }, 'time: must be an ISO 8601 time'],
    ['a negative frame counter', { fCnt: -1 }, 'fCnt: must be a non-negative integer'],
    ['a frame counter as text', { fCnt: '10' }, 'fCnt: must be a non-negative integer'],
    ['a DevEUI as a number', { deviceInfo: { devEui: 42 } }, 'deviceInfo.devEui: must be a string'],
    ['no device info', { deviceInfo: undefined }, 'deviceInfo: required'],
    ['no DevEUI', { deviceInfo: { deviceName: 'x' } }, 'deviceInfo.devEui: required'],
    ['a short DevEUI', { deviceInfo: { devEui: '0004a30b' } }, 'deviceInfo.devEui: must be 16 hex'],
    ['an object that is a list', { object: [1, 2] }, 'object: must be an object'],
    [
      'a value that is text',
      { object: { water_level: { value: '2.3', unit: 'm' } } },
      'object.water_level.value: must be a number, got string',
    ],
    [
      'a unit that is a number',
      { object: { water_level: { value: 2.3, unit: 1 } } },
      'object.water_level.unit: must be a UCUM unit code string',
    ],
    ['nothing numeric', { object: { status: 'boot' } }, 'object: no numeric property'],
  ])('refuses an uplink with %s, naming the path', (_what, overrides, detail) => {
    const result = parse(uplink(overrides));
    expect(result).toMatchObject({ ok: false, reason: RejectionReason.REJECTION_REASON_MALFORMED });
    expect(!result.ok && result.detail).toContain(detail);
  });

  it('takes a frame without application data as no readings, but wants a codec on a data port', () => {
    expect(parse(uplink({ fPort: undefined, object: undefined }))).toMatchObject({
      ok: true,
      deviceId: 'wl-001',
      readings: [],
    });
    const result = parse(uplink({ object: undefined }));
    expect(result).toMatchObject({
      ok: false,
      reason: RejectionReason.REJECTION_REASON_MALFORMED,
      deviceId: 'wl-001',
    });
    expect(!result.ok && result.detail).toMatch(/^object: required.*payload codec/);
  });
});

import { NetworkKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { describe, expect, it } from 'vitest';
import { device, MemoryDirectory } from '../../test/support/devices.js';
import { isTtsNonUplink, parseTtsUplink } from './things-stack.js';

const TTS = NetworkKind.NETWORK_KIND_LORAWAN_TTS;
const directory = new MemoryDirectory([device('bin-3'), device('abp-1')]);
directory.network.set(`${TTS}:70b3d57ed0000abc`, directory.byId('bin-3')!);
directory.network.set(`${TTS}:abp-sensor-1`, directory.byId('abp-1')!);

/** A The Things Stack v3 uplink message as its webhooks send it. */
function message(
  uplink: Record<string, unknown> = {},
  ids: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
) {
  return {
    end_device_ids: {
      device_id: 'bin-sensor-3',
      application_ids: { application_id: 'waste' },
      dev_eui: '70B3D57ED0000ABC',
      join_eui: '0000000000000000',
      dev_addr: '260B1234',
      ...ids,
    },
    correlation_ids: ['as:up:01HXYZ', 'gs:uplink:01HXYZ'],
    received_at: '2026-11-22T10:00:01.412345678Z',
    uplink_message: {
      session_key_id: 'AYa1b2c3',
      f_port: 1,
      f_cnt: 3021,
      frm_payload: 'AZA=',
      decoded_payload: { fill_level: 67, battery: { value: 3600, unit: 'mV' }, firmware: '1.2' },
      rx_metadata: [{ gateway_ids: { gateway_id: 'gw-stadhuis' }, rssi: -98, snr: 7.2 }],
      settings: { data_rate: { lora: { bandwidth: 125000, spreading_factor: 9 } } },
      received_at: '2026-11-22T10:00:01.203Z',
      ...uplink,
    },
    ...top,
  };
}
const parse = (value: unknown) => parseTtsUplink(JSON.stringify(value), directory);

describe('parseTtsUplink', () => {
  it('makes one reading per decoded metric, observed when the network server received it', () => {
    const result = parse(message());
    expect(result).toMatchObject({
      ok: true,
      deviceId: 'bin-3',
      ignored: ['uplink_message.decoded_payload.firmware'],
    });
    if (!result.ok) return;
    expect(result.batchId).toMatch(/^[0-9a-f]{32}$/);
    const observedAt = new Date('2026-11-22T10:00:01.203Z');
    expect(result.readings).toEqual([
      expect.objectContaining({
        deviceId: 'bin-3',
        metric: 'fill_level',
        value: 67,
        unit: '',
        observedAt,
        sequence: 3021n,
        channel: '1',
        source: 'tts',
      }),
      expect.objectContaining({ metric: 'battery', value: 3600, unit: 'mV', observedAt }),
    ]);
  });

  it('gives the same uplink the same batch id, and another frame another one', () => {
    const id = (value: unknown) => {
      const result = parse(value);
      return result.ok ? result.batchId : undefined;
    };
    // A webhook retry carries another top-level time and correlation ids, but the same uplink.
    expect(id(message({}, {}, { received_at: '2026-11-22T10:00:09Z', correlation_ids: [] }))).toBe(
      id(message()),
    );
    expect(id(message({ f_cnt: 3022 }))).not.toBe(id(message()));
  });

  it('falls back to the TTS device id and the top-level time when the uplink lacks them', () => {
    const result = parse(
      message({ received_at: undefined }, { device_id: 'abp-sensor-1', dev_eui: undefined }),
    );
    expect(result).toMatchObject({ ok: true, deviceId: 'abp-1' });
    expect(result.ok && result.readings[0]?.observedAt).toEqual(
      new Date('2026-11-22T10:00:01.412Z'),
    );
  });

  it('refuses an unknown device, naming its DevEUI and TTS id', () => {
    expect(parse(message({}, { dev_eui: '0000000000000001', device_id: 'ghost' }))).toEqual({
      ok: false,
      reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
      detail:
        'no device with DevEUI 0000000000000001 (TTS device ghost) is registered on The Things Stack',
    });
  });

  it.each([
    ['no uplink', { uplink_message: undefined }, 'uplink_message: required'],
    ['no device ids', { end_device_ids: undefined }, 'end_device_ids: required'],
    [
      'a frame counter as text',
      { uplink_message: { f_cnt: 'x', decoded_payload: { a: 1 } } },
      'uplink_message.f_cnt: must be a non-negative integer',
    ],
    [
      'a bad DevEUI',
      { end_device_ids: { device_id: 'd', dev_eui: 'zz' } },
      'end_device_ids.dev_eui: must be 16 hex digits',
    ],
    [
      'no time at all',
      { received_at: undefined, uplink_message: { f_port: 1, decoded_payload: { a: 1 } } },
      'uplink_message.received_at: required',
    ],
    [
      'a decoded payload that is text',
      { uplink_message: { decoded_payload: 'AZA=', received_at: '2026-11-22T10:00:00Z' } },
      'uplink_message.decoded_payload: must be an object',
    ],
  ])('refuses a message with %s, naming the path', (_what, overrides, detail) => {
    const result = parse({ ...message(), ...overrides });
    expect(result).toMatchObject({ ok: false, reason: RejectionReason.REJECTION_REASON_MALFORMED });
    expect(!result.ok && result.detail).toContain(detail);
  });

  it('wants a payload formatter on a data port, and takes a MAC-only frame as no readings', () => {
    const result = parse(message({ decoded_payload: undefined }));
    expect(result).toMatchObject({ ok: false, deviceId: 'bin-3' });
    expect(!result.ok && result.detail).toMatch(/payload formatter/);
    expect(parse(message({ decoded_payload: undefined, f_port: undefined }))).toMatchObject({
      ok: true,
      readings: [],
    });
  });
});

describe('isTtsNonUplink', () => {
  it('tells other message types from uplinks', () => {
    expect(isTtsNonUplink({ end_device_ids: {}, join_accept: { session_key_id: 'x' } })).toBe(true);
    expect(isTtsNonUplink({ end_device_ids: {}, downlink_ack: {} })).toBe(true);
    expect(isTtsNonUplink(message())).toBe(false);
    expect(isTtsNonUplink({ end_device_ids: {} })).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { SimDevice } from './devices.js';
import {
  chirpstackTopic,
  chirpstackUplinkEvent,
  DEMO_APPLICATION,
  grpcReadings,
  plainJsonMessage,
  plainJsonTopic,
  ttsUplinkMessage,
  type Uplink,
} from './payloads.js';

const device = (over: Partial<SimDevice>): SimDevice => ({
  id: 'pr-sint-goriks',
  type: 'presence',
  name: 'Sint-Goriksplein - aanwezigheid',
  latitude: 51.029,
  longitude: 4.477,
  zone: 'sint-goriks',
  metrics: [{ name: 'occupied', unit: '1', min: 0, max: 1 }],
  intervalS: 60,
  network: 'lorawan_chirpstack',
  networkId: '0004A30B001C0531',
  ...over,
});
const observedAt = new Date('2026-11-22T09:34:15.775Z');
const radio = { rssi: -87, snr: 7.5 };

describe('ChirpStack v4 uplink events', () => {
  it('carry what ingest reads: devEui, time, fCnt, a data port and the decoded object', () => {
    const uplink: Uplink = {
      device: device({}),
      values: { occupied: true },
      observedAt,
      sequence: 1_795_000_000,
    };
    const event = chirpstackUplinkEvent(uplink, { deduplicationId: 'd-1', radio });
    expect(event).toMatchObject({
      deduplicationId: 'd-1',
      time: '2026-11-22T09:34:15.775Z',
      deviceInfo: {
        devEui: '0004a30b001c0531',
        deviceName: 'Sint-Goriksplein - aanwezigheid',
        applicationId: DEMO_APPLICATION.chirpstackId,
      },
      fCnt: 1_795_000_000,
      fPort: 2,
      object: { occupied: true },
      rxInfo: [{ rssi: -87, snr: 7.5 }],
    });
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });

  it('go to the integration topic, under a prefix when given', () => {
    expect(chirpstackTopic('', 'app-1', '0004A30B001C0531')).toBe(
      'application/app-1/device/0004a30b001c0531/event/up',
    );
    expect(chirpstackTopic('t1/x', 'app-1', '0004A30B001C0531')).toBe(
      't1/x/application/app-1/device/0004a30b001c0531/event/up',
    );
  });
});

describe('The Things Stack v3 uplink messages', () => {
  it('carry dev_eui, f_cnt, received_at and the decoded payload', () => {
    const bin = device({
      id: 'bin-sint-goriks',
      type: 'bin_fill',
      network: 'lorawan_tts',
      networkId: '70B3D57ED0050A05',
      metrics: [{ name: 'fill_level', unit: '%', min: 0, max: 100 }],
    });
    const message = ttsUplinkMessage(
      { device: bin, values: { fill_level: 67 }, observedAt, sequence: 3021 },
      { correlationId: 'C1', radio },
    );
    expect(message).toMatchObject({
      end_device_ids: {
        device_id: 'bin-sint-goriks',
        dev_eui: '70B3D57ED0050A05',
        application_ids: { application_id: DEMO_APPLICATION.ttsId },
      },
      correlation_ids: ['as:up:C1'],
      received_at: '2026-11-22T09:34:15.775Z',
      uplink_message: {
        f_port: 1,
        f_cnt: 3021,
        decoded_payload: { fill_level: 67 },
        received_at: '2026-11-22T09:34:15.775Z',
      },
    });
  });
});

describe('plain JSON and gRPC', () => {
  const bollard = device({
    id: 'bo-ijzerenleen',
    type: 'bollard_controller',
    network: 'mqtt',
    networkId: 'bo-ijzerenleen',
    metrics: [{ name: 'raised', unit: '1', min: 0, max: 1 }],
  });
  const uplink: Uplink = { device: bollard, values: { raised: false }, observedAt, sequence: 42 };

  it('plain JSON: one reading per metric, booleans as 0/1, the declared unit, a message id', () => {
    expect(plainJsonTopic('', 'bo-ijzerenleen')).toBe('slimstad/readings/bo-ijzerenleen');
    expect(plainJsonTopic('t9', 'bo-ijzerenleen')).toBe('t9/slimstad/readings/bo-ijzerenleen');
    expect(plainJsonMessage(uplink)).toEqual({
      messageId: 'bo-ijzerenleen-42',
      readings: [
        {
          metric: 'raised',
          value: 0,
          unit: '1',
          observedAt: '2026-11-22T09:34:15.775Z',
          sequence: 42,
        },
      ],
    });
  });

  it('gRPC: Readings with a bigint sequence, the source left to ingest', () => {
    expect(grpcReadings({ ...uplink, values: { raised: true } })).toEqual([
      expect.objectContaining({
        deviceId: 'bo-ijzerenleen',
        metric: 'raised',
        value: 1,
        unit: '1',
        observedAt,
        sequence: 42n,
        source: undefined,
      }),
    ]);
  });
});

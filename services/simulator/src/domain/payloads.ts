// What a reading looks like on each way into ingest: a ChirpStack v4 uplink event, a The
// Things Stack v3 uplink message, Slimstad's plain JSON message, a gRPC Reading. The formats
// are those of services/ingest/docs/edges.md; pure builders, the ways only send them.
import type { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { SimDevice } from './devices.js';
import type { Values } from './models.js';

/** One report of one device. */
export interface Uplink {
  device: SimDevice;
  values: Values;
  /** When it was measured: real time (ingest refuses timestamps in the future). */
  observedAt: Date;
  /** The device's frame counter (see nextSequence). */
  sequence: number;
}

/** Radio conditions of an uplink, as the gateway reports them. */
export interface Radio {
  rssi: number;
  snr: number;
}

/** The network servers' application of the demo devices. */
export const DEMO_APPLICATION = {
  /** ChirpStack application id (a UUID) and its name. */
  chirpstackId: '5d3a1c2e-8f4b-4c6d-9e0a-1b2c3d4e5f60',
  chirpstackName: 'slimstad-demo',
  /** The Things Stack application id. */
  ttsId: 'slimstad-demo',
  tenant: 'slimstad-demo',
  /** Gateway that "hears" the demo devices. */
  gatewayEui: '0016c001f153a14c',
  ttsGateway: 'slimstad-demo-gw-1',
} as const;

const withPrefix = (prefix: string, topic: string) => (prefix ? `${prefix}/${topic}` : topic);

/** `[prefix/]application/<applicationId>/device/<devEui>/event/up`, as ChirpStack publishes. */
export function chirpstackTopic(prefix: string, applicationId: string, devEui: string): string {
  return withPrefix(prefix, `application/${applicationId}/device/${devEui.toLowerCase()}/event/up`);
}

/** `[prefix/]slimstad/readings/<deviceId>`: the plain JSON topic of one device. */
export function plainJsonTopic(prefix: string, deviceId: string): string {
  return withPrefix(prefix, `slimstad/readings/${deviceId}`);
}

/** A ChirpStack v4 `up` event (JSON marshaler), the decoded payload in `object`. */
export function chirpstackUplinkEvent(
  uplink: Uplink,
  options: { deduplicationId: string; radio: Radio },
) {
  const { device } = uplink;
  return {
    deduplicationId: options.deduplicationId,
    time: uplink.observedAt.toISOString(),
    deviceInfo: {
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      tenantName: DEMO_APPLICATION.tenant,
      applicationId: DEMO_APPLICATION.chirpstackId,
      applicationName: DEMO_APPLICATION.chirpstackName,
      deviceProfileName: device.type,
      deviceName: device.name,
      devEui: device.networkId.toLowerCase(),
      tags: device.zone ? { zone: device.zone } : {},
    },
    adr: true,
    dr: 5,
    fCnt: uplink.sequence,
    fPort: 2,
    confirmed: false,
    object: uplink.values,
    rxInfo: [
      {
        gatewayId: DEMO_APPLICATION.gatewayEui,
        uplinkId: uplink.sequence % 65_536,
        rssi: options.radio.rssi,
        snr: options.radio.snr,
        location: {},
      },
    ],
    txInfo: {
      frequency: 868_100_000,
      modulation: { lora: { bandwidth: 125_000, spreadingFactor: 7, codeRate: 'CR_4_5' } },
    },
  };
}

/** A The Things Stack v3 uplink message (webhook, JSON), the decoded payload in `decoded_payload`. */
export function ttsUplinkMessage(uplink: Uplink, options: { correlationId: string; radio: Radio }) {
  const { device } = uplink;
  const received = uplink.observedAt.toISOString();
  return {
    end_device_ids: {
      device_id: device.id.toLowerCase(),
      application_ids: { application_id: DEMO_APPLICATION.ttsId },
      dev_eui: device.networkId,
    },
    correlation_ids: [`as:up:${options.correlationId}`],
    received_at: received,
    uplink_message: {
      f_port: 1,
      f_cnt: uplink.sequence,
      decoded_payload: uplink.values,
      rx_metadata: [
        {
          gateway_ids: { gateway_id: DEMO_APPLICATION.ttsGateway },
          rssi: options.radio.rssi,
          snr: options.radio.snr,
          received_at: received,
        },
      ],
      settings: {
        data_rate: { lora: { bandwidth: 125_000, spreading_factor: 9 } },
        frequency: '868300000',
      },
      received_at: received,
    },
  };
}

const numeric = (value: number | boolean) => (typeof value === 'boolean' ? (value ? 1 : 0) : value);
const unitOf = (device: SimDevice, metric: string) =>
  device.metrics.find((m) => m.name === metric)?.unit ?? '';

/** Slimstad's plain JSON message (topic `slimstad/readings/<deviceId>`), one reading per metric. */
export function plainJsonMessage(uplink: Uplink) {
  const observedAt = uplink.observedAt.toISOString();
  return {
    messageId: `${uplink.device.id}-${uplink.sequence}`,
    readings: Object.entries(uplink.values).map(([metric, value]) => ({
      metric,
      value: numeric(value),
      unit: unitOf(uplink.device, metric),
      observedAt,
      sequence: uplink.sequence,
    })),
  };
}

/** The Readings of one report, for IngestService.PushReadings (source left to ingest: `grpc`). */
export function grpcReadings(uplink: Uplink): Reading[] {
  return Object.entries(uplink.values).map(([metric, value]) => ({
    deviceId: uplink.device.id,
    metric,
    value: numeric(value),
    unit: unitOf(uplink.device, metric),
    observedAt: uplink.observedAt,
    receivedAt: undefined,
    sequence: BigInt(uplink.sequence),
    source: undefined,
    channel: undefined,
    deviceType: 0,
  }));
}

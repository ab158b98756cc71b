// The MQTT ways: ChirpStack v4 uplink events on `application/<app>/device/<devEui>/event/up`
// and plain JSON messages on `slimstad/readings/<deviceId>`, both over one connection to the
// city broker, published with QoS 1 (the broker's PUBACK is the answer).
import { randomUUID } from 'node:crypto';
import type { Logger } from '@slimstad/kit';
import mqtt, { type MqttClient } from 'mqtt';
import {
  chirpstackTopic,
  chirpstackUplinkEvent,
  DEMO_APPLICATION,
  plainJsonMessage,
  plainJsonTopic,
  type Uplink,
} from '../domain/payloads.js';
import { type SendResult, someRadio, type Way, withTimeout } from './way.js';

const PUBLISH_TIMEOUT_MS = 10_000;

export interface MqttConnection {
  client: MqttClient;
  connected(): boolean;
  close(): Promise<void>;
}

/**
 * Connects to the broker (MQTT 5) and keeps reconnecting; resolves once connected, rejects
 * when the first connection does not come up within `timeoutMs`.
 */
export async function connectMqtt(options: {
  url: string;
  clientId: string;
  log: Logger;
  timeoutMs?: number;
}): Promise<MqttConnection> {
  const client = mqtt.connect(options.url, {
    clientId: options.clientId,
    protocolVersion: 5,
    clean: true,
    reconnectPeriod: 1_000,
    connectTimeout: 5_000,
  });
  let lastError = '';
  let wasConnected = false;
  client.on('error', (error) => {
    if (error.message !== lastError) options.log.warn({ err: error }, 'MQTT connection error');
    lastError = error.message;
  });
  client.on('connect', () => {
    if (wasConnected) options.log.info('MQTT reconnected');
    wasConnected = true;
    lastError = '';
  });
  client.on('offline', () => options.log.warn('MQTT broker unreachable; reconnecting'));
  try {
    await withTimeout(
      new Promise<void>((resolve) => client.once('connect', () => resolve())),
      options.timeoutMs ?? 30_000,
      `connecting to the MQTT broker ${redact(options.url)}`,
    );
  } catch (error) {
    await client.endAsync(true);
    throw new Error(`${(error as Error).message}${lastError ? ` (${lastError})` : ''}`);
  }
  return {
    client,
    connected: () => client.connected,
    close: () => client.endAsync(),
  };
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

async function publish(connection: MqttConnection, topic: string, body: unknown) {
  if (!connection.connected()) {
    // Queued by mqtt.js until the connection is back, but the report is late: say so.
    return { ok: false, outcome: 'failed', detail: 'MQTT broker not connected' } as const;
  }
  try {
    await withTimeout(
      connection.client.publishAsync(topic, JSON.stringify(body), { qos: 1 }),
      PUBLISH_TIMEOUT_MS,
      'MQTT publish',
    );
    return { ok: true } as const;
  } catch (error) {
    return { ok: false, outcome: 'failed', detail: (error as Error).message } as const;
  }
}

/** ChirpStack's MQTT integration: one uplink event per report. */
export function chirpstackMqttWay(connection: MqttConnection, topicPrefix: string): Way {
  return {
    name: 'chirpstack',
    send: (uplink: Uplink): Promise<SendResult> =>
      publish(
        connection,
        chirpstackTopic(topicPrefix, DEMO_APPLICATION.chirpstackId, uplink.device.networkId),
        chirpstackUplinkEvent(uplink, { deduplicationId: randomUUID(), radio: someRadio() }),
      ),
    close: async () => {},
  };
}

/** Devices on the city broker publishing Slimstad's plain JSON themselves. */
export function plainJsonMqttWay(connection: MqttConnection, topicPrefix: string): Way {
  return {
    name: 'mqtt',
    send: (uplink: Uplink): Promise<SendResult> =>
      publish(connection, plainJsonTopic(topicPrefix, uplink.device.id), plainJsonMessage(uplink)),
    close: async () => {},
  };
}

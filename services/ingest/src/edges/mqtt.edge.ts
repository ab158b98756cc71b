// The MQTT edge: subscribes to the city's broker for ChirpStack uplink events and Slimstad's
// plain JSON readings, and acknowledges each message (PUBACK) only once its readings — or its
// rejection — are stored in JetStream. Until then the broker keeps the message in this
// replica's persistent session and delivers it again after a reconnect or a restart.
//
// Why MQTT 5: `customHandleAcks` (mqtt.js) holds the PUBACK back only on MQTT 5. A PUBACK
// carrying an error reason code would still end the delivery (MQTT 5.0 §4.3.2), so a message
// that cannot be stored yet is simply not acknowledged. mqtt.js handles incoming packets one
// at a time: while one waits for the intake, the next ones wait too (back-pressure down to
// the broker, whose queue for this session absorbs the burst).
import { hostname } from 'node:os';
import { rejectionReasonToken } from '@slimstad/contracts';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { CheckResult, Logger, Metrics } from '@slimstad/kit';
import { connect, type IClientOptions, type ISubscriptionGrant } from 'mqtt';
import type { DeviceDirectory } from '../domain/device.js';
import { IntakeFullError } from '../events/intake.publisher.js';
import { CHIRPSTACK_SOURCE, parseChirpstackUplink } from './chirpstack.js';
import {
  deliver,
  type EdgeParseResult,
  edgeMetrics,
  type Intake,
  malformed,
  matchTopic,
} from './common.js';
import { PLAIN_JSON_SOURCE, parsePlainJson } from './plain-json.js';

export interface MqttEdgeOptions {
  /** `mqtt://host:1883` or `mqtts://…`; credentials may ride in the URL (never logged). */
  url: string;
  /** ChirpStack integration topic filter, e.g. `application/+/device/+/event/up`. */
  chirpstackTopic: string;
  /** Plain JSON topic filter whose last wildcard level is the device id, e.g. `slimstad/readings/+`. */
  jsonTopic: string;
  /** Larger messages are rejected as OVERSIZED (and acknowledged). */
  maxPayloadBytes: number;
  directory: DeviceDirectory;
  intake: Intake;
  log: Logger;
  metrics: Metrics;
  /**
   * MQTT client id: the broker keeps one session per id, so it must be stable per replica and
   * unique across replicas. Default `slimstad-ingest-<hostname>` (stable for a StatefulSet pod).
   */
  clientId?: string;
  /** How long the broker keeps the session (and queues messages) while this replica is away. Default 1 day. */
  sessionExpirySeconds?: number;
  /**
   * With several replicas, a shared-subscription group (`$share/<group>/…`, MQTT 5) so each
   * message goes to one replica instead of all. Unset: every replica receives every message
   * (the intake's deduplication then drops the copies).
   */
  shareGroup?: string;
  /** Pause before trying again when the intake is full. Default 2 s. */
  intakeFullPauseMs?: number;
  /** Longest pause between attempts after other intake failures (doubling from 250 ms). Default 10 s. */
  maxRetryDelayMs?: number;
  /** How long start-up waits for the first subscription before going on unready. Default 10 s. */
  startupWaitMs?: number;
  /** How long stop() lets a message in progress finish before disconnecting. Default 5 s. */
  stopTimeoutMs?: number;
}

export interface MqttEdge {
  /** For readiness: ok while connected to the broker with every subscription granted. */
  ready(): CheckResult;
  /** Stops taking messages, lets the one in progress finish (and be acknowledged), disconnects. */
  stop(): Promise<void>;
  readonly clientId: string;
}

interface Route {
  edge: string;
  source: string;
  parse(topic: string, message: Buffer): EdgeParseResult;
}

/** QoS 0 messages handled at once; more are dropped (they carry no delivery guarantee). */
const MAX_QOS0_IN_FLIGHT = 256;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** The broker URL with its password hidden, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable MQTT URL)';
  }
}

/**
 * Connects to the broker and starts handling messages. Resolves once subscribed, or after
 * `startupWaitMs` with the edge unready (mqtt.js keeps reconnecting in the background).
 *
 * @example
 * const mqttEdge = await startMqttEdge({ url: config.MQTT_URL, chirpstackTopic: config.MQTT_CHIRPSTACK_TOPIC,
 *   jsonTopic: config.MQTT_JSON_TOPIC, maxPayloadBytes: config.INGEST_MAX_PAYLOAD_BYTES,
 *   directory, intake, log: runtime.log, metrics: runtime.metrics });
 * runtime.readiness.add('mqtt', mqttEdge.ready);
 * runtime.shutdown.add('mqtt edge', mqttEdge.stop);
 */
export async function startMqttEdge(options: MqttEdgeOptions): Promise<MqttEdge> {
  const clientId = options.clientId ?? `slimstad-ingest-${hostname()}`;
  const log = options.log.child({ edge: 'mqtt', mqtt_client_id: clientId });
  const m = edgeMetrics(options.metrics);
  const intakeFullPauseMs = options.intakeFullPauseMs ?? 2_000;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 10_000;
  const filters = [options.chirpstackTopic, options.jsonTopic].map((topic) =>
    options.shareGroup ? `$share/${options.shareGroup}/${topic}` : topic,
  );

  const routes: { filter: string; route: (captured: string[]) => Route }[] = [
    {
      filter: options.chirpstackTopic,
      route: () => ({
        edge: 'mqtt_chirpstack',
        source: CHIRPSTACK_SOURCE,
        parse: (_topic, message) => parseChirpstackUplink(message, options.directory),
      }),
    },
    {
      filter: options.jsonTopic,
      route: (captured) => ({
        edge: 'mqtt_json',
        source: PLAIN_JSON_SOURCE,
        parse: (topic, message) =>
          parsePlainJson(
            captured.at(-1) ?? topic.split('/').at(-1) ?? '',
            message,
            options.directory,
          ),
      }),
    },
  ];
  const routeFor = (topic: string): Route | undefined => {
    for (const { filter, route } of routes) {
      const captured = matchTopic(filter, topic);
      if (captured) return route(captured);
    }
    return undefined;
  };

  // Every lost connection starts a new generation: an acknowledgement belongs to the
  // connection that delivered the message, never to the next one (the broker resends it there).
  let generation = 0;
  let connected = false;
  let subscribed = false;
  let stopping = false;
  const stopSignal = new AbortController();
  const inFlight = new Set<Promise<unknown>>();

  /** Makes one message durable; false when abandoned (stopping, or its connection is gone). */
  async function handle(topic: string, message: Buffer, gen: number): Promise<boolean> {
    const route = routeFor(topic);
    if (!route) {
      // A subscription left in the session by an earlier configuration.
      m.deliveries.inc({ edge: 'mqtt', outcome: 'ignored' });
      log.warn({ topic }, 'message on a topic no route handles; acknowledged and dropped');
      return true;
    }
    let parsed: EdgeParseResult;
    if (message.length > options.maxPayloadBytes) {
      parsed = {
        ok: false,
        reason: RejectionReason.REJECTION_REASON_OVERSIZED,
        detail: `MQTT message of ${message.length} bytes on ${topic} exceeds the limit of ${options.maxPayloadBytes} bytes`,
      };
    } else {
      try {
        parsed = route.parse(topic, message);
      } catch (error) {
        // A parser bug must not make the broker redeliver the message forever.
        log.error({ err: error, topic }, 'payload parser failed');
        parsed = malformed(`(body): could not be parsed (${(error as Error).message})`);
      }
    }
    let delayMs = 250;
    for (;;) {
      try {
        const outcome = await deliver(options.intake, route.source, parsed, message);
        if (outcome.kind === 'accepted') {
          m.deliveries.inc({ edge: route.edge, outcome: 'accepted' });
          m.readings.inc({ edge: route.edge }, outcome.count);
          log.debug({ topic, device: outcome.deviceId, readings: outcome.count }, 'accepted');
        } else {
          m.deliveries.inc({ edge: route.edge, outcome: rejectionReasonToken(outcome.reason) });
          log.info(
            {
              topic,
              reason: rejectionReasonToken(outcome.reason),
              detail: outcome.detail,
              quarantine_id: outcome.quarantineId,
            },
            'MQTT message rejected and quarantined',
          );
        }
        return true;
      } catch (error) {
        m.deliveries.inc({ edge: route.edge, outcome: 'retry' });
        let pauseMs: number;
        if (error instanceof IntakeFullError) {
          pauseMs = intakeFullPauseMs;
          log.warn(
            { topic, pause_ms: pauseMs },
            'intake is full; message not acknowledged, pausing before trying again',
          );
        } else {
          pauseMs = delayMs;
          delayMs = Math.min(delayMs * 2, maxRetryDelayMs);
          log.error(
            { err: error, topic, pause_ms: pauseMs },
            'could not store the message; not acknowledged, trying again',
          );
        }
        await sleep(pauseMs, stopSignal.signal);
        if (stopping || gen !== generation) return false;
      }
    }
  }

  const clientOptions: IClientOptions = {
    clientId,
    protocolVersion: 5,
    clean: false,
    properties: {
      sessionExpiryInterval: options.sessionExpirySeconds ?? 86_400,
      // Messages the broker may have in flight to us unacknowledged.
      receiveMaximum: 64,
    },
    reconnectPeriod: 2_000,
    connectTimeout: 10_000,
    // We subscribe on every connection ourselves (see 'connect').
    resubscribe: false,
    customHandleAcks: (topic, message, _packet, done) => {
      // Stopping: leave it unacknowledged; the broker delivers it to the next session.
      if (stopping) return;
      const gen = generation;
      const task = handle(topic, message, gen)
        .then((durable) => {
          if (durable && gen === generation) done(0);
        })
        .catch((error: unknown) => log.error({ err: error, topic }, 'MQTT message handler failed'))
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    },
  };
  const client = connect(options.url, clientOptions);
  // QoS 0 messages (a publisher's choice; the subscription is QoS 1) have no acknowledgement
  // and cannot come back: handle them at most once, as their sender asked, with a bound.
  client.on('message', (topic, message, packet) => {
    if (packet.qos !== 0 || stopping) return;
    if (inFlight.size >= MAX_QOS0_IN_FLIGHT) {
      m.deliveries.inc({ edge: 'mqtt', outcome: 'dropped' });
      log.warn({ topic }, 'QoS 0 message dropped: too many in progress; publish with QoS 1');
      return;
    }
    const task = handle(topic, message, generation)
      .catch((error: unknown) => log.error({ err: error, topic }, 'MQTT message handler failed'))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  });

  let firstSubscription: () => void = () => {};
  const subscribedOnce = new Promise<void>((resolve) => {
    firstSubscription = resolve;
  });

  client.on('connect', (connack) => {
    connected = true;
    log.info(
      { broker: redactUrl(options.url), session_present: connack.sessionPresent },
      'MQTT edge connected',
    );
    // rh 1: retained messages only for a new subscription, not again on every reconnect.
    client.subscribe(
      Object.fromEntries(filters.map((filter) => [filter, { qos: 1 as const, rh: 1 }])),
      (error, granted) => {
        const refused = (granted ?? []).filter((g: ISubscriptionGrant) => g.qos >= 0x80);
        if (error || refused.length > 0) {
          subscribed = false;
          m.mqttConnected.set(0);
          log.error(
            {
              err: error,
              refused: refused.map((g: ISubscriptionGrant) => ({ topic: g.topic, code: g.qos })),
            },
            'MQTT broker refused a subscription: check its ACL for this client, and MQTT_CHIRPSTACK_TOPIC / MQTT_JSON_TOPIC',
          );
          return;
        }
        subscribed = true;
        m.mqttConnected.set(1);
        log.info({ topics: filters }, 'MQTT edge subscribed (QoS 1)');
        firstSubscription();
      },
    );
  });
  client.on('close', () => {
    generation++;
    if (connected && !stopping)
      log.warn({ broker: redactUrl(options.url) }, 'MQTT edge disconnected; reconnecting');
    connected = false;
    subscribed = false;
    m.mqttConnected.set(0);
  });
  client.on('error', (error) => {
    log.error(
      { err: error, broker: redactUrl(options.url) },
      'MQTT edge error: check MQTT_URL (host, port, credentials) and that the broker speaks MQTT 5',
    );
  });

  const startupWaitMs = options.startupWaitMs ?? 10_000;
  let startupTimer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([
    subscribedOnce.then(() => true),
    new Promise<false>((resolve) => {
      startupTimer = setTimeout(() => resolve(false), startupWaitMs);
    }),
  ]);
  clearTimeout(startupTimer);
  if (!waited) {
    log.warn(
      { broker: redactUrl(options.url), waited_ms: startupWaitMs },
      'MQTT edge not subscribed yet; starting unready and retrying in the background',
    );
  }

  return {
    clientId,
    ready: () =>
      connected && subscribed
        ? { ok: true }
        : {
            ok: false,
            reason: connected
              ? 'mqtt: connected but not subscribed'
              : `mqtt: not connected to ${redactUrl(options.url)}`,
          },
    async stop() {
      if (stopping) return;
      stopping = true;
      stopSignal.abort();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, options.stopTimeoutMs ?? 5_000);
        }),
      ]);
      clearTimeout(timer);
      await client.endAsync();
      m.mqttConnected.set(0);
      log.info('MQTT edge stopped');
    },
  };
}

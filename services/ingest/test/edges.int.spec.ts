// The edges on real infrastructure: Mosquitto for MQTT, real HTTP for the webhooks, a real
// gRPC stream — each delivery read back from the intake and rejection streams on real NATS,
// and the guarantee that nothing is acknowledged before JetStream stored it.
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import {
  IngestIntakeStream,
  protoFiles,
  protoRoot,
  SensorRejectionsStream,
  type StreamContract,
} from '@slimstad/contracts';
import { NetworkKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import {
  IngestServiceClient,
  IngestServiceService,
  type PushReadingsRequest,
  type PushReadingsResponse,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import {
  type Reading,
  ReadingBatch,
  ReadingRejected,
  RejectionReason,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import {
  Bus,
  connectNats,
  createClient,
  createGrpcServer,
  createLogger,
  createMetrics,
  createTokenVerifier,
  defineService,
  type GrpcServer,
  isServiceError,
  signToken,
} from '@slimstad/kit';
import { createTestNamespace, type TestNamespace } from '@slimstad/test-harness';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import { pushReadingsMethod } from '../src/api/push-readings.js';
import type { Intake } from '../src/edges/common.js';
import { type MqttEdge, type MqttEdgeOptions, startMqttEdge } from '../src/edges/mqtt.edge.js';
import { startWebhookEdge, type WebhookEdge } from '../src/edges/webhook.edge.js';
import { IntakeFullError, IntakePublisher } from '../src/events/intake.publisher.js';
import { device, MemoryDirectory } from './support/devices.js';

const MQTT_URL = 'mqtt://127.0.0.1:1883';
const MAX_PAYLOAD = 4096;
const CS = NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK;
const TTS = NetworkKind.NETWORK_KIND_LORAWAN_TTS;
const SECRETS = new Map([
  ['chirpstack', 'cs-secret-8f2b9c'],
  ['tts', 'tts-secret-41d0e7'],
]);

const logLines: string[] = [];
const log = createLogger('ingest-edges-test', 'debug', {
  write: (line: string) => void logLines.push(line),
});
const metrics = createMetrics('ingest', { defaultMetrics: false });
const directory = new MemoryDirectory([device('wl-001'), device('bin-3')]);
directory.network.set(`${CS}:0004a30b001c0530`, directory.byId('wl-001')!);
directory.network.set(`${TTS}:70b3d57ed0000abc`, directory.byId('bin-3')!);

// The bus on a NATS namespace of this file (as kit/test/support's openBus, typed against the
// kit's package entry so the Bus handed to IntakePublisher is the same declaration).
let f: { bus: Bus; ns: TestNamespace; close(): Promise<void> };
let intake: IntakePublisher;
let topicPrefix: string;
const cleanups: (() => Promise<unknown>)[] = [];
const clientIds = new Set<string>();

beforeAll(async () => {
  const natsUrl = inject('natsUrl');
  const ns = createTestNamespace(natsUrl, 'edges');
  const nc = await connectNats({ url: natsUrl, name: 'ingest-edges-test', log });
  const bus = await Bus.create(nc, { namespace: ns.namespace, log });
  f = {
    bus,
    ns,
    close: async () => {
      await bus.drain();
      await ns.cleanup();
    },
  };
  await f.bus.declareStreams(IngestIntakeStream, SensorRejectionsStream);
  intake = new IntakePublisher(f.bus);
  // Topics of this run only: Mosquitto is shared with other runs and keeps sessions on disk.
  topicPrefix = f.ns.namespace;
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  // Drop the persistent sessions the tests created from Mosquitto.
  for (const clientId of clientIds) {
    const client = await connectAsync(MQTT_URL, { clientId, clean: true, protocolVersion: 5 });
    await client.endAsync();
  }
  await f?.close();
});

// --- reading the streams back -------------------------------------------------------------

/** Every message of a stream on `subject` (contract subject, without the namespace). */
async function streamMessages(stream: StreamContract, subject: string): Promise<Uint8Array[]> {
  const name = f.bus.ns.stream(stream);
  const info = await f.bus.jsm.streams.info(name);
  const wanted = f.bus.ns.subject(subject);
  const out: Uint8Array[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const message = await f.bus.jsm.streams.getMessage(name, { seq }).catch(() => undefined);
    if (message?.subject === wanted) out.push(message.data);
  }
  return out;
}

async function intakeBatch(source: string, batchId: string): Promise<ReadingBatch> {
  return vi.waitFor(
    async () => {
      const batches = (await streamMessages(IngestIntakeStream, `ingest.intake.batch.${source}`))
        .map((data) => ReadingBatch.decode(data))
        .filter((b) => b.batchId === batchId);
      expect(batches).toHaveLength(1);
      return batches[0]!;
    },
    { timeout: 10_000, interval: 100 },
  );
}

async function rejection(
  reason: string,
  match: (r: ReadingRejected) => boolean,
): Promise<ReadingRejected> {
  return vi.waitFor(
    async () => {
      const found = (await streamMessages(SensorRejectionsStream, `sensor.rejected.${reason}`))
        .map((data) => ReadingRejected.decode(data))
        .filter(match);
      expect(found.length).toBeGreaterThan(0);
      return found[0]!;
    },
    { timeout: 10_000, interval: 100 },
  );
}

// --- payloads ------------------------------------------------------------------------------

function chirpstackUplink(devEui = '0004a30b001c0530', object: unknown = { water_level: 2.31 }) {
  return {
    deduplicationId: randomUUID(),
    time: '2026-11-22T09:34:15.775023242+00:00',
    deviceInfo: { deviceName: 'Haven Mark', devEui, applicationId: 'app-1' },
    fCnt: 10,
    fPort: 2,
    object,
    rxInfo: [{ gatewayId: '0016c001f153a14c', rssi: -60 }],
  };
}

function ttsUplink(fCnt: number) {
  return {
    end_device_ids: { device_id: 'bin-sensor-3', dev_eui: '70B3D57ED0000ABC' },
    correlation_ids: ['as:up:01HXYZ'],
    received_at: '2026-11-22T10:00:01.412Z',
    uplink_message: {
      f_port: 1,
      f_cnt: fCnt,
      decoded_payload: { fill_level: 67, battery: { value: 3600, unit: 'mV' } },
      received_at: '2026-11-22T10:00:01.203Z',
    },
  };
}

// --- MQTT ----------------------------------------------------------------------------------

async function mqttEdge(overrides: Partial<MqttEdgeOptions> = {}): Promise<MqttEdge> {
  const clientId = overrides.clientId ?? `slimstad-ingest-test-${randomUUID()}`;
  clientIds.add(clientId);
  const edge = await startMqttEdge({
    url: MQTT_URL,
    chirpstackTopic: `${topicPrefix}/application/+/device/+/event/up`,
    jsonTopic: `${topicPrefix}/slimstad/readings/+`,
    maxPayloadBytes: MAX_PAYLOAD,
    directory,
    intake,
    log,
    metrics,
    sessionExpirySeconds: 120,
    intakeFullPauseMs: 100,
    ...overrides,
    clientId,
  });
  // Stopped after each test, so no other subscriber stores a message a test expects to wait.
  onTestFinished(() => edge.stop());
  return edge;
}

let publisher: MqttClient;
async function publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 1) {
  publisher ??= await connectAsync(MQTT_URL, { protocolVersion: 5, clean: true });
  await publisher.publishAsync(`${topicPrefix}/${topic}`, payload, { qos });
}
afterAll(async () => {
  await publisher?.endAsync();
});

describe('MQTT edge', () => {
  it('turns ChirpStack uplinks and plain JSON into batches on the intake stream', async () => {
    const edge = await mqttEdge();
    expect(edge.ready()).toEqual({ ok: true });

    const uplink = chirpstackUplink('0004A30B001C0530', {
      water_level: 2.31,
      temperature: { value: 11.5, unit: 'Cel' },
    });
    await publish('application/app-1/device/0004a30b001c0530/event/up', JSON.stringify(uplink));
    const batch = await intakeBatch('chirpstack', uplink.deduplicationId);
    expect(batch.source).toBe('chirpstack');
    expect(batch.readings).toEqual([
      expect.objectContaining({
        deviceId: 'wl-001',
        metric: 'water_level',
        value: 2.31,
        unit: '',
        observedAt: new Date('2026-11-22T09:34:15.775Z'),
        sequence: 10n,
        channel: '2',
        source: 'chirpstack',
      }),
      expect.objectContaining({ metric: 'temperature', value: 11.5, unit: 'Cel' }),
    ]);

    const messageId = randomUUID();
    await publish(
      'slimstad/readings/wl-001',
      JSON.stringify({
        messageId,
        readings: [
          {
            metric: 'water_level',
            value: 2.4,
            unit: 'm',
            observedAt: '2026-11-22T10:00:00Z',
            sequence: 42,
          },
        ],
      }),
    );
    const json = await intakeBatch('mqtt', `wl-001:${messageId}`);
    expect(json.readings).toEqual([
      expect.objectContaining({
        deviceId: 'wl-001',
        metric: 'water_level',
        value: 2.4,
        unit: 'm',
        observedAt: new Date('2026-11-22T10:00:00Z'),
        sequence: 42n,
        source: 'mqtt',
      }),
    ]);

    // QoS 0 has no acknowledgement to hold back, but is handled all the same.
    const once = randomUUID();
    await publish(
      'slimstad/readings/wl-001',
      JSON.stringify({
        messageId: once,
        metric: 'water_level',
        value: 2.5,
        observedAt: '2026-11-22T10:01:00Z',
      }),
      0,
    );
    expect((await intakeBatch('mqtt', `wl-001:${once}`)).readings[0]?.value).toBe(2.5);
  });

  it('quarantines oversized, malformed and unknown-device messages with their reason', async () => {
    await mqttEdge();
    const marker = randomUUID();
    await publish(
      'slimstad/readings/wl-001',
      JSON.stringify({ marker, padding: 'x'.repeat(MAX_PAYLOAD) }),
    );
    const oversized = await rejection(
      'oversized',
      (r) => r.source === 'mqtt' && Buffer.from(r.payload).toString().includes(marker),
    );
    expect(oversized).toMatchObject({
      reason: RejectionReason.REJECTION_REASON_OVERSIZED,
      source: 'mqtt',
    });
    expect(oversized.payload.length).toBe(4096);

    await publish('slimstad/readings/wl-002', `{"readings": [ ${marker}`);
    const malformed = await rejection('malformed', (r) => r.deviceId === 'wl-002');
    expect(malformed.detail).toMatch(/^\(body\): not valid JSON/);
    expect(Buffer.from(malformed.payload).toString()).toContain(marker);

    const stray = chirpstackUplink('fffffffffffffff1');
    await publish('application/app-1/device/fffffffffffffff1/event/up', JSON.stringify(stray));
    const unknown = await rejection('unknown_device', (r) => r.detail.includes('fffffffffffffff1'));
    expect(unknown).toMatchObject({
      reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
      source: 'chirpstack',
    });
    // The payload is kept so a replay can parse it once the device is registered.
    expect(JSON.parse(Buffer.from(unknown.payload).toString())).toEqual(stray);
  });

  it('does not acknowledge a message before it is stored: the broker delivers it again', async () => {
    const clientId = `slimstad-ingest-test-${randomUUID()}`;
    const attempts: string[] = [];
    const failing: Intake = {
      submit: async (_source, batchId) => {
        attempts.push(batchId);
        throw new Error('nats: timeout');
      },
      reject: (r, at) => intake.reject(r, at),
    };
    const first = await mqttEdge({ clientId, intake: failing, maxRetryDelayMs: 50 });
    const messageId = randomUUID();
    await publish(
      'slimstad/readings/wl-001',
      JSON.stringify({
        messageId,
        metric: 'water_level',
        value: 1.1,
        observedAt: '2026-11-22T10:05:00Z',
      }),
    );
    await vi.waitFor(() => expect(attempts.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    await first.stop();

    // Same client id, so the same broker session: the unacknowledged message comes back.
    await mqttEdge({ clientId });
    const batch = await intakeBatch('mqtt', `wl-001:${messageId}`);
    expect(batch.readings[0]).toMatchObject({ deviceId: 'wl-001', value: 1.1 });
    expect(attempts.every((id) => id === `wl-001:${messageId}`)).toBe(true);
  });

  it('pauses while the intake is full and acknowledges once it took the readings', async () => {
    let full = 2;
    const flaky: Intake = {
      submit: async (source, batchId, readings) => {
        if (full-- > 0) throw new IntakeFullError(1);
        return intake.submit(source, batchId, readings);
      },
      reject: (r, at) => intake.reject(r, at),
    };
    await mqttEdge({ intake: flaky });
    const uplink = chirpstackUplink();
    await publish('application/app-1/device/0004a30b001c0530/event/up', JSON.stringify(uplink));
    await intakeBatch('chirpstack', uplink.deduplicationId);
    expect(full).toBe(-1);
    expect(logLines.some((l) => l.includes('intake is full; message not acknowledged'))).toBe(true);
    const counted = await metrics.registry.getSingleMetricAsString(
      'slimstad_ingest_edge_deliveries_total',
    );
    expect(counted).toMatch(/edge="mqtt_chirpstack",outcome="retry"[^\n]* [2-9]/);
  });

  it('reports unready while it cannot reach the broker', async () => {
    const edge = await mqttEdge({ url: 'mqtt://user:hunter2@127.0.0.1:1', startupWaitMs: 300 });
    expect(edge.ready()).toMatchObject({ ok: false });
    expect(JSON.stringify(edge.ready())).not.toContain('hunter2');
    await edge.stop();
    expect(logLines.join('\n')).not.toContain('hunter2');
  });
});

// --- webhooks ------------------------------------------------------------------------------

let webhooks: WebhookEdge;
const base = () => `http://127.0.0.1:${webhooks.port}`;
async function post(
  path: string,
  body: string,
  secret: string | undefined,
  url = base(),
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (secret !== undefined) headers.authorization = `Bearer ${secret}`;
  const response = await fetch(`${url}${path}`, { method: 'POST', headers, body });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}
const CS_SECRET = SECRETS.get('chirpstack')!;
const TTS_SECRET = SECRETS.get('tts')!;

describe('webhook edge', () => {
  beforeAll(async () => {
    webhooks = await startWebhookEdge({
      port: 0,
      host: '127.0.0.1',
      secrets: SECRETS,
      maxPayloadBytes: MAX_PAYLOAD,
      directory,
      intake,
      log,
      metrics,
    });
    cleanups.push(() => webhooks.close());
  });

  it('answers 202 once a ChirpStack or TTS uplink is on the intake stream', async () => {
    const uplink = chirpstackUplink();
    const cs = await post('/webhooks/chirpstack?event=up', JSON.stringify(uplink), CS_SECRET);
    expect(cs).toMatchObject({ status: 202, body: { accepted: 1 } });
    // Already stored when answered: no waiting needed.
    const batches = (await streamMessages(IngestIntakeStream, 'ingest.intake.batch.chirpstack'))
      .map((data) => ReadingBatch.decode(data))
      .filter((b) => b.batchId === uplink.deduplicationId);
    expect(batches).toHaveLength(1);

    const fCnt = Math.floor(Math.random() * 1e6);
    const tts = await post('/webhooks/tts', JSON.stringify(ttsUplink(fCnt)), TTS_SECRET);
    expect(tts).toMatchObject({ status: 202, body: { accepted: 2 } });
    const ttsBatches = (await streamMessages(IngestIntakeStream, 'ingest.intake.batch.tts'))
      .map((data) => ReadingBatch.decode(data))
      .filter((b) => b.readings[0]?.sequence === BigInt(fCnt));
    expect(ttsBatches).toHaveLength(1);
    expect(ttsBatches[0]!.readings.map((r: Reading) => [r.deviceId, r.metric, r.unit])).toEqual([
      ['bin-3', 'fill_level', ''],
      ['bin-3', 'battery', 'mV'],
    ]);
  });

  it('answers 204 to events that carry no readings', async () => {
    const status = await post('/webhooks/chirpstack?event=status', '{"margin": 7}', CS_SECRET);
    expect(status.status).toBe(204);
    const join = await post(
      '/webhooks/tts',
      JSON.stringify({ end_device_ids: { device_id: 'x' }, join_accept: {} }),
      TTS_SECRET,
    );
    expect(join.status).toBe(204);
  });

  it('answers 400 naming what is wrong, and quarantines the payload as MALFORMED', async () => {
    const marker = randomUUID();
    const broken = await post('/webhooks/chirpstack?event=up', `{"x": "${marker}"`, CS_SECRET);
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ error: 'MALFORMED' });
    expect(String(broken.body.detail)).toMatch(/^\(body\): not valid JSON/);
    const kept = await rejection('malformed', (r) => r.quarantineId === broken.body.quarantineId);
    expect(Buffer.from(kept.payload).toString()).toBe(`{"x": "${marker}"`);

    const shape = await post(
      '/webhooks/chirpstack?event=up',
      JSON.stringify({ ...chirpstackUplink(), deviceInfo: { devEui: 7 } }),
      CS_SECRET,
    );
    expect(shape.status).toBe(400);
    expect(shape.body.detail).toBe(
      'deviceInfo.devEui: must be a string, the device EUI (16 hex digits)',
    );
  });

  it('answers 401 to a missing or wrong secret, quarantining the payload as BAD_SECRET', async () => {
    const marker = randomUUID();
    const body = JSON.stringify({ ...chirpstackUplink(), marker });
    const missing = await post('/webhooks/chirpstack?event=up', body, undefined);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await post('/webhooks/chirpstack?event=up', body, TTS_SECRET);
    expect(wrong.status).toBe(401);
    const bad = await rejection('bad_secret', (r) => r.quarantineId === wrong.body.quarantineId);
    expect(bad).toMatchObject({ source: 'chirpstack', detail: 'chirpstack webhook: wrong secret' });
    expect(Buffer.from(bad.payload).toString()).toContain(marker);
    // No secret ever reaches the logs or the quarantine.
    expect(logLines.join('\n')).not.toContain(TTS_SECRET);
    expect(logLines.join('\n')).not.toContain(CS_SECRET);
    expect(Buffer.from(bad.payload).toString()).not.toContain(TTS_SECRET);
  });

  it('answers 413 to a body over the limit, quarantined as OVERSIZED', async () => {
    const body = JSON.stringify({ ...chirpstackUplink(), padding: 'x'.repeat(MAX_PAYLOAD) });
    const response = await post('/webhooks/tts', body, TTS_SECRET);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ error: 'OVERSIZED' });
    const kept = await rejection('oversized', (r) => r.quarantineId === response.body.quarantineId);
    expect(kept.detail).toMatch(/tts webhook: body of \d+ bytes exceeds the limit of 4096 bytes/);
  });

  it('answers 422 to an unknown device, quarantined as UNKNOWN_DEVICE for replay', async () => {
    const uplink = chirpstackUplink('0102030405060708');
    const response = await post('/webhooks/chirpstack?event=up', JSON.stringify(uplink), CS_SECRET);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      error: 'UNKNOWN_DEVICE',
      detail: 'no device with DevEUI 0102030405060708 (Haven Mark) is registered on ChirpStack',
    });
    const kept = await rejection(
      'unknown_device',
      (r) => r.quarantineId === response.body.quarantineId,
    );
    expect(JSON.parse(Buffer.from(kept.payload).toString())).toEqual(uplink);
  });

  it('answers 503 with Retry-After while the intake is full', async () => {
    const full: Intake = {
      submit: async () => {
        throw new IntakeFullError(7);
      },
      reject: (r, at) => intake.reject(r, at),
    };
    const busy = await startWebhookEdge({
      port: 0,
      host: '127.0.0.1',
      secrets: SECRETS,
      maxPayloadBytes: MAX_PAYLOAD,
      directory,
      intake: full,
      log,
      metrics,
    });
    cleanups.push(() => busy.close());
    const response = await post(
      '/webhooks/chirpstack?event=up',
      JSON.stringify(chirpstackUplink()),
      CS_SECRET,
      `http://127.0.0.1:${busy.port}`,
    );
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.body).toMatchObject({ error: 'INTAKE_FULL', retryAfterSeconds: 7 });
  });

  it('answers its health check', async () => {
    const response = await fetch(`${base()}/healthz`);
    expect(response.status).toBe(200);
  });
});

// --- gRPC ----------------------------------------------------------------------------------

const KEY = 'edges-test-secret-0123456789abcdef';

async function pushServer(pushIntake: Intake): Promise<string> {
  const server: GrpcServer = createGrpcServer({
    log,
    metrics: createMetrics('ingest-grpc-test', { defaultMetrics: false }),
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [
      defineService(IngestServiceService, {
        pushReadings: pushReadingsMethod({ directory, intake: pushIntake, log }),
        listQuarantine: { roles: ['viewer'], handle: async () => ({ entries: [] }) },
        replayQuarantine: {
          roles: ['viewer'],
          handle: async () => ({
            matchedCount: 0,
            acceptedCount: 0,
            stillRejectedCount: 0,
            notFoundCount: 0,
          }),
        },
        getLatestReadings: { roles: ['viewer'], handle: async () => ({ readings: [] }) },
        queryReadings: { roles: ['viewer'], handle: async () => ({ unit: '', buckets: [] }) },
      }),
    ],
    reflection: { protoRoot, protoFiles },
  });
  const port = await server.start(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(1_000));
  return `127.0.0.1:${port}`;
}

async function pushClient(address: string) {
  const token = await signToken({ key: KEY, subject: 'adapter-1', roles: ['operator'] });
  const client = createClient(IngestServiceClient, address, { token, deadlineMs: 20_000 });
  cleanups.push(async () => client.close());
  return client;
}

/** Writes the requests, then collects responses (with arrival times) until the server ends. */
function pushAll(
  client: IngestServiceClient,
  requests: PushReadingsRequest[],
  { end = true } = {},
): {
  call: grpc.ClientDuplexStream<PushReadingsRequest, PushReadingsResponse>;
  responses: PushReadingsResponse[];
  done: Promise<unknown>;
} {
  const call = client.pushReadings();
  const responses: PushReadingsResponse[] = [];
  const done = new Promise<unknown>((resolve) => {
    call.on('data', (response: PushReadingsResponse) => responses.push(response));
    call.on('end', () => resolve(undefined));
    call.on('error', resolve);
  });
  for (const request of requests) call.write(request);
  if (end) call.end();
  return { call, responses, done };
}

const observedAt = new Date('2026-11-22T10:10:00Z');
const pushed = (over: Partial<Reading> = {}): Reading => ({
  deviceId: 'wl-001',
  metric: 'water_level',
  value: 2.5,
  unit: 'm',
  observedAt,
  receivedAt: undefined,
  sequence: 0n,
  source: undefined,
  channel: undefined,
  deviceType: 0,
  ...over,
});

describe('gRPC PushReadings', () => {
  it('answers each request in order with per-reading results, once durable', async () => {
    const client = await pushClient(await pushServer(intake));
    const ref = randomUUID();
    const { responses, done } = pushAll(client, [
      {
        clientRef: `${ref}-a`,
        readings: [
          pushed({ value: 2.5, sequence: 1n }),
          pushed({ deviceId: 'ghost' }),
          pushed({ value: Number.NaN }),
          pushed({ observedAt: undefined }),
          pushed({ metric: '' }),
        ],
      },
      { clientRef: `${ref}-b`, readings: [pushed({ value: 2.6, sequence: 2n })] },
    ]);
    expect(await done).toBeUndefined();
    expect(
      responses.map((r) => [r.clientRef, r.requestIndex, r.acceptedCount, r.rejectedCount]),
    ).toEqual([
      [`${ref}-a`, 0n, 1, 4],
      [`${ref}-b`, 1n, 1, 0],
    ]);
    const results = responses[0]!.results;
    expect(results.map((r) => [r.index, r.accepted, r.rejectionReason, r.detail])).toEqual([
      [0, true, RejectionReason.REJECTION_REASON_UNSPECIFIED, ''],
      [
        1,
        false,
        RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
        'readings[1]: no device ghost in the registry',
      ],
      [
        2,
        false,
        RejectionReason.REJECTION_REASON_OUT_OF_RANGE,
        'readings[2].value: NaN is not a finite number',
      ],
      [3, false, RejectionReason.REJECTION_REASON_MALFORMED, 'readings[3].observed_at: required'],
      [4, false, RejectionReason.REJECTION_REASON_MALFORMED, 'readings[4].metric: required'],
    ]);
    expect(results[0]!.quarantineId).toBe('');
    for (const r of results.slice(1)) expect(r.quarantineId).toMatch(/^[0-9a-f]{32}$/);

    // Durable when answered: the accepted readings are on the intake, the others quarantined.
    const batches = (await streamMessages(IngestIntakeStream, 'ingest.intake.batch.grpc')).map(
      (data) => ReadingBatch.decode(data),
    );
    const values = batches
      .flatMap((b) => b.readings)
      .filter((r) => r.observedAt?.getTime() === observedAt.getTime());
    expect(values.map((r) => [r.value, r.source])).toEqual(
      expect.arrayContaining([
        [2.5, 'grpc'],
        [2.6, 'grpc'],
      ]),
    );
    const ghost = await rejection(
      'unknown_device',
      (r) => r.quarantineId === results[1]!.quarantineId,
    );
    expect(ghost).toMatchObject({
      source: 'grpc',
      deviceId: 'ghost',
      reading: { metric: 'water_level' },
    });
  });

  it('holds every answer until the readings are stored, and keeps request order', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const submitted: string[] = [];
    const slowFirst: Intake = {
      submit: async (source, batchId, readings) => {
        submitted.push(String(readings[0]?.value));
        if (readings[0]?.value === 1) await gate;
        return intake.submit(source, batchId, readings);
      },
      reject: (r, at) => intake.reject(r, at),
    };
    const client = await pushClient(await pushServer(slowFirst));
    const { responses, done } = pushAll(client, [
      { clientRef: 'slow', readings: [pushed({ value: 1 })] },
      { clientRef: 'fast', readings: [pushed({ value: 2 })] },
    ]);
    // Both are being stored at once, yet neither is answered while the first is not durable.
    await vi.waitFor(() => expect(submitted).toEqual(['1', '2']));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(responses).toEqual([]);
    release();
    expect(await done).toBeUndefined();
    expect(responses.map((r) => r.clientRef)).toEqual(['slow', 'fast']);
  });

  it('ends the stream with RESOURCE_EXHAUSTED when the intake is full', async () => {
    const full: Intake = {
      submit: async () => {
        throw new IntakeFullError(3);
      },
      reject: (r, at) => intake.reject(r, at),
    };
    const client = await pushClient(await pushServer(full));
    const { responses, done } = pushAll(client, [{ clientRef: 'x', readings: [pushed()] }]);
    const error = await done;
    expect(isServiceError(error)).toBe(true);
    expect(error).toMatchObject({ code: 8 }); // RESOURCE_EXHAUSTED
    expect((error as grpc.ServiceError).details).toMatch(/intake is full.*3 s/);
    expect(responses).toEqual([]);
  });
});

// One trace per reading, across real processes: ingest, lighting, bollards and alerting run as services
// with the kit's telemetry preloaded and export their spans over OTLP/gRPC to a receiver on
// loopback, as in production. This process plays the field: a NATS adapter submitting a
// presence reading, lamp controllers, a reader gateway and bollard controllers (the
// simulator's own code) and the control room's webhook, exporting its spans to the same
// receiver. Each chain is asserted parent to child, hop by hop, with the service that produced
// each span.
//
//   ingest → lighting → controller ack:
//     adapter publish → ingest intake → sensor.reading publish → lighting consumer
//     → lamp command publish → controller ack publish → lighting ack consumer
//   access request → bollards decision → command:
//     gateway publish → bollards request consumer → bollard command publish
//     → controller ack publish → bollards ack consumer
//   ingest → alerting → notification:
//     adapter publish → ingest intake → sensor.reading publish → alerting consumer (evaluation)
//     → alert.state publish (event outbox) and notification send (notification outbox)
//     → the webhook request (its traceparent)
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { connect } from '@nats-io/transport-node';
import { context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  AccessRequested,
  AlertChanged,
  BollardAcknowledged,
  BollardCommanded,
  LampAcknowledged,
  LampCommanded,
  ReadingRecorded,
  ReadingSubmitted,
  SensorReadingsStream,
} from '@slimstad/contracts';
import { Comparison, Severity } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { AlertingServiceClient } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting_service';
import { FailMode } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { BollardServiceClient } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards_service';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import { ZoneKind } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { LightingServiceClient } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting_service';
import { Device, DeviceType, NetworkKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { DeviceRegistryServiceClient } from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import {
  Bus,
  createClient,
  createLogger,
  Namespace,
  promisifyUnary,
  scaledClock,
  signToken,
  systemClock,
  tracer,
} from '@slimstad/kit';
import { createReaderGateway, startBollardFleet } from '@slimstad/simulator/bollards/index';
import { startLampFleet } from '@slimstad/simulator/lamps/index';
import { eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type City, IDENTITY_SECRET, KEY, startCity } from './support/city.js';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from './support/otlp-receiver.js';

const log = createLogger('field', 'silent');
// Lighting acts on presence only at night: its clock (and the controllers') starts at 19:00
// today, shared through one anchor; ingest accepts readings stamped on that clock.
const ANCHOR_MS = Date.now();
const NIGHT_START = `${new Date().toISOString().slice(0, 10)}T19:00:00Z`;
const nightClock = scaledClock({
  startMs: Date.parse(NIGHT_START),
  speed: 1,
  anchorRealMs: ANCHOR_MS,
});

/** The control room's webhook: alerting's notifications, with their request headers. */
const webhook: { headers: IncomingHttpHeaders; body: WebhookBody }[] = [];
interface WebhookBody {
  status: string;
  alerts: { status: string; labels: Record<string, string> }[];
}
const webhookServer = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    webhook.push({
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString()) as WebhookBody,
    });
    res.writeHead(200).end('ok');
  });
});

let receiver: OtlpReceiver;
let provider: NodeTracerProvider;
let city: City;
let bus: Bus;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'field-devices' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: receiver.endpoint }))],
  });
  provider.register();
  await new Promise<void>((r) => webhookServer.listen(0, '127.0.0.1', r));
  const webhookPort = (webhookServer.address() as { port: number }).port;
  closers.push(() => new Promise((r) => webhookServer.close(r)));
  city = await startCity('tracecity', {
    databaseUrl: inject('databaseUrl'),
    natsUrl: inject('natsUrl'),
    otlpEndpoint: receiver.endpoint,
    alerting: true,
    env: {
      lighting: { CLOCK_START: NIGHT_START, CLOCK_ANCHOR_MS: String(ANCHOR_MS) },
      ingest: { INGEST_MAX_FUTURE_SKEW_MS: String(24 * 3_600_000) },
      alerting: {
        ALERTING_RECEIVERS: JSON.stringify([
          {
            name: 'control-room',
            type: 'webhook',
            url: `http://127.0.0.1:${webhookPort}/alerts`,
            secret: 'telemetry-webhook-secret-0123456789abcdef',
          },
        ]),
        // Notified at once (group wait 0); nothing more for the rest of the file.
        ALERTING_ROUTE: JSON.stringify({
          receiver: 'control-room',
          group_by: ['alertname'],
          group_wait: 0,
          group_interval: 600_000,
          repeat_interval: 3_600_000,
        }),
        ALERTING_DISPATCH_POLL_MS: '200',
      },
    },
  });
  const nc = await connect({ servers: city.natsUrl });
  bus = await Bus.create(nc, { namespace: city.ns.namespace, log });
  closers.push(() => bus.drain());

  const token = await signToken({ key: KEY, subject: 'sre', roles: ['admin', 'bollard-operator'] });
  const client = <T extends { close(): void }>(make: () => T) => {
    const c = make();
    closers.push(async () => c.close());
    return c;
  };
  const address = (name: string) => `127.0.0.1:${city.service(name).grpcPort}`;
  const ingestApi = client(() =>
    createClient(DeviceRegistryServiceClient, address('ingest'), { token, deadlineMs: 10_000 }),
  );
  const lightingApi = client(() =>
    createClient(LightingServiceClient, address('lighting'), { token, deadlineMs: 10_000 }),
  );
  const bollardsApi = client(() =>
    createClient(BollardServiceClient, address('bollards'), { token, deadlineMs: 10_000 }),
  );
  const alertingApi = client(() =>
    createClient(AlertingServiceClient, address('alerting'), { token, deadlineMs: 10_000 }),
  );

  // The presence detector, in ingest's registry and in lighting's topology.
  await promisifyUnary(
    ingestApi,
    ingestApi.registerDevice,
  )({
    device: Device.fromPartial({
      id: 'pr-plein',
      type: DeviceType.DEVICE_TYPE_PRESENCE,
      name: 'Plein presence',
      location: { latitude: 51.0291, longitude: 4.4772 },
      zone: 'plein',
      metrics: [{ name: 'occupied', unit: '1', min: 0, max: 1 }],
      ownerDepartment: 'public-works',
      classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
      network: { kind: NetworkKind.NETWORK_KIND_NATS, networkId: 'pr-plein' },
    }),
  });
  // A water-level gauge in ingest's registry and a threshold rule on it in alerting.
  await promisifyUnary(
    ingestApi,
    ingestApi.registerDevice,
  )({
    device: Device.fromPartial({
      id: 'wl-dyle',
      type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
      name: 'Dyle gauge',
      location: { latitude: 51.0276, longitude: 4.4798 },
      zone: 'dyle',
      metrics: [{ name: 'level', unit: 'm', min: 0, max: 10 }],
      ownerDepartment: 'water',
      classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
      network: { kind: NetworkKind.NETWORK_KIND_NATS, networkId: 'wl-dyle' },
    }),
  });
  await promisifyUnary(
    alertingApi,
    alertingApi.createRule,
  )({
    rule: {
      id: 'dyle-high',
      version: 0n,
      name: 'Dyle water level high',
      enabled: true,
      severity: Severity.SEVERITY_CRITICAL,
      scope: { device: 'wl-dyle' },
      labels: {},
      annotations: { summary: 'Dyle water level high' },
      condition: {
        $case: 'threshold',
        value: {
          metric: 'level',
          comparison: Comparison.COMPARISON_ABOVE,
          value: 2.3,
          clearValue: 2.1,
        },
      },
      updatedBy: '',
    },
  });
  // Alerting's readings consumer starts at new readings: it exists before the test publishes.
  await eventually(
    () => bus.jsm.consumers.info(bus.ns.stream(SensorReadingsStream), 'alerting--readings'),
    60_000,
  );

  await promisifyUnary(
    lightingApi,
    lightingApi.createZone,
  )({
    zone: {
      id: 'plein',
      name: 'Plein',
      kind: ZoneKind.ZONE_KIND_SQUARE,
      location: { latitude: 51.0291, longitude: 4.4772 },
      timeZone: 'Europe/Brussels',
      version: 0n,
      createTime: undefined,
      updateTime: undefined,
    },
  } as never);
  await promisifyUnary(
    lightingApi,
    lightingApi.createLamp,
  )({
    lamp: {
      id: 'pl-1',
      zoneId: 'plein',
      name: 'Plein 1',
      location: { latitude: 51.0291, longitude: 4.4772 },
      ratedPowerWatts: 60,
      minLevel: 10,
      controllerId: 'lc-pl-1',
      neighbourIds: [],
      detectorIds: ['pr-plein'],
      version: 0n,
      createTime: undefined,
      updateTime: undefined,
    },
  } as never);
  const lamps = await startLampFleet({
    nc: nc as never,
    namespace: new Namespace(city.ns.namespace),
    clock: nightClock,
    lamps: [
      {
        lampId: 'pl-1',
        zoneId: 'plein',
        controllerId: 'lc-pl-1',
        ratedPowerWatts: 60,
        location: { latitude: 51.0291, longitude: 4.4772 },
      },
    ],
    feedbackEveryMs: 0,
  });
  closers.unshift(() => lamps.stop());
  // Lighting has taken the lamp (its night level commanded and acknowledged) before the test.
  await eventually(() => expect(lamps.controller('pl-1').targetLevel).toBeGreaterThan(0), 60_000);

  // A bollard and its controller.
  await promisifyUnary(
    bollardsApi,
    bollardsApi.createZone,
  )({
    zone: {
      id: 'vismarkt',
      name: 'Vismarkt',
      timeZone: 'Europe/Brussels',
      emergencyMode: false,
      emergencyReason: '',
      version: 0n,
      createTime: undefined,
      updateTime: undefined,
    },
  } as never);
  await promisifyUnary(
    bollardsApi,
    bollardsApi.createBollard,
  )({
    bollard: {
      id: 'vm-1',
      zoneId: 'vismarkt',
      name: 'Vismarkt 1',
      location: { latitude: 51.0543, longitude: 3.7174 },
      controllerId: 'bc-vm-1',
      loopId: 'loop-vm-1',
      failMode: FailMode.FAIL_MODE_SAFE,
      version: 0n,
      createTime: undefined,
      updateTime: undefined,
    },
  } as never);
  const bollards = await startBollardFleet({
    bus,
    clock: systemClock,
    bollards: [
      {
        id: 'vm-1',
        zoneId: 'vismarkt',
        controllerId: 'bc-vm-1',
        failMode: 'safe',
        lowerMs: 100,
        raiseMs: 300,
        failAfterMs: 60_000,
      },
    ],
    reportEveryMs: 0,
    tickMs: 10,
  });
  closers.unshift(() => bollards.stop());
  const listStatus = promisifyUnary(bollardsApi, bollardsApi.listBollardStatus);
  await eventually(async () => {
    const { statuses } = await listStatus({ zoneId: '', page: undefined } as never);
    expect(statuses.find((s) => s.bollardId === 'vm-1')?.loop).toBe(1); // LOOP_STATE_CLEAR
  }, 60_000);
}, 240_000);

afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
  await city?.stop();
  await provider?.shutdown();
  receiver?.close();
}, 60_000);

/**
 * Waits until the trace holds a span of each name (from the named service, where two services
 * make spans of one name), then returns them by step.
 */
async function chainOf(
  traceId: string,
  steps: Record<string, string | { service: string; name: string }>,
) {
  return eventually(() => {
    const spans = receiver.trace(traceId);
    const found: Record<string, ReceivedSpan> = {};
    for (const [step, want] of Object.entries(steps)) {
      const { service, name } = typeof want === 'string' ? { service: '', name: want } : want;
      const span = spans.find((s) => s.name === name && (!service || s.service === service));
      if (!span) {
        throw new Error(
          `no ${step} span (${service ? `${service}:` : ''}${name}) in trace ${traceId} yet; it has: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`,
        );
      }
      found[step] = span;
    }
    return found;
  }, 30_000);
}

/** The names of the spans from `span` up to the root, for messages. */
function ancestry(traceId: string, span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(receiver.trace(traceId).map((s) => [s.spanId, s]));
  const path: ReceivedSpan[] = [];
  for (let s: ReceivedSpan | undefined = span; s; s = byId.get(s.parentSpanId)) path.push(s);
  return path;
}

function expectDescendant(traceId: string, child: ReceivedSpan, ancestor: ReceivedSpan) {
  const path = ancestry(traceId, child);
  expect(
    path.some((s) => s.spanId === ancestor.spanId),
    `${child.service}:${child.name} does not descend from ${ancestor.service}:${ancestor.name}; its ancestry: ${path.map((s) => `${s.service}:${s.name}`).join(' ← ')}`,
  ).toBe(true);
}

/** Which service produced each step's span. */
const servicesOf = (steps: Record<string, ReceivedSpan>) =>
  Object.fromEntries(Object.entries(steps).map(([step, span]) => [step, span.service]));

/** The field's adapter submits a reading to ingest's intake inside a root span of its own. */
async function submitFromAdapter(
  rootName: string,
  r: { deviceId: string; metric: string; value: number; unit: string; observedAt: Date },
) {
  const root = tracer().startSpan(rootName);
  await context.with(trace.setSpan(context.active(), root), () =>
    bus.publish(
      ReadingSubmitted,
      { source: 'adapter' },
      Reading.fromPartial({ ...r, sequence: 1n }),
      { msgId: `${r.deviceId}:${r.metric}:${r.observedAt.getTime()}` },
    ),
  );
  root.end();
  return root;
}

const publish = (pattern: string) => `${pattern} publish`;
const process_ = (pattern: string) => `${pattern} process`;

describe('one trace per reading across services', () => {
  it('follows a presence reading from the adapter through ingest and lighting to the lamp controller’s ack', async () => {
    const root = await submitFromAdapter('presence detector uplink', {
      deviceId: 'pr-plein',
      metric: 'occupied',
      value: 1,
      unit: '1',
      observedAt: new Date(nightClock.now()),
    });
    const traceId = root.spanContext().traceId;
    const c = await chainOf(traceId, {
      submit: publish(ReadingSubmitted.pattern),
      intake: process_(ReadingSubmitted.pattern),
      reading: publish(ReadingRecorded.pattern),
      // Alerting consumes the reading too: lighting's span is the one this chain follows.
      detection: { service: 'lighting', name: process_(ReadingRecorded.pattern) },
      command: publish(LampCommanded.pattern),
      ack: publish(LampAcknowledged.pattern),
      ackHandled: process_(LampAcknowledged.pattern),
    });
    const s = c as Record<string, ReceivedSpan>;
    // Who produced each hop: the field, then the real service processes.
    expect(servicesOf(s)).toEqual({
      submit: 'field-devices',
      intake: 'ingest',
      reading: 'ingest',
      detection: 'lighting',
      command: 'lighting',
      ack: 'field-devices',
      ackHandled: 'lighting',
    });
    const id = (step: string) => s[step]?.spanId;
    expect(s.submit?.parentSpanId).toBe(root.spanContext().spanId);
    expect(s.intake?.parentSpanId).toBe(id('submit'));
    expectDescendant(traceId, s.reading as ReceivedSpan, s.intake as ReceivedSpan);
    expect(s.detection?.parentSpanId).toBe(id('reading'));
    expectDescendant(traceId, s.command as ReceivedSpan, s.detection as ReceivedSpan);
    expect(s.ack?.parentSpanId).toBe(id('command'));
    expect(s.ackHandled?.parentSpanId).toBe(id('ack'));
  }, 60_000);

  it('follows an access request through the bollards decision to the command and the controller’s ack', async () => {
    const gateway = createReaderGateway({ bus, secret: IDENTITY_SECRET, clock: systemClock });
    const root = tracer().startSpan('emergency dispatch at the reader');
    await context.with(trace.setSpan(context.active(), root), () =>
      gateway.requestAccess({
        zoneId: 'vismarkt',
        bollardId: 'vm-1',
        source: 'emergency_service',
        readerId: 'dispatch-112',
      }),
    );
    root.end();
    const traceId = root.spanContext().traceId;
    const s = (await chainOf(traceId, {
      request: publish(AccessRequested.pattern),
      decision: process_(AccessRequested.pattern),
      command: publish(BollardCommanded.pattern),
      ack: publish(BollardAcknowledged.pattern),
      ackHandled: process_(BollardAcknowledged.pattern),
    })) as Record<string, ReceivedSpan>;
    expect(servicesOf(s)).toEqual({
      request: 'field-devices',
      decision: 'bollards',
      command: 'bollards',
      ack: 'field-devices',
      ackHandled: 'bollards',
    });
    expect(s.request?.parentSpanId).toBe(root.spanContext().spanId);
    expect(s.decision?.parentSpanId).toBe(s.request?.spanId);
    expectDescendant(traceId, s.command as ReceivedSpan, s.decision as ReceivedSpan);
    expect(s.ack?.parentSpanId).toBe(s.command?.spanId);
    expect(s.ackHandled?.parentSpanId).toBe(s.ack?.spanId);
  }, 60_000);

  it('follows a water-level reading from the adapter through ingest and alerting to the webhook notification', async () => {
    const root = await submitFromAdapter('water-level gauge uplink', {
      deviceId: 'wl-dyle',
      metric: 'level',
      value: 2.9,
      unit: 'm',
      observedAt: new Date(),
    });
    const traceId = root.spanContext().traceId;
    const s = (await chainOf(traceId, {
      submit: publish(ReadingSubmitted.pattern),
      intake: process_(ReadingSubmitted.pattern),
      reading: publish(ReadingRecorded.pattern),
      evaluation: { service: 'alerting', name: process_(ReadingRecorded.pattern) },
      alertChanged: publish(AlertChanged.pattern),
      send: 'notification send',
    })) as Record<string, ReceivedSpan>;
    expect(servicesOf(s)).toEqual({
      submit: 'field-devices',
      intake: 'ingest',
      reading: 'ingest',
      evaluation: 'alerting',
      alertChanged: 'alerting',
      send: 'alerting',
    });
    expect(s.submit?.parentSpanId).toBe(root.spanContext().spanId);
    expect(s.intake?.parentSpanId).toBe(s.submit?.spanId);
    expectDescendant(traceId, s.reading as ReceivedSpan, s.intake as ReceivedSpan);
    expect(s.evaluation?.parentSpanId).toBe(s.reading?.spanId);
    // Both outboxes continue the evaluation's trace: the event's and the notification's.
    expectDescendant(traceId, s.alertChanged as ReceivedSpan, s.evaluation as ReceivedSpan);
    expectDescendant(traceId, s.send as ReceivedSpan, s.evaluation as ReceivedSpan);

    // The webhook got exactly one notification, for this gauge, and its request is the send
    // span's child in the same trace.
    await eventually(() => expect(webhook).toHaveLength(1), 30_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(webhook).toHaveLength(1);
    const [notification] = webhook;
    expect(notification?.body.status).toBe('firing');
    expect(notification?.body.alerts.map((a) => a.labels.device)).toEqual(['wl-dyle']);
    expect(notification?.headers.traceparent).toBe(`00-${traceId}-${s.send?.spanId}-01`);
  }, 60_000);
});

// One trace from a presence reading to the lamp's acknowledgement: the reading's publish, the
// lighting consumer that handles it, the lamp command it publishes, the controller's
// acknowledgement and lighting's handling of that acknowledgement, parent to child.
import { context, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ReadingRecorded } from '@slimstad/contracts';
import { ZoneKind } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { tracer } from '@slimstad/kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  eventually,
  type LightingFixture,
  startLightingFixture,
} from './support/lighting-fixture.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let f: LightingFixture;

beforeAll(async () => {
  provider.register();
  f = await startLightingFixture('lighting_trace', '2026-11-23T20:00:00Z');
  const admin = await f.api(['admin']);
  await admin.createZone({
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
  });
  await admin.createLamp({
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
  });
  const fleet = await f.startFleet([
    {
      lampId: 'pl-1',
      zoneId: 'plein',
      controllerId: 'lc-pl-1',
      ratedPowerWatts: 60,
      location: { latitude: 51.0291, longitude: 4.4772 },
    },
  ]);
  await eventually(() => expect(fleet.controller('pl-1').targetLevel).toBe(20));
}, 60_000);

afterAll(async () => {
  await f?.close();
  await provider.shutdown();
});

it('follows a presence reading to the command and the controller acknowledgement', async () => {
  exporter.reset();
  const root = tracer().startSpan('presence sensor uplink');
  const at = new Date(f.clock.now());
  await context.with(trace.setSpan(context.active(), root), () =>
    f.bus.publish(
      ReadingRecorded,
      { type: 'presence', device: 'pr-plein' },
      {
        deviceId: 'pr-plein',
        metric: 'occupied',
        value: 1,
        unit: '1',
        observedAt: at,
        receivedAt: at,
        sequence: 0n,
        deviceType: DeviceType.DEVICE_TYPE_PRESENCE,
      },
      { msgId: 'trace-presence-1' },
    ),
  );
  root.end();
  const traceId = root.spanContext().traceId;
  const byName = (name: string) => (span: ReadableSpan) =>
    span.name === name && span.spanContext().traceId === traceId;
  const spans = await eventually(() => {
    const all = exporter.getFinishedSpans();
    const chain = {
      readingPublish: all.find(byName('sensor.reading.*.* publish')),
      readingProcess: all.find(byName('sensor.reading.*.* process')),
      commandPublish: all.find(byName('lighting.command.*.* publish')),
      ackPublish: all.find(byName('lighting.ack.*.* publish')),
      ackProcess: all.find(byName('lighting.ack.*.* process')),
    };
    for (const [step, span] of Object.entries(chain))
      if (!span) throw new Error(`no ${step} span in the trace yet`);
    return chain as Record<keyof typeof chain, ReadableSpan>;
  }, 10_000);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  expect(parentOf(spans.readingPublish)).toBe(root.spanContext().spanId);
  expect(parentOf(spans.readingProcess)).toBe(spans.readingPublish.spanContext().spanId);
  expect(parentOf(spans.commandPublish)).toBe(spans.readingProcess.spanContext().spanId);
  expect(parentOf(spans.ackPublish)).toBe(spans.commandPublish.spanContext().spanId);
  expect(parentOf(spans.ackProcess)).toBe(spans.ackPublish.spanContext().spanId);
});

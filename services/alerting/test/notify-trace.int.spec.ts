// A notification continues the trace of the reading that changed its alert: the reading's
// consumer span → the AlertChanged publish (event outbox) and the `notification send` span
// (notification outbox: group → notification row → send), and the webhook request carries the
// send span as `traceparent`. The resolution's notification continues the clearing reading's
// trace, not the firing's: the group's trace is the latest change's and a flush clears it.
import { context, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { AlertChanged, ReadingRecorded } from '@slimstad/contracts';
import { Comparison, Severity } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { tracer } from '@slimstad/kit';
import { eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlertingFixture, startAlertingFixture } from './support/alerting-fixture.js';
import { startWebhookSink } from './support/webhook-sink.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let f: AlertingFixture;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;

beforeAll(async () => {
  provider.register();
  sink = await startWebhookSink();
  f = await startAlertingFixture('notify_trace', { webhookUrl: sink.url });
  const admin = await f.api(['admin'], 'ada');
  await admin.createRule({
    rule: {
      id: 'trace-level',
      version: 0n,
      name: 'level high',
      enabled: true,
      severity: Severity.SEVERITY_WARNING,
      scope: { device: 'wl-t' },
      labels: {},
      annotations: {},
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
});
afterAll(async () => {
  await f?.close();
  await sink?.close();
  await provider.shutdown();
});

let seq = 0n;
/** Publishes a level reading inside a new root span; resolves with that trace's id. */
async function readingInTrace(value: number): Promise<string> {
  const root = tracer().startSpan(`gauge uplink ${value}`);
  const observedAt = new Date();
  await context.with(trace.setSpan(context.active(), root), () =>
    f.bus.publish(
      ReadingRecorded,
      { type: 'water_level', device: 'wl-t' },
      {
        deviceId: 'wl-t',
        metric: 'level',
        value,
        unit: 'm',
        observedAt,
        sequence: ++seq,
        deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
      },
      { msgId: `trace-wl-t-${seq}` },
    ),
  );
  root.end();
  return root.spanContext().traceId;
}

/** The `traceparent` of a received request as trace and parent span ids. */
function traceparentOf(headers: Record<string, unknown>) {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(headers.traceparent ?? ''));
  expect(m, `traceparent header: ${String(headers.traceparent)}`).not.toBeNull();
  return { traceId: m?.[1], parentSpanId: m?.[2] };
}

function ancestors(span: ReadableSpan, all: ReadableSpan[]): string[] {
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
  const ids: string[] = [];
  for (let p = span.parentSpanContext?.spanId; p; p = byId.get(p)?.parentSpanContext?.spanId)
    ids.push(p);
  return ids;
}

async function chain(traceId: string) {
  return eventually(() => {
    const all = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const named = (name: string) => {
      const span = all.find((s) => s.name === name);
      if (!span)
        throw new Error(`no ${name} span in ${traceId} yet: ${all.map((s) => s.name).join(', ')}`);
      return span;
    };
    return {
      all,
      publish: named(`${ReadingRecorded.pattern} publish`),
      process: named(`${ReadingRecorded.pattern} process`),
      alertChanged: named(`${AlertChanged.pattern} publish`),
      send: named('notification send'),
    };
  }, 15_000);
}

describe('notification tracing', () => {
  it('continues the firing reading’s trace to the webhook, and the clearing reading’s for the resolution', async () => {
    await readingInTrace(2.0);
    const firing = await readingInTrace(2.6);
    await eventually(() => expect(sink.received).toHaveLength(1), 15_000);
    expect(sink.received[0]?.body.status).toBe('firing');
    const c = await chain(firing);
    expect(c.process.parentSpanContext?.spanId).toBe(c.publish.spanContext().spanId);
    expect(ancestors(c.alertChanged, c.all)).toContain(c.process.spanContext().spanId);
    expect(ancestors(c.send, c.all)).toContain(c.process.spanContext().spanId);
    expect(c.send.attributes['slimstad.notification.outcome']).toBe('delivered');
    // The webhook request is the send span's child, in the reading's trace.
    expect(traceparentOf(sink.received[0]?.headers ?? {})).toEqual({
      traceId: firing,
      parentSpanId: c.send.spanContext().spanId,
    });

    const clearing = await readingInTrace(2.0);
    await eventually(() => expect(sink.received).toHaveLength(2), 15_000);
    expect(sink.received[1]?.body.status).toBe('resolved');
    const r = await chain(clearing);
    expect(ancestors(r.send, r.all)).toContain(r.process.spanContext().spanId);
    expect(traceparentOf(sink.received[1]?.headers ?? {})).toEqual({
      traceId: clearing,
      parentSpanId: r.send.spanContext().spanId,
    });
    // One send span per notification: the firing's trace got no second one.
    expect(
      exporter
        .getFinishedSpans()
        .filter((s) => s.name === 'notification send' && s.spanContext().traceId === firing),
    ).toHaveLength(1);
  });
});

// One trace across a NATS hop: the consumer's span is a child of the producer's span.
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ReadingRecorded } from '@slimstad/contracts';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ack } from '../src/bus/decision.js';
import { tracer } from '../src/telemetry/tracing.js';
import { type BusFixture, openBus } from './support.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let f: BusFixture;

beforeAll(async () => {
  provider.register();
  f = await openBus('trace');
  await f.bus.declareStreams(ReadingRecorded.stream);
});
afterAll(async () => {
  await f.close();
  await provider.shutdown();
});

it('makes the span created in a consumer a child of the producer span', async () => {
  const seenInHandler: { traceId: string; spanId: string }[] = [];
  await f.bus.consume({
    event: ReadingRecorded,
    durable: 'test--trace',
    handle: () =>
      tracer().startActiveSpan('store reading', (span) => {
        seenInHandler.push({
          traceId: span.spanContext().traceId,
          spanId: span.spanContext().spanId,
        });
        span.end();
        return ack();
      }),
  });

  const root = tracer().startSpan('operator request');
  await context.with(trace.setSpan(context.active(), root), () =>
    f.bus.publish(
      ReadingRecorded,
      { type: 'noise', device: 'n-1' },
      Reading.fromPartial({ deviceId: 'n-1' }),
      {
        msgId: 'trace-1',
      },
    ),
  );
  root.end();
  await vi.waitFor(() => expect(seenInHandler).toHaveLength(1));
  await vi.waitFor(() =>
    expect(exporter.getFinishedSpans().some((s) => s.name.endsWith('process'))).toBe(true),
  );

  const spans = exporter.getFinishedSpans();
  const publish = spans.find((s) => s.name === 'sensor.reading.*.* publish')!;
  const process = spans.find((s) => s.name === 'sensor.reading.*.* process')!;
  const handler = spans.find((s) => s.name === 'store reading')!;
  const traceId = root.spanContext().traceId;
  expect(publish.spanContext().traceId).toBe(traceId);
  expect(process.spanContext().traceId).toBe(traceId);
  expect(process.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
  expect(handler.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
  expect(seenInHandler[0]!.traceId).toBe(traceId);
});

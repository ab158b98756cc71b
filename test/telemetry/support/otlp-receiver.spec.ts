// The receiver decodes what the real OTLP/gRPC exporter sends: ids, parent links, names, kinds
// and the exporting service.
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect, it } from 'vitest';
import { startOtlpReceiver } from './otlp-receiver.js';

it('decodes spans exported by the OpenTelemetry OTLP/gRPC exporter', async () => {
  const receiver = await startOtlpReceiver();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'probe-service' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: receiver.endpoint }))],
  });
  try {
    const tracer = provider.getTracer('probe');
    const parent = tracer.startSpan('parent work', { kind: SpanKind.PRODUCER });
    const { trace, context } = await import('@opentelemetry/api');
    const child = tracer.startSpan(
      'child work',
      { kind: SpanKind.CONSUMER },
      trace.setSpan(context.active(), parent),
    );
    child.end();
    parent.end();
    await provider.forceFlush();
    const traceId = parent.spanContext().traceId;
    await expect.poll(() => receiver.trace(traceId).length, { timeout: 10_000 }).toBe(2);
    const spans = receiver.trace(traceId);
    expect(spans.find((s) => s.name === 'parent work')).toEqual({
      traceId,
      spanId: parent.spanContext().spanId,
      parentSpanId: '',
      name: 'parent work',
      kind: 4, // SPAN_KIND_PRODUCER in OTLP
      service: 'probe-service',
    });
    expect(spans.find((s) => s.name === 'child work')).toMatchObject({
      spanId: child.spanContext().spanId,
      parentSpanId: parent.spanContext().spanId,
      kind: 5, // SPAN_KIND_CONSUMER
    });
  } finally {
    await provider.shutdown();
    receiver.close();
  }
});

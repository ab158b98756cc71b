// Starts the OpenTelemetry SDK once per process. Services set only their identity
// (SERVICE_NAME / OTEL_SERVICE_NAME); everything else comes from the standard OTEL_*
// variables. Spans are exported over OTLP/gRPC only when OTEL_EXPORTER_OTLP_ENDPOINT is set;
// without it, spans still exist so trace ids reach logs and propagate across hops.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

let sdk: NodeSDK | undefined;

export function startTelemetry(env: NodeJS.ProcessEnv = process.env): NodeSDK {
  if (sdk) return sdk;
  const serviceName = env.OTEL_SERVICE_NAME ?? env.SERVICE_NAME ?? 'slimstad';
  const spanProcessors: SpanProcessor[] = env.OTEL_EXPORTER_OTLP_ENDPOINT
    ? [new BatchSpanProcessor(new OTLPTraceExporter())]
    : [];
  sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    spanProcessors,
    // Metrics are served by prom-client at /metrics and logs go to stdout as JSON: without these
    // empty lists the SDK would start OTLP metric and log exporters to localhost:4318 and spend
    // seconds at every shutdown failing to flush them.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [new PgInstrumentation({ requireParentSpan: true })],
  });
  sdk.start();
  return sdk;
}

/** Flushes pending spans; part of the shutdown sequence. */
export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}

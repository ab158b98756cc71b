// With OTEL_EXPORTER_OTLP_ENDPOINT set, a service preloaded with @slimstad/kit/register
// exports its spans over OTLP/gRPC. The receiver here is a bare gRPC server for the OTLP
// TraceService: protobuf strings travel as UTF-8, so span and service names are visible in
// the raw request bytes without decoding.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { createTestNamespace } from '@slimstad/test-harness';
import { expect, inject, it } from 'vitest';
import { collectOutput, exited, fixture } from './support.js';

it('exports spans over OTLP/gRPC when an endpoint is configured', async () => {
  const exports: Buffer[] = [];
  const server = new grpc.Server();
  server.register(
    '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      exports.push(call.request);
      callback(null, Buffer.alloc(0)); // an empty ExportTraceServiceResponse
    },
    (b: Buffer) => b,
    (b: Buffer) => b,
    'unary',
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const ns = createTestNamespace(inject('natsUrl'), 'otlp');
  try {
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        '--import',
        '@slimstad/kit/register',
        fixture('traced-publisher.ts'),
      ],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: {
          ...process.env,
          SERVICE_NAME: 'otlp-probe-service',
          NATS_URL: inject('natsUrl'),
          NATS_NAMESPACE: ns.namespace,
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output = collectOutput(child);
    expect(await exited(child), output()).toBe(0);
    const sent = Buffer.concat(exports).toString('latin1');
    expect(sent).toContain('otlp-probe-service');
    expect(sent).toContain('operator-request-marker');
    expect(sent).toContain('sensor.reading.*.* publish');
  } finally {
    server.forceShutdown();
    await ns.cleanup();
  }
}, 60_000);

import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, expect, it } from 'vitest';
import { createLogger } from './log.js';

const provider = new NodeTracerProvider();
provider.register();
afterAll(() => provider.shutdown());

it('writes JSON lines that carry the active trace and span ids', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const log = createLogger('ingest', 'info', sink);
  const span = trace.getTracer('test').startSpan('request');
  context.with(trace.setSpan(context.active(), span), () => log.info('inside'));
  span.end();
  log.info('outside');
  expect(lines[0]).toMatchObject({
    level: 'info',
    service: 'ingest',
    msg: 'inside',
    trace_id: span.spanContext().traceId,
    span_id: span.spanContext().spanId,
  });
  expect(lines[1]).not.toHaveProperty('trace_id');
});

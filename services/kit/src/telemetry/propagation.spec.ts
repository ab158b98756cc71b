import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { contextFromRecord, traceContextRecord } from './propagation.js';

const span = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
};

describe('trace context records', () => {
  it('stores a context’s trace as traceparent and continues it from the record', () => {
    const record = traceContextRecord(trace.setSpanContext(ROOT_CONTEXT, span));
    expect(record).toEqual({ traceparent: `00-${span.traceId}-${span.spanId}-01` });
    const restored = trace.getSpanContext(contextFromRecord(record, ROOT_CONTEXT));
    expect(restored).toMatchObject({ ...span, isRemote: true });
  });

  it('is empty outside a trace, and an empty or missing record leaves the base context', () => {
    expect(traceContextRecord(ROOT_CONTEXT)).toEqual({});
    const base = trace.setSpanContext(ROOT_CONTEXT, span);
    expect(trace.getSpanContext(contextFromRecord({}, base))).toEqual(span);
    expect(trace.getSpanContext(contextFromRecord(null, ROOT_CONTEXT))).toBeUndefined();
  });
});

// W3C trace context across hops: injected into NATS headers and gRPC metadata by the
// producer, extracted by the consumer, so one reading yields one trace across services.
import {
  type Context,
  context,
  propagation,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

// Register the W3C propagator even when no SDK was started (tests, CLI): propagation must
// work with or without an exporter.
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

/** Anything with string get/set by key: NATS MsgHdrs, gRPC Metadata adapters, plain maps. */
export interface Carrier {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

const setter: TextMapSetter<Carrier> = { set: (carrier, key, value) => carrier.set(key, value) };
const getter: TextMapGetter<Carrier> = {
  get: (carrier, key) => carrier.get(key),
  keys: () => ['traceparent', 'tracestate'],
};

export function injectTraceContext(carrier: Carrier, ctx: Context = context.active()): void {
  propagation.inject(ctx, carrier, setter);
}

export function extractTraceContext(carrier: Carrier, ctx: Context = context.active()): Context {
  return propagation.extract(ctx, carrier, getter);
}

/** A plain record as a carrier (headers of a fetch, a row's jsonb column). */
export function recordCarrier(record: Record<string, string>): Carrier {
  return {
    get: (key) => record[key],
    set: (key, value) => {
      record[key] = value;
    },
  };
}

/**
 * The trace context as a record (`traceparent`, `tracestate`) to store beside work that runs
 * later, e.g. in a row a poller picks up; empty outside a trace.
 */
export function traceContextRecord(ctx: Context = context.active()): Record<string, string> {
  const record: Record<string, string> = {};
  injectTraceContext(recordCarrier(record), ctx);
  return record;
}

/** A context continuing a stored record's trace; `base` itself when the record holds none. */
export function contextFromRecord(
  record: Record<string, string> | null | undefined,
  base: Context = context.active(),
): Context {
  return extractTraceContext(recordCarrier({ ...record }), base);
}

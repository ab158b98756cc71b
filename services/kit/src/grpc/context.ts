// What a gRPC handler knows about the call it serves: who calls, with which metadata, until
// when, and a signal that fires when the client gives up or the deadline passes.
import type { Metadata } from '@grpc/grpc-js';
import type { Logger } from '../log.js';
import type { Carrier } from '../telemetry/propagation.js';
import type { Principal } from './auth.js';

export interface CallContext {
  /** The verified caller; `ANONYMOUS` on `'public'` methods. */
  principal: Principal;
  /** Request metadata as sent by the client (the `authorization` entry removed). */
  metadata: Metadata;
  /** When the client stops waiting; undefined when it set no deadline. */
  deadline: Date | undefined;
  /** Aborts when the call is cancelled, the deadline passes or the server shuts down. */
  signal: AbortSignal;
  /** Full method path without the leading slash, e.g. `slimstad.sensor.v1.DeviceRegistryService/GetDevice`. */
  method: string;
  /** A child logger with the method name (and, inside the span, the trace id). */
  log: Logger;
}

/** Adapts grpc-js Metadata to the telemetry Carrier (first value per key, strings only). */
export function metadataCarrier(metadata: Metadata): Carrier {
  return {
    get(key) {
      const value = metadata.get(key)[0];
      return typeof value === 'string' ? value : undefined;
    },
    set(key, value) {
      metadata.set(key, value);
    },
  };
}

/** grpc-js reports "no deadline" as Infinity; turn its Date | number into Date | undefined. */
export function toDeadline(raw: Date | number): Date | undefined {
  const ms = raw instanceof Date ? raw.getTime() : raw;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/** Why a call's signal aborted; the reason object is the signal's `reason`. */
export class CallAborted extends Error {
  constructor(readonly why: 'cancelled' | 'deadline' | 'shutdown') {
    super(
      why === 'deadline'
        ? 'deadline exceeded'
        : why === 'cancelled'
          ? 'call cancelled by the client'
          : 'server shutting down',
    );
    this.name = 'CallAborted';
  }
}

// The gRPC server every service exposes: authenticated, traced, measured handlers from
// defineService, grpc.health.v1 tied to readiness, server reflection, and a bounded drain.
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AppError } from '../errors.js';
import type { Readiness } from '../health.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../telemetry/metrics.js';
import { extractTraceContext } from '../telemetry/propagation.js';
import { inSpan } from '../telemetry/tracing.js';
import { ANONYMOUS, hasAnyRole, type Principal, type TokenVerifier } from './auth.js';
import { CallAborted, type CallContext, metadataCarrier, toDeadline } from './context.js';
import { type GrpcFailure, Status, statusName, toGrpcFailure } from './errors.js';
import type { MethodBinding, ServiceRegistration } from './handlers.js';
import { createHealthReporter } from './health.js';
import { addReflection, type ReflectionOptions } from './reflection.js';

export interface GrpcServerOptions {
  log: Logger;
  metrics: Metrics;
  /** Verifies bearer tokens: `createTokenVerifier({ key, issuer, audience })`. */
  auth: TokenVerifier;
  /** Health reports SERVING only while this says ready (and the server is not draining). */
  readiness?: Readiness;
  services: readonly ServiceRegistration[];
  /** The .proto sources to describe through server reflection. */
  reflection: ReflectionOptions;
  /** TLS or insecure (default). */
  credentials?: grpc.ServerCredentials;
  serverOptions?: grpc.ServerOptions;
  /** How often health Watch subscribers are refreshed; 5 s unless told. */
  healthPollMs?: number;
}

export interface GrpcServer {
  server: grpc.Server;
  /** Binds and starts serving; resolves with the bound port (useful with port 0). */
  start(port: number, host?: string): Promise<number>;
  /** Health gate on top of readiness: false reports NOT_SERVING whatever readiness says. */
  setServing(serving: boolean): void;
  /** Stops accepting calls, lets in-flight calls finish for up to `timeoutMs`, then cancels them. */
  shutdown(timeoutMs: number): Promise<void>;
}

interface Dependencies {
  log: Logger;
  metrics: Metrics;
  auth: TokenVerifier;
  /** Calls being served, with their kind: a drain ends streams at once and lets unary calls finish. */
  inFlight: Map<AbortController, MethodBinding['kind']>;
}

/** What every kind of server call has in common. */
interface SurfaceCall {
  readonly metadata: grpc.Metadata;
  readonly cancelled: boolean;
  getDeadline(): grpc.Deadline;
  once(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
}

/** Server span error statuses per OpenTelemetry semantic conventions for gRPC. */
const SERVER_ERROR_CODES = new Set<number>([
  Status.UNKNOWN,
  Status.DEADLINE_EXCEEDED,
  Status.UNIMPLEMENTED,
  Status.INTERNAL,
  Status.UNAVAILABLE,
  Status.DATA_LOSS,
]);

/** A cancellation this close to the deadline counts as the deadline passing. */
const DEADLINE_SLACK_MS = 250;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

async function authenticate(
  binding: MethodBinding,
  metadata: grpc.Metadata,
  auth: TokenVerifier,
): Promise<Principal> {
  if (binding.roles === 'public') return ANONYMOUS;
  const header = metadata.get('authorization')[0];
  if (header === undefined || header === '')
    throw new AppError('UNAUTHENTICATED', 'missing bearer token');
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!match?.[1])
    throw new AppError('UNAUTHENTICATED', "authorization metadata must be 'Bearer <token>'");
  const principal = await auth(match[1]);
  if (!hasAnyRole(principal, binding.roles)) {
    const required = binding.roles;
    const roles =
      required.length === 1 ? `role ${required[0]}` : `one of the roles ${required.join(', ')}`;
    throw new AppError(
      'PERMISSION_DENIED',
      `${binding.method} requires ${roles}; the token grants ${principal.roles.join(', ') || 'no roles'}`,
    );
  }
  return principal;
}

/** Resolves with the work, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined); // a late failure after an abort is not unhandled
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The request stream as an AsyncIterable that ends with the call and throws on abort. */
async function* requestsOf(call: Readable, signal: AbortSignal): AsyncGenerator<unknown> {
  // destroyOnReturn false: a handler that stops reading early must not destroy the response side.
  const iterator = call.iterator({ destroyOnReturn: false });
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  try {
    while (true) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // After an abort a read may still be pending, and return() would queue behind it forever.
    const closing = iterator.return?.();
    if (signal.aborted) closing?.catch(() => undefined);
    else await closing;
  }
}

/** Writes every response, waiting for the transport to drain (backpressure). */
async function writeAll(
  call: Writable,
  responses: AsyncIterable<unknown>,
  signal: AbortSignal,
): Promise<void> {
  for await (const response of responses) {
    if (signal.aborted) return;
    if (!call.write(response)) await once(call, 'drain', { signal });
  }
}

/** The status for what ended a call, logging what an operator needs to see. */
function failureFor(error: unknown, traceId: string, log: Logger): GrpcFailure {
  if (error instanceof CallAborted) {
    if (error.why === 'deadline') {
      return toGrpcFailure(new AppError('DEADLINE_EXCEEDED', 'deadline exceeded'));
    }
    if (error.why === 'shutdown') {
      return toGrpcFailure(new AppError('UNAVAILABLE', 'server shutting down; retry'));
    }
    return {
      code: Status.CANCELLED,
      details: 'cancelled by the client',
      metadata: new grpc.Metadata(),
    };
  }
  const failure = toGrpcFailure(error, traceId);
  if (failure.cause !== undefined) {
    log.error({ err: failure.cause, trace_id: traceId }, 'unexpected error in gRPC handler');
  } else if (failure.code === Status.UNAUTHENTICATED || failure.code === Status.PERMISSION_DENIED) {
    log.info({ code: statusName(failure.code), reason: failure.details }, 'call refused');
  }
  return failure;
}

/**
 * Runs one call: deadline check, authentication, the handler inside a SERVER span, error
 * mapping and metrics. `work` runs the handler and returns how to deliver its success;
 * `fail` delivers a failure.
 */
async function serveCall(
  binding: MethodBinding,
  deps: Dependencies,
  call: SurfaceCall,
  work: (ctx: CallContext) => Promise<() => void>,
  fail: (failure: GrpcFailure) => void,
): Promise<void> {
  const started = performance.now();
  const controller = new AbortController();
  deps.inFlight.set(controller, binding.kind);
  const deadline = toDeadline(call.getDeadline());
  let deadlineTimer: NodeJS.Timeout | undefined;
  // A deadline often arrives as a cancellation: grpc-js ends such a call on its own, and the
  // client, whose clock started before the request travelled, gives up slightly earlier.
  const onCancelled = () =>
    controller.abort(
      new CallAborted(
        deadline && Date.now() >= deadline.getTime() - DEADLINE_SLACK_MS ? 'deadline' : 'cancelled',
      ),
    );
  call.once('cancelled', onCancelled);
  if (call.cancelled) onCancelled();
  if (deadline) {
    const remaining = deadline.getTime() - Date.now();
    // setTimeout cannot wait longer than ~24.8 days; such a deadline is as good as none.
    if (remaining <= 0) controller.abort(new CallAborted('deadline'));
    else if (remaining < 2 ** 31 - 1)
      deadlineTimer = setTimeout(() => controller.abort(new CallAborted('deadline')), remaining);
  }

  const parent = extractTraceContext(metadataCarrier(call.metadata));
  const [service, method] = binding.method.split('/');
  const attributes = {
    'rpc.system': 'grpc',
    'rpc.service': service ?? '',
    'rpc.method': method ?? '',
  };
  let code: number = Status.OK;

  await inSpan(
    binding.method,
    { kind: SpanKind.SERVER, parent, attributes },
    async (span: Span) => {
      const log = deps.log.child({ grpc_method: binding.method });
      try {
        if (controller.signal.aborted) throw controller.signal.reason;
        const principal = await untilAborted(
          authenticate(binding, call.metadata, deps.auth),
          controller.signal,
        );
        const metadata = call.metadata.clone();
        metadata.remove('authorization');
        const ctx: CallContext = {
          principal,
          metadata,
          deadline,
          signal: controller.signal,
          method: binding.method,
          log,
        };
        const deliver = await untilAborted(work(ctx), controller.signal);
        deliver();
      } catch (error) {
        const failure = failureFor(error, span.spanContext().traceId, log);
        code = failure.code;
        const { cause: _cause, ...status } = failure;
        if (!call.cancelled) fail(status);
      } finally {
        clearTimeout(deadlineTimer);
        call.removeListener('cancelled', onCancelled);
        deps.inFlight.delete(controller);
        span.setAttribute('rpc.grpc.status_code', code);
        if (SERVER_ERROR_CODES.has(code))
          span.setStatus({ code: SpanStatusCode.ERROR, message: statusName(code) });
        const handler = binding.method;
        deps.metrics.handled.inc({ kind: 'grpc', handler, outcome: statusName(code) });
        deps.metrics.duration.observe(
          { kind: 'grpc', handler },
          (performance.now() - started) / 1000,
        );
      }
    },
  );
}

/** The grpc-js implementation of one method. */
function implement(binding: MethodBinding, deps: Dependencies): grpc.UntypedHandleCall {
  switch (binding.kind) {
    case 'unary':
      return (
        call: grpc.ServerUnaryCall<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        void serveCall(
          binding,
          deps,
          call,
          async (ctx) => {
            const response = await (binding.handle(call.request, ctx) as Promise<unknown>);
            return () => callback(null, response);
          },
          (failure) => callback(failure),
        );
      };
    case 'client-streaming':
      return (
        call: grpc.ServerReadableStream<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        void serveCall(
          binding,
          deps,
          call,
          async (ctx) => {
            const response = await (binding.handle(
              requestsOf(call, ctx.signal),
              ctx,
            ) as Promise<unknown>);
            return () => callback(null, response);
          },
          (failure) => callback(failure),
        );
      };
    case 'server-streaming':
      return (call: grpc.ServerWritableStream<unknown, unknown>) => {
        void serveCall(
          binding,
          deps,
          call,
          async (ctx) => {
            await writeAll(
              call,
              binding.handle(call.request, ctx) as AsyncIterable<unknown>,
              ctx.signal,
            );
            return () => call.end();
          },
          (failure) => call.emit('error', failure),
        );
      };
    case 'bidi-streaming':
      return (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        void serveCall(
          binding,
          deps,
          call,
          async (ctx) => {
            await writeAll(
              call,
              binding.handle(requestsOf(call, ctx.signal), ctx) as AsyncIterable<unknown>,
              ctx.signal,
            );
            return () => call.end();
          },
          (failure) => call.emit('error', failure),
        );
      };
  }
}

/**
 * Creates the service's gRPC server.
 *
 * @example
 * const grpcServer = createGrpcServer({
 *   log, metrics, readiness,
 *   auth: createTokenVerifier({ key: config.AUTH_JWT_KEY, issuer: config.AUTH_JWT_ISSUER, audience: config.AUTH_JWT_AUDIENCE }),
 *   services: [defineService(DeviceRegistryServiceService, registryHandlers)],
 *   reflection: { protoRoot, protoFiles },
 * });
 * await grpcServer.start(config.GRPC_PORT);
 * shutdown.add('grpc', () => grpcServer.shutdown(10_000));
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const log = options.log.child({ component: 'grpc' });
  const server = new grpc.Server(options.serverOptions);
  const deps: Dependencies = {
    log,
    metrics: options.metrics,
    auth: options.auth,
    inFlight: new Map(),
  };

  const names = options.services.map((registration) => registration.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new Error(`createGrpcServer: service ${duplicate} is registered twice`);

  for (const registration of options.services) {
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const binding of registration.methods)
      implementation[binding.key] = implement(binding, deps);
    server.addService(registration.definition, implementation);
  }

  const health = createHealthReporter({
    services: names,
    readiness: options.readiness,
    log,
    pollMs: options.healthPollMs,
  });
  health.addToServer(server);
  const undescribed = addReflection(server, options.reflection, names);
  if (undescribed.length > 0) {
    log.warn(
      { services: undescribed, protoRoot: options.reflection.protoRoot },
      'services missing from the .proto files are not listed by reflection',
    );
  }

  let started = false;
  return {
    server,
    async start(port, host = '0.0.0.0') {
      const credentials = options.credentials ?? grpc.ServerCredentials.createInsecure();
      const bound = await new Promise<number>((resolve, reject) => {
        server.bindAsync(
          `${host.includes(':') ? `[${host}]` : host}:${port}`,
          credentials,
          (error, boundPort) => {
            if (error)
              reject(
                new Error(`gRPC server cannot listen on ${host}:${port}: ${error.message}`, {
                  cause: error,
                }),
              );
            else resolve(boundPort);
          },
        );
      });
      started = true;
      health.setServing(true);
      health.start();
      log.info({ port: bound, host, services: names }, 'gRPC server listening');
      return bound;
    },
    setServing(serving) {
      health.setServing(serving);
    },
    async shutdown(timeoutMs) {
      health.setServing(false);
      health.stop();
      if (!started) {
        server.forceShutdown();
        return;
      }
      // Streams (readings pushed by adapters, watches) last as long as the client wants; tell
      // them now so clients reconnect elsewhere, and let unary calls finish within the bound.
      for (const [controller, kind] of deps.inFlight) {
        if (kind !== 'unary') controller.abort(new CallAborted('shutdown'));
      }
      const drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (!drained) {
        log.warn(
          { inFlight: deps.inFlight.size, timeoutMs },
          'gRPC calls still running after the drain timeout; cancelling them',
        );
        for (const controller of deps.inFlight.keys())
          controller.abort(new CallAborted('shutdown'));
        server.forceShutdown();
      }
    },
  };
}

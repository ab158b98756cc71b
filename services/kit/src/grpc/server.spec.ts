// A real gRPC server on a loopback port, called by real grpc-js clients: auth, roles, error
// details, deadlines, health, reflection, streaming, trace propagation and metrics.
import * as grpc from '@grpc/grpc-js';
import { context, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { protoFiles, protoRoot } from '@slimstad/contracts';
import {
  IngestServiceClient,
  IngestServiceService,
  ListQuarantineResponse,
  type PushReadingsResponse,
  ReplayQuarantineResponse,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import {
  DeviceRegistryServiceClient,
  DeviceRegistryServiceService,
  GetDeviceResponse,
  ImportDevicesResponse,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import { service as healthService } from 'grpc-health-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { Readiness } from '../health.js';
import { createMetrics } from '../telemetry/metrics.js';
import { createTokenVerifier, type Role, signToken } from './auth.js';
import { createClient, promisifyUnary } from './client.js';
import { decodeErrorDetails, isServiceError } from './errors.js';
import { defineService } from './handlers.js';
import { checkHealth } from './health.js';
import { listServices } from './reflection.js';
import { createGrpcServer, type GrpcServer } from './server.js';

const KEY = 'grpc-test-secret-0123456789abcdef';
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

// A hand-written definition (JSON on the wire) for the two stream kinds the contracts lack.
const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (buffer: Buffer) => JSON.parse(buffer.toString()) as unknown,
};
const EchoService = {
  countdown: {
    path: '/slimstad.test.v1.EchoService/Countdown' as const,
    requestStream: false as const,
    responseStream: true as const,
    requestSerialize: (value: { from: number }) => json.serialize(value),
    requestDeserialize: (buffer: Buffer) => json.deserialize(buffer) as { from: number },
    responseSerialize: (value: { n: number }) => json.serialize(value),
    responseDeserialize: (buffer: Buffer) => json.deserialize(buffer) as { n: number },
  },
  sum: {
    path: '/slimstad.test.v1.EchoService/Sum' as const,
    requestStream: true as const,
    responseStream: false as const,
    requestSerialize: (value: { n: number }) => json.serialize(value),
    requestDeserialize: (buffer: Buffer) => json.deserialize(buffer) as { n: number },
    responseSerialize: (value: { total: number }) => json.serialize(value),
    responseDeserialize: (buffer: Buffer) => json.deserialize(buffer) as { total: number },
  },
  hold: {
    path: '/slimstad.test.v1.EchoService/Hold' as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: { n: number }) => json.serialize(value),
    requestDeserialize: (buffer: Buffer) => json.deserialize(buffer) as { n: number },
    responseSerialize: (value: { n: number }) => json.serialize(value),
    responseDeserialize: (buffer: Buffer) => json.deserialize(buffer) as { n: number },
  },
};
const EchoClient = grpc.makeGenericClientConstructor(EchoService, 'slimstad.test.v1.EchoService');

const seen: { traceId?: string; abortedBy?: unknown; handlerStarted?: () => void } = {};
let handlerAborted: Promise<unknown> = Promise.resolve();

const registry = defineService(DeviceRegistryServiceService, {
  getDevice: {
    roles: ['viewer'],
    handle: async (request, ctx) => {
      seen.traceId = trace.getActiveSpan()?.spanContext().traceId;
      expect(ctx.metadata.get('authorization')).toEqual([]);
      return GetDeviceResponse.fromPartial({
        device: { id: request.deviceId, name: `seen by ${ctx.principal.subject}` },
      });
    },
  },
  registerDevice: {
    roles: ['operator'],
    handle: async () => {
      throw new AppError('INVALID_ARGUMENT', 'device is invalid', [
        { field: 'device.id', description: 'must match [A-Za-z0-9_-]{1,64}' },
        { field: 'device.location.latitude', description: 'must be within [-90, 90]' },
      ]);
    },
  },
  updateDevice: {
    roles: ['operator'],
    handle: async () => {
      throw new Error('connect ECONNREFUSED postgres://slimstad:hunter2@db:5432');
    },
  },
  decommissionDevice: {
    roles: ['operator'],
    handle: (_request, ctx) => {
      // Ignores the deadline on purpose; only the signal tells it to stop.
      handlerAborted = new Promise((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(ctx.signal.reason)),
      );
      seen.handlerStarted?.();
      return new Promise(() => {});
    },
  },
  listDevices: {
    roles: ['viewer'],
    handle: async (request) => {
      z.object({ zone: z.string().min(1, 'must not be empty') }).parse(request);
      return { devices: [] };
    },
  },
  importDevices: {
    roles: ['admin'],
    handle: async (request) => ImportDevicesResponse.fromPartial({ dryRun: request.dryRun }),
  },
});

const ingest = defineService(IngestServiceService, {
  pushReadings: {
    roles: ['operator'],
    async *handle(requests) {
      let index = 0n;
      for await (const request of requests) {
        yield {
          clientRef: request.clientRef,
          requestIndex: index++,
          results: [],
          acceptedCount: request.readings.length,
          rejectedCount: 0,
        };
      }
    },
  },
  listQuarantine: { roles: ['viewer'], handle: async () => ListQuarantineResponse.fromPartial({}) },
  replayQuarantine: {
    roles: ['operator'],
    handle: async () => ReplayQuarantineResponse.fromPartial({}),
  },
  getLatestReadings: { roles: ['viewer'], handle: async () => ({ readings: [] }) },
  queryReadings: { roles: ['viewer'], handle: async () => ({ unit: '', buckets: [] }) },
});

const echo = defineService(EchoService, {
  countdown: {
    roles: ['viewer'],
    async *handle(request) {
      for (let n = request.from; n > 0; n--) yield { n };
    },
  },
  sum: {
    roles: ['viewer'],
    handle: async (requests) => {
      let total = 0;
      for await (const { n } of requests) total += n;
      return { total };
    },
  },
  hold: { roles: ['viewer'], handle: async (request) => request },
});

let dependencyUp = true;
const readiness = new Readiness();
readiness.add('dependency', () =>
  dependencyUp ? { ok: true } : { ok: false, reason: 'down for the test' },
);
const metrics = createMetrics('grpc-test', { defaultMetrics: false });
const logLines: Record<string, unknown>[] = [];
const log = pino(
  { level: 'info' },
  { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
);
let grpcServer: GrpcServer;
let address: string;

const token = (roles: Role[], extra: { key?: string; expiresIn?: number } = {}) =>
  signToken({ key: extra.key ?? KEY, subject: 'tester', roles, expiresIn: extra.expiresIn ?? 300 });

function registryClient(accessToken?: string, deadlineMs?: number) {
  const client = createClient(DeviceRegistryServiceClient, address, {
    token: accessToken,
    deadlineMs,
  });
  clients.push(client);
  return client;
}
const clients: grpc.Client[] = [];

async function failure(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isServiceError(error)) throw new Error(`expected a gRPC error, got ${String(error)}`);
  return error as grpc.ServiceError;
}

async function getDevice(accessToken?: string) {
  const client = registryClient(accessToken);
  return promisifyUnary(client, client.getDevice)({ deviceId: 'wl-001' });
}

beforeAll(async () => {
  grpcServer = createGrpcServer({
    log,
    metrics,
    readiness,
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [registry, ingest, echo],
    reflection: { protoRoot, protoFiles },
  });
  const port = await grpcServer.start(0, '127.0.0.1');
  address = `127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const client of clients) client.close();
  await grpcServer?.shutdown(1_000);
  await provider.shutdown();
});

describe('health', () => {
  it('answers SERVING while ready and NOT_SERVING when a readiness check fails', async () => {
    await expect(checkHealth(address)).resolves.toBe('SERVING');
    await expect(checkHealth(address, 'slimstad.sensor.v1.DeviceRegistryService')).resolves.toBe(
      'SERVING',
    );
    dependencyUp = false;
    try {
      await expect(checkHealth(address)).resolves.toBe('NOT_SERVING');
      await expect(checkHealth(address, 'slimstad.sensor.v1.IngestService')).resolves.toBe(
        'NOT_SERVING',
      );
    } finally {
      dependencyUp = true;
    }
    await expect(checkHealth(address)).resolves.toBe('SERVING');
  });

  it('reports NOT_SERVING when the server is set not serving, and NOT_FOUND for unknown services', async () => {
    grpcServer.setServing(false);
    try {
      await expect(checkHealth(address)).resolves.toBe('NOT_SERVING');
    } finally {
      grpcServer.setServing(true);
    }
    const unknown = await failure(checkHealth(address, 'no.such.Service'));
    expect(unknown.code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('authentication and roles', () => {
  it('refuses a call without a token', async () => {
    const error = await failure(getDevice());
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.details).toBe('missing bearer token');
  });

  it('refuses a token signed with another key, without echoing it', async () => {
    const forged = await token(['admin'], { key: 'someone-elses-secret-0123456789' });
    const error = await failure(getDevice(forged));
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.details).toMatch(/signature/);
    expect(error.details).not.toContain(forged);
  });

  it('refuses an expired token', async () => {
    const error = await failure(getDevice(await token(['admin'], { expiresIn: -120 })));
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.details).toMatch(/expired/);
  });

  it('refuses a malformed authorization header', async () => {
    const client = registryClient();
    const metadata = new grpc.Metadata();
    metadata.set('authorization', 'Basic dGVzdDp0ZXN0');
    const error = await failure(
      promisifyUnary(client, client.getDevice)({ deviceId: 'x' }, { metadata }),
    );
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.details).toMatch(/Bearer/);
  });

  it('denies a valid token lacking the role, naming the role and the method', async () => {
    const client = registryClient(await token(['viewer']));
    const error = await failure(
      promisifyUnary(client, client.registerDevice)({ device: undefined }),
    );
    expect(error.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(error.details).toContain('operator');
    expect(error.details).toContain('slimstad.sensor.v1.DeviceRegistryService/RegisterDevice');

    const bollards = registryClient(await token(['bollard-operator']));
    const denied = await failure(
      promisifyUnary(bollards, bollards.registerDevice)({ device: undefined }),
    );
    expect(denied.code).toBe(grpc.status.PERMISSION_DENIED);
    const operator = registryClient(await token(['operator']));
    const notAdmin = await failure(
      promisifyUnary(
        operator,
        operator.importDevices,
      )({ format: 1, content: Buffer.from(''), dryRun: true }),
    );
    expect(notAdmin.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(notAdmin.details).toContain('admin');
  });

  it('lets roles imply viewer, and admin pass everywhere', async () => {
    await expect(getDevice(await token(['viewer']))).resolves.toMatchObject({
      device: { id: 'wl-001', name: 'seen by tester' },
    });
    await expect(getDevice(await token(['operator']))).resolves.toMatchObject({
      device: { id: 'wl-001' },
    });
    await expect(getDevice(await token(['bollard-operator']))).resolves.toMatchObject({
      device: { id: 'wl-001' },
    });
    await expect(getDevice(await token(['admin']))).resolves.toMatchObject({
      device: { id: 'wl-001' },
    });
    const admin = registryClient(await token(['admin']));
    await expect(
      promisifyUnary(
        admin,
        admin.importDevices,
      )({ format: 1, content: Buffer.from(''), dryRun: true }),
    ).resolves.toMatchObject({
      dryRun: true,
    });
  });
});

describe('errors', () => {
  it('carries AppError field violations in grpc-status-details-bin', async () => {
    const client = registryClient(await token(['operator']));
    const error = await failure(
      promisifyUnary(client, client.registerDevice)({ device: undefined }),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe('device is invalid');
    expect(decodeErrorDetails(error.metadata)).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      message: 'device is invalid',
      violations: [
        { field: 'device.id', description: 'must match [A-Za-z0-9_-]{1,64}' },
        { field: 'device.location.latitude', description: 'must be within [-90, 90]' },
      ],
    });
  });

  it('turns a zod error into INVALID_ARGUMENT with violations', async () => {
    const client = registryClient(await token(['viewer']));
    const error = await failure(
      promisifyUnary(client, client.listDevices)({ page: undefined, type: 0, zone: '', status: 0 }),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(decodeErrorDetails(error.metadata)?.violations).toEqual([
      { field: 'zone', description: 'must not be empty' },
    ]);
  });

  it('hides unexpected errors behind INTERNAL', async () => {
    const client = registryClient(await token(['operator']));
    const error = await failure(
      promisifyUnary(client, client.updateDevice)({ device: undefined, updateMask: undefined }),
    );
    expect(error.code).toBe(grpc.status.INTERNAL);
    expect(error.details).toMatch(/^internal error/);
    expect(error.details).not.toMatch(/hunter2|ECONNREFUSED|postgres/);
    // The real error is in the log, findable by the trace id the client was given.
    const traceId = /trace ([0-9a-f]{32})/.exec(error.details)?.[1];
    const line = logLines.find((l) => l.msg === 'unexpected error in gRPC handler');
    expect(line).toMatchObject({
      trace_id: traceId,
      grpc_method: 'slimstad.sensor.v1.DeviceRegistryService/UpdateDevice',
    });
    expect(JSON.stringify(line)).toContain('ECONNREFUSED');
  });
});

describe('deadlines', () => {
  it('answers DEADLINE_EXCEEDED and aborts the handler signal when the deadline passes', async () => {
    const started = new Promise<void>((resolve) => {
      seen.handlerStarted = resolve;
    });
    const client = registryClient(await token(['operator']), 300);
    const error = await failure(
      promisifyUnary(client, client.decommissionDevice)({ deviceId: 'wl-001', reason: 'test' }),
    );
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await started;
    const reason = await Promise.race([
      handlerAborted,
      new Promise((resolve) => setTimeout(() => resolve('not aborted'), 2_000)),
    ]);
    // 'deadline' normally; under heavy load the client's own cancellation may arrive first.
    expect(reason).toMatchObject({ name: 'CallAborted' });
    expect(['deadline', 'cancelled']).toContain((reason as { why: string }).why);
  });

  it('refuses a call whose deadline has already passed', async () => {
    const client = registryClient(await token(['viewer']));
    const error = await failure(
      promisifyUnary(client, client.getDevice)({ deviceId: 'x' }, { deadlineMs: -1 }),
    );
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });
});

describe('streaming', () => {
  it('serves bidirectional streams (PushReadings)', async () => {
    const client = createClient(IngestServiceClient, address, {
      token: await token(['operator']),
      deadlineMs: 5_000,
    });
    clients.push(client);
    const call = client.pushReadings();
    call.write({ clientRef: 'a', readings: [] });
    call.write({ clientRef: 'b', readings: [] });
    call.end();
    const responses: PushReadingsResponse[] = [];
    for await (const response of call) responses.push(response as PushReadingsResponse);
    expect(responses.map((r) => [r.clientRef, r.requestIndex])).toEqual([
      ['a', 0n],
      ['b', 1n],
    ]);
  });

  it('refuses a stream without the role', async () => {
    const client = createClient(IngestServiceClient, address, { token: await token(['viewer']) });
    clients.push(client);
    const call = client.pushReadings();
    call.end();
    const error = await failure(
      (async () => {
        for await (const _ of call) {
          // no responses expected
        }
      })(),
    );
    expect(error.code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('serves server-streaming and client-streaming methods', async () => {
    const client = createClient(EchoClient, address, {
      token: await token(['viewer']),
      deadlineMs: 5_000,
    }) as unknown as grpc.Client & {
      countdown(request: { from: number }): grpc.ClientReadableStream<{ n: number }>;
      sum(
        callback: (error: grpc.ServiceError | null, response?: { total: number }) => void,
      ): grpc.ClientWritableStream<{ n: number }>;
    };
    clients.push(client);
    const counted: number[] = [];
    for await (const { n } of client.countdown({ from: 3 })) counted.push(n);
    expect(counted).toEqual([3, 2, 1]);

    const total = await new Promise((resolve, reject) => {
      const call = client.sum((error, response) =>
        error ? reject(error) : resolve(response?.total),
      );
      for (const n of [1, 2, 3, 4]) call.write({ n });
      call.end();
    });
    expect(total).toBe(10);
  });
});

describe('reflection', () => {
  it('lists the services this server serves', async () => {
    const services = await listServices(address);
    expect(services).toContain('slimstad.sensor.v1.DeviceRegistryService');
    expect(services).toContain('slimstad.sensor.v1.IngestService');
    expect(services).toContain('grpc.health.v1.Health');
  });
});

describe('telemetry', () => {
  it('continues the client trace inside the server handler', async () => {
    const accessToken = await token(['viewer']);
    const tracer = trace.getTracer('grpc-test');
    const root = tracer.startSpan('operator action');
    await context.with(trace.setSpan(context.active(), root), () => getDevice(accessToken));
    root.end();
    expect(seen.traceId).toBe(root.spanContext().traceId);
    const serverSpan = exporter
      .getFinishedSpans()
      .find(
        (span) =>
          span.name === 'slimstad.sensor.v1.DeviceRegistryService/GetDevice' &&
          span.spanContext().traceId === root.spanContext().traceId,
      );
    expect(serverSpan?.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
  });

  it('counts calls by method and status code', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /slimstad_grpc_test_handled_total\{[^}]*handler="slimstad.sensor.v1.DeviceRegistryService\/GetDevice"[^}]*outcome="UNAUTHENTICATED"/,
    );
    expect(text).toMatch(/outcome="OK"/);
    expect(text).toMatch(/outcome="PERMISSION_DENIED"/);
  });
});

describe('shutdown', () => {
  it('ends streams and watches at once, lets unary calls finish, and reports NOT_SERVING', async () => {
    let release: () => void = () => {};
    const slow = defineService(EchoService, {
      countdown: {
        roles: ['viewer'],
        async *handle(_request, ctx) {
          yield { n: 1 };
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        },
      },
      sum: {
        roles: ['viewer'],
        handle: async (_requests, ctx) => {
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
          return { total: 0 };
        },
      },
      hold: {
        roles: ['viewer'],
        handle: async (request) => {
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          return request;
        },
      },
    });
    const draining = createGrpcServer({
      log,
      metrics: createMetrics('grpc-drain-test', { defaultMetrics: false }),
      auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
      services: [slow],
      reflection: { protoRoot, protoFiles },
    });
    const drainAddress = `127.0.0.1:${await draining.start(0, '127.0.0.1')}`;
    const client = createClient(EchoClient, drainAddress, {
      token: await token(['viewer']),
    }) as unknown as grpc.Client & {
      countdown(request: { from: number }): grpc.ClientReadableStream<{ n: number }>;
      sum(
        callback: (error: grpc.ServiceError | null, response?: { total: number }) => void,
      ): grpc.ClientWritableStream<{ n: number }>;
      hold(
        request: { n: number },
        callback: (error: grpc.ServiceError | null, response?: { n: number }) => void,
      ): grpc.ClientUnaryCall;
    };
    clients.push(client);
    const HealthClient = grpc.makeClientConstructor(
      healthService as unknown as grpc.ServiceDefinition,
      'grpc.health.v1.Health',
    );
    const health = new HealthClient(
      drainAddress,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
    };
    clients.push(health);

    const watched: string[] = [];
    const watch = health.watch({ service: '' });
    watch.on('data', (message: { status: string }) => watched.push(message.status));
    const watchEnded = new Promise((resolve) => {
      watch.on('end', resolve);
      watch.on('error', resolve);
    });

    const stream = client.countdown({ from: 1 });
    const streamEnded = new Promise<unknown>((resolve) => {
      stream.on('error', resolve);
      stream.on('end', () => resolve('ended without error'));
    });
    stream.on('data', () => {});
    const upload = new Promise<unknown>((resolve) => {
      client.sum((error) => resolve(error)).write({ n: 1 });
    });
    const unary = new Promise<unknown>((resolve, reject) => {
      client.hold({ n: 42 }, (error, response) => (error ? reject(error) : resolve(response?.n)));
    });
    await vi.waitFor(() => expect(watched).toContain('SERVING'));
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    const done = draining.shutdown(5_000);
    expect(await streamEnded).toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(await upload).toMatchObject({ code: grpc.status.UNAVAILABLE });
    await watchEnded;
    expect(watched.at(-1)).toBe('NOT_SERVING');
    release();
    await expect(unary).resolves.toBe(42);
    await done;
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

// The composition of a service's infrastructure, in start-up order: config → logs and
// metrics → ops endpoint → Postgres pool → NATS (streams declared) → migrations under a lock.
// Shutdown runs the reverse: not ready → gRPC stops → consumers finish and NATS drains →
// pool closes → ops endpoint → telemetry flush.
// A service's main.ts calls startRuntime, wires its handlers and consumers, and serves. A
// process without a database or a bus of its own (the demo simulator) calls startProcess: the
// same config, logs, metrics, ops endpoint, shutdown and gRPC serving, nothing more.
import { protoFiles, protoRoot, type StreamContract } from '@slimstad/contracts';
import type { z } from 'zod';
import { Bus } from './bus/bus.js';
import { connectNats } from './bus/connection.js';
import { type BaseConfig, loadConfig, type ProcessConfig } from './config.js';
import { createDatabase, type Database } from './db/database.js';
import { type Migrations, migrateToLatest } from './db/migrate.js';
import { createTokenVerifier } from './grpc/auth.js';
import type { ServiceRegistration } from './grpc/handlers.js';
import { createGrpcServer, type GrpcServer } from './grpc/server.js';
import { Readiness } from './health.js';
import { createLogger, type Logger } from './log.js';
import { type OpsServer, startOpsServer } from './ops/ops-server.js';
import { Shutdown } from './shutdown.js';
import { createMetrics, type Metrics } from './telemetry/metrics.js';
import { stopTelemetry } from './telemetry/sdk.js';

export interface RuntimeOptions<S extends z.ZodType<BaseConfig>> {
  /** Zod schema of the service's environment: `z.object({ ...baseConfigShape, … })`. */
  config: S;
  /** Postgres schema the service owns (defaults to SERVICE_NAME with '-' → '_'). */
  schema?: string;
  migrations?: Migrations;
  /** Streams this service publishes to (declared idempotently at start-up). */
  streams?: StreamContract[];
  env?: Record<string, string | undefined>;
}

export interface ProcessRuntime<C extends ProcessConfig> {
  config: Readonly<C>;
  log: Logger;
  metrics: Metrics;
  readiness: Readiness;
  shutdown: Shutdown;
  ops: OpsServer;
  /**
   * Serves the given gRPC services on GRPC_PORT (with health, reflection, auth) and stops
   * them first on shutdown. Resolves with the bound port.
   */
  serveGrpc(...services: ServiceRegistration[]): Promise<{ server: GrpcServer; port: number }>;
}

export interface Runtime<C extends BaseConfig, DB> extends ProcessRuntime<C> {
  bus: Bus;
  database: Database<DB>;
}

/** The process layer every service has: config → logs and metrics → ops endpoint → gRPC. */
export async function startProcess<S extends z.ZodType<ProcessConfig>>(options: {
  config: S;
  env?: Record<string, string | undefined>;
}): Promise<ProcessRuntime<z.infer<S>>> {
  const config = loadConfig(options.config, options.env) as Readonly<z.infer<S>>;
  const log = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const metrics = createMetrics(config.SERVICE_NAME);
  const readiness = new Readiness();
  const shutdown = new Shutdown(log, config.SHUTDOWN_TIMEOUT_MS);
  shutdown.add('telemetry', stopTelemetry);

  const ops = await startOpsServer({
    port: config.OPS_PORT,
    host: config.LISTEN_HOST,
    metrics,
    readiness,
  });
  shutdown.add('ops endpoint', () => ops.close());

  const auth = createTokenVerifier({
    key: config.AUTH_JWT_KEY,
    issuer: config.AUTH_JWT_ISSUER,
    audience: config.AUTH_JWT_AUDIENCE,
  });
  const serveGrpc = async (...services: ServiceRegistration[]) => {
    const server = createGrpcServer({
      log,
      metrics,
      auth,
      readiness,
      services,
      reflection: { protoRoot, protoFiles: [...protoFiles] },
    });
    const port = await server.start(config.GRPC_PORT, config.LISTEN_HOST);
    // Registered last, so it runs first: stop taking calls before consumers and pools close.
    shutdown.add('grpc', () => {
      readiness.markDraining();
      return server.shutdown(Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2));
    });
    log.info({ port }, 'gRPC serving');
    return { server, port };
  };
  return { config, log, metrics, readiness, shutdown, ops, serveGrpc };
}

export async function startRuntime<DB, S extends z.ZodType<BaseConfig> = z.ZodType<BaseConfig>>(
  options: RuntimeOptions<S>,
): Promise<Runtime<z.infer<S>, DB>> {
  const base = await startProcess({ config: options.config, env: options.env });
  const { config, log, metrics, readiness, shutdown, ops } = base;

  const migrations = { done: !options.migrations };
  readiness.add('migrations', () =>
    migrations.done ? { ok: true } : { ok: false, reason: 'migrations pending' },
  );

  // The pool connects lazily; its close is registered before NATS so it runs after the drain
  // (in-flight handlers may still write).
  const database = createDatabase<DB>({
    url: config.DATABASE_URL,
    schema: options.schema ?? config.SERVICE_NAME.replace(/-/g, '_'),
    poolMax: config.DATABASE_POOL_MAX,
    applicationName: config.SERVICE_NAME,
  });
  metrics.watchPool(database.pool, config.DATABASE_POOL_MAX);
  readiness.add('postgres', database.ping);
  shutdown.add('postgres pool', () => database.close());
  const nc = await connectNats({
    url: config.NATS_URL,
    name: config.SERVICE_NAME,
    user: config.NATS_USER,
    password: config.NATS_PASSWORD,
    credsFile: config.NATS_CREDS_FILE,
    inboxPrefix: config.NATS_INBOX_PREFIX,
    log,
  });
  const bus = await Bus.create(nc, { namespace: config.NATS_NAMESPACE, log, metrics });
  readiness.add('nats', () =>
    nc.isClosed() ? { ok: false, reason: 'nats: connection closed' } : { ok: true },
  );
  shutdown.add('nats', () => bus.drain());
  // nats.js gives up after repeated authorization failures (e.g. a rotated password). A
  // service that can no longer reach the bus must not linger unready: stop, so the supervisor
  // (Kubernetes, the local launcher) starts it afresh with its current credentials.
  void nc.closed().then((error) => {
    if (shutdown.started) return;
    log.fatal(
      { err: error },
      'NATS connection closed for good; stopping so the service is restarted',
    );
    void shutdown.run('nats connection closed').finally(() => process.exit(1));
  });
  await bus.declareStreams(...(options.streams ?? []));

  if (options.migrations) {
    await migrateToLatest(database.db as never, {
      schema: database.schema,
      migrations: options.migrations,
      log,
    });
    migrations.done = true;
  }

  // Runs first on shutdown: probes see "not ready" before anything stops.
  shutdown.add('readiness', () => readiness.markDraining());

  log.info(
    { opsPort: ops.port, schema: database.schema, namespace: config.NATS_NAMESPACE || undefined },
    'runtime started',
  );
  return { ...base, bus, database };
}

/**
 * Runs a service's start-up and turns any failure into one clear line on stderr and exit
 * code 1 — a missing variable, an unreachable NATS or a failed migration each name the cause.
 */
export function runMain(start: () => Promise<unknown>): void {
  start().catch((error: unknown) => {
    const name = process.env.SERVICE_NAME ?? 'service';
    process.stderr.write(
      `${name}: failed to start: ${(error as Error).message ?? String(error)}\n`,
    );
    process.exit(1);
  });
}

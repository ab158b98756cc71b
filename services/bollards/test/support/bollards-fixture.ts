// One bollards service in-process on a real Postgres and NATS (this file's own database and
// namespace), with a hand-set city clock and a hand-set real clock for the safety timing, its
// gRPC API on a loopback port, and clients for each role.
import { connect } from '@nats-io/transport-node';
import { bollardStreams, protoFiles, protoRoot } from '@slimstad/contracts';
import { BollardServiceClient } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards_service';
import {
  Bus,
  createClient,
  createDatabase,
  createGrpcServer,
  createLogger,
  createMetrics,
  createTokenVerifier,
  type Database,
  ManualClock,
  type Metrics,
  migrateToLatest,
  promisifyUnary,
  type Role,
  signToken,
} from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { inject } from 'vitest';
import { type Bollards, type BollardsSettings, startBollards } from '../../src/bollards-service.js';
import type { BollardsDatabase } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations/index.js';

const KEY = 'bollards-test-secret-0123456789abcdef';
export const IDENTITY_SECRET = 'bollards-identity-secret-0123456789abcdef';

export const TEST_SETTINGS: BollardsSettings = {
  BOLLARDS_IDENTITY_SECRET: IDENTITY_SECRET,
  BOLLARDS_ACK_TIMEOUT_MS: 400,
  BOLLARDS_COMMAND_ATTEMPTS: 3,
  BOLLARDS_RAISE_DELAY_MS: 300,
  BOLLARDS_ADMISSION_HOLD_MS: 60_000,
  BOLLARDS_MAX_REVERSALS: 3,
  BOLLARDS_MAX_REQUEST_AGE_MS: 30_000,
  BOLLARDS_TICK_MS: 25,
  BOLLARDS_HEARTBEAT_MS: 200,
  BOLLARDS_FAIL_AFTER_MS: 1_000,
  BOLLARDS_RELOAD_MS: 3_600_000,
  BOLLARDS_AUDIT_RETENTION_DAYS: 180,
};

export interface BollardsFixture {
  clock: ManualClock;
  bus: Bus;
  ns: TestNamespace;
  natsUrl: string;
  database: Database<BollardsDatabase>;
  bollards: Bollards;
  metrics: Metrics;
  api(roles: Role[], subject?: string): Promise<ReturnType<typeof clientOf>>;
  /** Stops the service (as a crash would leave it: nothing more) and starts a new one. */
  restart(): Promise<Bollards>;
  close(): Promise<void>;
}

export function clientOf(client: BollardServiceClient) {
  return {
    createZone: promisifyUnary(client, client.createZone),
    getZone: promisifyUnary(client, client.getZone),
    listZones: promisifyUnary(client, client.listZones),
    createBollard: promisifyUnary(client, client.createBollard),
    updateBollard: promisifyUnary(client, client.updateBollard),
    getBollard: promisifyUnary(client, client.getBollard),
    listBollards: promisifyUnary(client, client.listBollards),
    createPermit: promisifyUnary(client, client.createPermit),
    revokePermit: promisifyUnary(client, client.revokePermit),
    listPermits: promisifyUnary(client, client.listPermits),
    checkAccess: promisifyUnary(client, client.checkAccess),
    admitVehicle: promisifyUnary(client, client.admitVehicle),
    setEmergencyMode: promisifyUnary(client, client.setEmergencyMode),
    setMaintenance: promisifyUnary(client, client.setMaintenance),
    listBollardStatus: promisifyUnary(client, client.listBollardStatus),
    listAuditEntries: promisifyUnary(client, client.listAuditEntries),
  };
}

export async function startBollardsFixture(
  label: string,
  startIso: string,
  settings: Partial<BollardsSettings> = {},
): Promise<BollardsFixture> {
  const log = createLogger('bollards-test', 'silent');
  const testDb: TestDatabase = await createTestDatabase(inject('databaseUrl'), label);
  const database = createDatabase<BollardsDatabase>({ url: testDb.url, schema: 'bollards' });
  await migrateToLatest(database.db as never, { schema: 'bollards', migrations, log });
  const natsUrl = inject('natsUrl');
  const ns = createTestNamespace(natsUrl, label);
  const nc = await connect({ servers: natsUrl });
  const bus = await Bus.create(nc, { namespace: ns.namespace, log });
  await bus.declareStreams(...bollardStreams);
  const clock = new ManualClock(Date.parse(startIso));
  let metrics = createMetrics('bollards', { defaultMetrics: false });
  // A restarted process has a fresh metrics registry.
  const start = () =>
    startBollards({
      db: database.db,
      bus,
      clock,
      log,
      metrics,
      settings: { ...TEST_SETTINGS, ...settings },
    });
  let bollards = await start();
  const serve = async (port: number) => {
    const server = createGrpcServer({
      log,
      metrics,
      auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
      services: [bollards.api],
      reflection: { protoRoot, protoFiles },
    });
    return { server, port: await server.start(port, '127.0.0.1') };
  };
  // After a restart the API is served again on the same port: clients reconnect by themselves.
  let { server, port } = await serve(0);
  const address = `127.0.0.1:${port}`;
  const closers: (() => Promise<unknown>)[] = [];

  const fixture: BollardsFixture = {
    clock,
    bus,
    ns,
    natsUrl,
    database,
    bollards,
    metrics,
    async api(roles, subject = 'olga') {
      const token = await signToken({ key: KEY, subject, roles });
      const client = createClient(BollardServiceClient, address, { token, deadlineMs: 10_000 });
      closers.push(async () => client.close());
      return clientOf(client);
    },
    async restart() {
      await server.shutdown(1_000);
      await bollards.stop();
      metrics = createMetrics('bollards', { defaultMetrics: false });
      fixture.metrics = metrics;
      bollards = await start();
      fixture.bollards = bollards;
      ({ server, port } = await serve(port));
      return bollards;
    },
    async close() {
      await server.shutdown(1_000);
      await bollards.stop().catch(() => undefined);
      for (const close of closers) await close();
      await bus.drain();
      await ns.cleanup();
      await database.close();
      await testDb.drop();
    },
  };
  return fixture;
}

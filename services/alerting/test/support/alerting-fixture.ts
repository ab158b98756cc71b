// One alerting service in-process on a real Postgres and NATS (this file's own database and
// namespace), with a chosen clock, its gRPC API on a loopback port, and clients per role.
import { connect } from '@nats-io/transport-node';
import {
  alertingStreams,
  FederationShareStream,
  protoFiles,
  protoRoot,
  sensorStreams,
} from '@slimstad/contracts';
import { AlertingServiceClient } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting_service';
import {
  Bus,
  type Clock,
  createClient,
  createDatabase,
  createGrpcServer,
  createLogger,
  createMetrics,
  createTokenVerifier,
  type Database,
  migrateToLatest,
  promisifyUnary,
  type Role,
  signToken,
  systemClock,
} from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { inject } from 'vitest';
import {
  type AlertingDeps,
  type AlertingService,
  type AlertingSettings,
  startAlerting,
} from '../../src/alerting-service.js';
import { startFeedServer } from '../../src/api/feed.http.js';
import { nearestPoints } from '../../src/api/nearest.js';
import {
  createBuild,
  createDeliver,
  createReceivers,
  createRouter,
} from '../../src/engine/notifications.js';
import { createPublicWarnings } from '../../src/engine/public-warnings.js';
import type { AlertingDatabase } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations/index.js';

export const KEY = 'alerting-test-secret-0123456789abcdef';
export const WEBHOOK_SECRET = 'alerting-webhook-secret-0123456789abcdef';

export const TEST_SETTINGS: AlertingSettings = {
  ALERTING_TICK_MS: 100,
  ALERTING_DISPATCH_POLL_MS: 100,
  ALERTING_RULES_RELOAD_MS: 500,
  ALERTING_DELIVERY_ATTEMPTS: 10,
  ALERTING_RETRY_INITIAL_MS: 100,
  ALERTING_RETRY_MAX_MS: 1_000,
  ALERTING_CLAIM_MS: 5_000,
};

export const clientOf = (c: AlertingServiceClient) => ({
  createRule: promisifyUnary(c, c.createRule),
  updateRule: promisifyUnary(c, c.updateRule),
  getRule: promisifyUnary(c, c.getRule),
  listRules: promisifyUnary(c, c.listRules),
  deleteRule: promisifyUnary(c, c.deleteRule),
  dryRunRule: promisifyUnary(c, c.dryRunRule),
  listAlerts: promisifyUnary(c, c.listAlerts),
  getAlert: promisifyUnary(c, c.getAlert),
  acknowledgeAlert: promisifyUnary(c, c.acknowledgeAlert),
  resolveAlert: promisifyUnary(c, c.resolveAlert),
  assignAlert: promisifyUnary(c, c.assignAlert),
  commentAlert: promisifyUnary(c, c.commentAlert),
  createSilence: promisifyUnary(c, c.createSilence),
  listSilences: promisifyUnary(c, c.listSilences),
  expireSilence: promisifyUnary(c, c.expireSilence),
  putResourcePoint: promisifyUnary(c, c.putResourcePoint),
  deleteResourcePoint: promisifyUnary(c, c.deleteResourcePoint),
  listResourcePoints: promisifyUnary(c, c.listResourcePoints),
  findNearestResourcePoints: promisifyUnary(c, c.findNearestResourcePoints),
  listNotifications: promisifyUnary(c, c.listNotifications),
});
export type AlertingClient = ReturnType<typeof clientOf>;

export interface FixtureOptions {
  clock?: Clock;
  webhookUrl?: string;
  timing?: { groupWaitMs: number; groupIntervalMs: number; repeatIntervalMs: number };
  deps?: Partial<AlertingDeps>;
}

export async function startAlertingFixture(label: string, options: FixtureOptions = {}) {
  const log = createLogger('alerting-test', 'silent');
  const testDb: TestDatabase = await createTestDatabase(inject('databaseUrl'), label);
  const database: Database<AlertingDatabase> = createDatabase<AlertingDatabase>({
    url: testDb.url,
    schema: 'alerting',
  });
  await migrateToLatest(database.db as never, { schema: 'alerting', migrations, log });
  const natsUrl = inject('natsUrl');
  const ns: TestNamespace = createTestNamespace(natsUrl, label);
  const nc = await connect({ servers: natsUrl });
  const bus = await Bus.create(nc, { namespace: ns.namespace, log });
  await bus.declareStreams(...alertingStreams, FederationShareStream, ...sensorStreams);
  const clock = options.clock ?? systemClock;
  const timing = options.timing ?? {
    groupWaitMs: 0,
    groupIntervalMs: 1_000,
    repeatIntervalMs: 3_600_000,
  };
  const receivers = createReceivers(
    [
      {
        type: 'webhook',
        name: 'ops',
        url: options.webhookUrl ?? 'http://127.0.0.1:9/none',
        secret: WEBHOOK_SECRET,
      },
    ],
    { log },
  );
  const start = (metrics = createMetrics('alerting', { defaultMetrics: false })) =>
    startAlerting({
      db: database.db,
      bus,
      clock,
      log,
      metrics,
      settings: TEST_SETTINGS,
      router: createRouter(
        {
          receiver: 'ops',
          group_by: ['alertname', 'zone'],
          group_wait: timing.groupWaitMs,
          group_interval: timing.groupIntervalMs,
          repeat_interval: timing.repeatIntervalMs,
        },
        ['ops'],
      ),
      deliver: createDeliver(receivers),
      build: createBuild('http://alerting.test'),
      inhibitRules: [],
      nearest: nearestPoints,
      publicWarnings: createPublicWarnings({
        sender: 'alerting@test.slimstad',
        municipalityCode: 'test',
        timeZone: 'Europe/Brussels',
        log,
        metrics,
      }),
      ...options.deps,
    });
  let service: AlertingService = await start();
  const server = createGrpcServer({
    log,
    metrics: createMetrics('alerting-grpc', { defaultMetrics: false }),
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [service.api],
    reflection: { protoRoot, protoFiles },
  });
  const port = await server.start(0, '127.0.0.1');
  const feed = await startFeedServer({
    db: database.db,
    clock,
    log,
    port: 0,
    host: '127.0.0.1',
    publicBaseUrl: 'http://alerting.test',
    municipalityCode: 'test',
  });
  const closers: (() => unknown)[] = [];
  return {
    bus,
    ns,
    natsUrl,
    database,
    db: database.db,
    testDb,
    get service() {
      return service;
    },
    async api(roles: Role[], subject = 'olga'): Promise<AlertingClient> {
      const token = await signToken({ key: KEY, subject, roles });
      const client = createClient(AlertingServiceClient, `127.0.0.1:${port}`, {
        token,
        deadlineMs: 10_000,
      });
      closers.push(() => client.close());
      return clientOf(client);
    },
    async restart() {
      await service.stop();
      service = await start();
      return service;
    },
    feedUrl: `http://127.0.0.1:${feed.port}`,
    async close() {
      await feed.close();
      await server.shutdown(1_000);
      await service.stop().catch(() => undefined);
      for (const c of closers) c();
      await bus.drain();
      await ns.cleanup();
      await database.close();
      await testDb.drop();
    },
  };
}
export type AlertingFixture = Awaited<ReturnType<typeof startAlertingFixture>>;

// One lighting service in-process on a real Postgres and NATS (this file's own database and
// namespace), driven by a hand-set clock, with its gRPC API on a loopback port, simulated lamp
// controllers on the bus, and clients for each role.
import { connect } from '@nats-io/transport-node';
import { lightingStreams, protoFiles, protoRoot, SensorReadingsStream } from '@slimstad/contracts';
import { LightingServiceClient } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting_service';
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
  Namespace,
  promisifyUnary,
  type Role,
  signToken,
} from '@slimstad/kit';
import { type LampFleet, type LampSpec, startLampFleet } from '@slimstad/simulator/lamps/index';
import {
  createTestDatabase,
  createTestNamespace,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { inject } from 'vitest';
import { type Lighting, type LightingSettings, startLighting } from '../../src/lighting-service.js';
import type { LightingDatabase } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations/index.js';

const KEY = 'lighting-test-secret-0123456789abcdef';

export const TEST_SETTINGS: LightingSettings = {
  LIGHTING_ACK_TIMEOUT_MS: 300,
  LIGHTING_COMMAND_ATTEMPTS: 3,
  LIGHTING_UNREACHABLE_RETRY_MS: 600,
  LIGHTING_TICK_MS: 50,
  LIGHTING_HEARTBEAT_MS: 1_000,
  // Long, so the hand-set clock's jumps do not look like a lost service to the controllers.
  LIGHTING_FAIL_SAFE_AFTER_MS: 1_800_000,
  LIGHTING_MAX_DETECTION_AGE_MS: 30_000,
  LIGHTING_PERSIST_MS: 3_600_000,
  LIGHTING_RELOAD_MS: 3_600_000,
};

export interface LightingFixture {
  clock: ManualClock;
  bus: Bus;
  ns: TestNamespace;
  database: Database<LightingDatabase>;
  lighting: Lighting;
  metrics: Metrics;
  api(roles: Role[], subject?: string): Promise<ReturnType<typeof clientOf>>;
  startFleet(lamps: LampSpec[]): Promise<LampFleet>;
  close(): Promise<void>;
}

function clientOf(client: LightingServiceClient) {
  return {
    createZone: promisifyUnary(client, client.createZone),
    updateZone: promisifyUnary(client, client.updateZone),
    deleteZone: promisifyUnary(client, client.deleteZone),
    listZones: promisifyUnary(client, client.listZones),
    createLamp: promisifyUnary(client, client.createLamp),
    updateLamp: promisifyUnary(client, client.updateLamp),
    deleteLamp: promisifyUnary(client, client.deleteLamp),
    listLamps: promisifyUnary(client, client.listLamps),
    getProfile: promisifyUnary(client, client.getProfile),
    setProfile: promisifyUnary(client, client.setProfile),
    setOverride: promisifyUnary(client, client.setOverride),
    clearOverride: promisifyUnary(client, client.clearOverride),
    listOverrides: promisifyUnary(client, client.listOverrides),
    listLampStates: promisifyUnary(client, client.listLampStates),
    getEnergyReport: promisifyUnary(client, client.getEnergyReport),
  };
}

export async function startLightingFixture(
  label: string,
  startIso: string,
): Promise<LightingFixture> {
  const log = createLogger('lighting-test', 'silent');
  const testDb: TestDatabase = await createTestDatabase(inject('databaseUrl'), label);
  const database = createDatabase<LightingDatabase>({ url: testDb.url, schema: 'lighting' });
  await migrateToLatest(database.db as never, { schema: 'lighting', migrations, log });
  const natsUrl = inject('natsUrl');
  const ns = createTestNamespace(natsUrl, label);
  const nc = await connect({ servers: natsUrl });
  const bus = await Bus.create(nc, { namespace: ns.namespace, log });
  await bus.declareStreams(...lightingStreams, SensorReadingsStream);
  const clock = new ManualClock(Date.parse(startIso));
  const metrics = createMetrics('lighting', { defaultMetrics: false });
  const lighting = await startLighting({
    db: database.db,
    bus,
    clock,
    log,
    metrics,
    settings: TEST_SETTINGS,
  });
  const server = createGrpcServer({
    log,
    metrics,
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [lighting.api],
    reflection: { protoRoot, protoFiles },
  });
  const address = `127.0.0.1:${await server.start(0, '127.0.0.1')}`;
  const closers: (() => Promise<unknown>)[] = [];
  const fleetNc = await connect({ servers: natsUrl });
  closers.push(() => fleetNc.drain());

  return {
    clock,
    bus,
    ns,
    database,
    lighting,
    metrics,
    async api(roles, subject = 'olga') {
      const token = await signToken({ key: KEY, subject, roles });
      const client = createClient(LightingServiceClient, address, { token, deadlineMs: 10_000 });
      closers.push(async () => client.close());
      return clientOf(client);
    },
    async startFleet(lamps) {
      const fleet = await startLampFleet({
        nc: fleetNc as never,
        namespace: new Namespace(ns.namespace),
        clock,
        // The fail-safe delay the heartbeats will bring, from the start: the hand-set clock may
        // jump before the first heartbeat arrives.
        lamps: lamps.map((lamp) => ({
          failSafeAfterMs: TEST_SETTINGS.LIGHTING_FAIL_SAFE_AFTER_MS,
          ...lamp,
        })),
        feedbackEveryMs: 0,
      });
      closers.unshift(() => fleet.stop());
      return fleet;
    },
    async close() {
      await server.shutdown(1_000);
      await lighting.stop().catch(() => undefined);
      for (const close of closers) await close();
      await bus.drain();
      await ns.cleanup();
      await database.close();
      await testDb.drop();
    },
  };
}

export { eventually } from '@slimstad/test-harness';

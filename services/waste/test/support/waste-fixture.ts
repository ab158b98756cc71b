// One waste service in-process on a real Postgres and NATS (this file's own database and
// namespace), with a hand-set city clock, its gRPC API on a loopback port, clients for each
// role, a way to publish readings as ingest does, and a recorder of the service's events.
import type { Msg } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import {
  BinEmptied,
  OverflowRiskRaised,
  protoFiles,
  protoRoot,
  ReadingBatchRecorded,
  ReadingRecorded,
  RoutePlanned,
  sensorStreams,
  wasteStreams,
} from '@slimstad/contracts';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { WasteServiceClient } from '@slimstad/contracts/gen/slimstad/waste/v1/waste_service';
import {
  Bus,
  createClient,
  createDatabase,
  createGrpcServer,
  createLogger,
  createMetrics,
  createTokenVerifier,
  type Database,
  loadConfig,
  ManualClock,
  type Metrics,
  migrateToLatest,
  Namespace,
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
import { wasteConfigSchema } from '../../src/config.js';
import type { WasteDatabase } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations/index.js';
import { startWaste, type Waste, type WasteServiceSettings } from '../../src/waste-service.js';

const KEY = 'waste-test-secret-0123456789abcdef';

/** The service's defaults (great-circle travel times, threshold 80 %, Europe/Brussels). */
export const TEST_SETTINGS: WasteServiceSettings = loadConfig(wasteConfigSchema, {
  AUTH_JWT_KEY: KEY,
});

export function clientOf(client: WasteServiceClient) {
  return {
    createBin: promisifyUnary(client, client.createBin),
    updateBin: promisifyUnary(client, client.updateBin),
    getBin: promisifyUnary(client, client.getBin),
    listBins: promisifyUnary(client, client.listBins),
    setMustVisit: promisifyUnary(client, client.setMustVisit),
    createVehicle: promisifyUnary(client, client.createVehicle),
    updateVehicle: promisifyUnary(client, client.updateVehicle),
    listVehicles: promisifyUnary(client, client.listVehicles),
    listDueBins: promisifyUnary(client, client.listDueBins),
    planRoutes: promisifyUnary(client, client.planRoutes),
    getPlan: promisifyUnary(client, client.getPlan),
    listPlans: promisifyUnary(client, client.listPlans),
    recordEmptied: promisifyUnary(client, client.recordEmptied),
    replanRemaining: promisifyUnary(client, client.replanRemaining),
    listAuditEntries: promisifyUnary(client, client.listAuditEntries),
  };
}
export type WasteApi = ReturnType<typeof clientOf>;

export interface RecordedEvent {
  subject: string;
  data: Uint8Array;
}

export interface WasteFixture {
  clock: ManualClock;
  bus: Bus;
  ns: TestNamespace;
  natsUrl: string;
  database: Database<WasteDatabase>;
  waste: Waste;
  metrics: Metrics;
  /** What the service published on `waste.>`, subjects without the namespace. */
  events: RecordedEvent[];
  overflowRisks(): ReturnType<typeof OverflowRiskRaised.codec.decode>[];
  plansPublished(): ReturnType<typeof RoutePlanned.codec.decode>[];
  emptiedEvents(): ReturnType<typeof BinEmptied.codec.decode>[];
  api(roles: Role[], subject?: string): Promise<WasteApi>;
  /** Publishes a bin_fill reading as ingest does (one per message). */
  reading(device: string, at: number, percent: number, metric?: string): Promise<void>;
  /** Publishes several readings as one ingest batch. */
  batch(readings: { device: string; at: number; percent: number }[]): Promise<void>;
  /** Stops the service (as a crash would leave it: nothing more) and starts a new one. */
  restart(): Promise<Waste>;
  close(): Promise<void>;
}

let sequence = 0n;
const readingOf = (device: string, at: number, value: number, metric = 'fill_level') =>
  Reading.fromPartial({
    deviceId: device,
    metric,
    value,
    unit: metric === 'weight' ? 'kg' : '%',
    observedAt: new Date(at),
    receivedAt: new Date(at + 1_000),
    sequence: ++sequence,
    source: 'test',
    deviceType: DeviceType.DEVICE_TYPE_BIN_FILL,
  });

export async function startWasteFixture(
  label: string,
  startIso: string,
  settings: Partial<WasteServiceSettings> = {},
): Promise<WasteFixture> {
  const log = createLogger('waste-test', 'silent');
  const testDb: TestDatabase = await createTestDatabase(inject('databaseUrl'), label);
  const database = createDatabase<WasteDatabase>({ url: testDb.url, schema: 'waste' });
  await migrateToLatest(database.db as never, { schema: 'waste', migrations, log });
  const natsUrl = inject('natsUrl');
  const ns = createTestNamespace(natsUrl, label);
  const nc = await connect({ servers: natsUrl });
  const bus = await Bus.create(nc, { namespace: ns.namespace, log });
  await bus.declareStreams(...wasteStreams, ...sensorStreams);
  const events: RecordedEvent[] = [];
  const namespace = new Namespace(ns.namespace);
  nc.subscribe(namespace.subject('waste.>'), {
    callback: (_e: unknown, m: Msg) => {
      events.push({ subject: namespace.strip(m.subject), data: m.data });
    },
  });
  await nc.flush();
  const clock = new ManualClock(Date.parse(startIso));
  let metrics = createMetrics('waste', { defaultMetrics: false });
  const start = () =>
    startWaste({
      db: database.db,
      bus,
      clock,
      log,
      metrics,
      settings: { ...TEST_SETTINGS, ...settings },
    });
  let waste = await start();
  const serve = async (port: number) => {
    const server = createGrpcServer({
      log,
      metrics,
      auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
      services: [waste.api],
      reflection: { protoRoot, protoFiles },
    });
    return { server, port: await server.start(port, '127.0.0.1') };
  };
  let { server, port } = await serve(0);
  const address = `127.0.0.1:${port}`;
  const closers: (() => Promise<unknown>)[] = [];
  const decoded = <T>(prefix: string, codec: { decode(d: Uint8Array): T }) =>
    events.filter((e) => e.subject.startsWith(prefix)).map((e) => codec.decode(e.data));
  let batches = 0;

  const fixture: WasteFixture = {
    clock,
    bus,
    ns,
    natsUrl,
    database,
    waste,
    metrics,
    events,
    overflowRisks: () => decoded('waste.overflow.risk.', OverflowRiskRaised.codec),
    plansPublished: () => decoded('waste.route.planned.', RoutePlanned.codec),
    emptiedEvents: () => decoded('waste.bin.emptied.', BinEmptied.codec),
    async api(roles, subject = 'olga') {
      const token = await signToken({ key: KEY, subject, roles });
      const client = createClient(WasteServiceClient, address, { token, deadlineMs: 30_000 });
      closers.push(async () => client.close());
      return clientOf(client);
    },
    async reading(device, at, percent, metric) {
      const message = readingOf(device, at, percent, metric);
      await bus.publish(ReadingRecorded, { type: 'bin_fill', device }, message, {
        msgId: `${device}:${message.sequence}`,
      });
    },
    async batch(readings) {
      const id = `batch-${++batches}`;
      await bus.publish(
        ReadingBatchRecorded,
        { source: 'test' },
        {
          source: 'test',
          batchId: id,
          readings: readings.map((r) => readingOf(r.device, r.at, r.percent)),
        },
        { msgId: id },
      );
    },
    async restart() {
      await server.shutdown(1_000);
      await waste.stop();
      metrics = createMetrics('waste', { defaultMetrics: false });
      fixture.metrics = metrics;
      waste = await start();
      fixture.waste = waste;
      ({ server, port } = await serve(port));
      return waste;
    },
    async close() {
      await server.shutdown(1_000);
      await waste.stop().catch(() => undefined);
      for (const close of closers) await close();
      await bus.drain();
      await ns.cleanup();
      await database.close();
      await testDb.drop();
    },
  };
  return fixture;
}

// A crash at any point loses no acknowledged reading and duplicates none: the real ingest
// process is killed with SIGKILL while an adapter streams readings into the intake, started
// again, and then every reading is stored exactly once and every batch event exists exactly
// once on the bus.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ReadingBatchSubmitted, SensorReadingsStream } from '@slimstad/contracts';
import { ReadingBatch } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import {
  DeviceRegistryServiceClient,
  ImportFormat,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import { busHeaders, createClient, Namespace, promisifyUnary, signToken } from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type IngestProcess, startIngest } from './support/ingest-process.js';

const KEY = 'crash-test-key-0123456789abcdef';
const DEVICES = 40;
const BATCHES = 300;
const PER_BATCH = 50;

let database: TestDatabase;
let ns: TestNamespace;
let nc: NatsConnection;
let pool: pg.Pool;
const running: IngestProcess[] = [];

function startCrashableIngest(): IngestProcess {
  const ingest = startIngest({
    databaseUrl: database.url,
    natsUrl: inject('natsUrl'),
    namespace: ns.namespace,
    authKey: KEY,
    env: {
      // Small flushes, so the kill lands between many commits and acks.
      INGEST_FLUSH_MAX_ROWS: '400',
      INGEST_FLUSH_MAX_DELAY_MS: '20',
      INGEST_DEVICE_RATE_PER_S: '100000',
      INGEST_DEVICE_BURST: '100000',
    },
  });
  running.push(ingest);
  return ingest;
}

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'ingest_crash');
  ns = createTestNamespace(inject('natsUrl'), 'crash');
  nc = await connect({ servers: inject('natsUrl') });
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
}, 30_000);

afterAll(async () => {
  for (const service of running) await service.stop();
  await nc?.close();
  await pool?.end();
  await ns?.cleanup();
  await database?.drop();
}, 30_000);

const stored = async () => {
  const { rows } = await pool.query<{ total: string; distinct: string }>(
    'select count(*) as total, count(distinct (device_id, sequence)) as distinct from ingest.reading',
  );
  return { total: Number(rows[0]!.total), distinct: Number(rows[0]!.distinct) };
};

it('loses and duplicates nothing when the service is killed mid-stream and restarted', async () => {
  const first = startCrashableIngest();
  const address = await first.grpcAddress();
  const token = await signToken({ key: KEY, subject: 'crash-test', roles: ['operator'] });
  const registry = createClient(DeviceRegistryServiceClient, address, {
    token,
    deadlineMs: 20_000,
  });
  const csv = [
    'id,type,name,latitude,longitude,metrics,owner_department,classification,network_kind,network_id',
    ...Array.from(
      { length: DEVICES },
      (_, i) =>
        `c-${i},water_level,c-${i},51.0,4.4,level:m:-10:1000,public-works,public,nats,c-${i}`,
    ),
  ].join('\n');
  const imported = await promisifyUnary(
    registry,
    registry.importDevices,
  )({
    format: ImportFormat.IMPORT_FORMAT_CSV,
    content: Buffer.from(csv),
    dryRun: false,
  });
  registry.close();
  expect(imported.createdCount).toBe(DEVICES);

  // An adapter publishes batches with their own message ids; JetStream acks each one.
  const js = jetstream(nc);
  const subject = `${ns.namespace}.${ReadingBatchSubmitted.subject({ source: 'adapter' })}`;
  const base = Date.now() - 60_000;
  let killedAt = -1;
  for (let b = 0; b < BATCHES; b++) {
    const readings = Array.from({ length: PER_BATCH }, (_, j) => {
      const n = b * PER_BATCH + j;
      return {
        deviceId: `c-${n % DEVICES}`,
        metric: 'level',
        value: n % 100,
        unit: 'm',
        observedAt: new Date(base + Math.floor(n / DEVICES)),
        sequence: BigInt(Math.floor(n / DEVICES) + 1),
      };
    });
    const h = natsHeaders();
    h.set(
      busHeaders.CONTENT_TYPE,
      busHeaders.protobufContentType(ReadingBatchSubmitted.messageType),
    );
    await js.publish(
      subject,
      ReadingBatch.encode(
        ReadingBatch.fromPartial({ source: 'adapter', batchId: `b${b}`, readings }),
      ).finish(),
      { msgID: `adapter:b${b}`, headers: h },
    );
    // Kill it once it is storing: some flushes committed, others in flight.
    if (killedAt < 0 && b > BATCHES / 3 && (await stored()).total > 0) {
      first.child.kill('SIGKILL');
      await first.exited;
      killedAt = b;
    }
  }
  expect(killedAt).toBeGreaterThan(0);
  const beforeRestart = await stored();
  expect(beforeRestart.total).toBeLessThan(BATCHES * PER_BATCH);

  const second = startCrashableIngest();
  await second.grpcAddress();
  const deadline = Date.now() + 60_000;
  while ((await stored()).total < BATCHES * PER_BATCH && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(await stored()).toEqual({ total: BATCHES * PER_BATCH, distinct: BATCHES * PER_BATCH });

  // Every batch event exactly once: republished after the crash under the same message id,
  // which JetStream's duplicate window absorbs.
  const jsm = await jetstreamManager(nc);
  const stream = new Namespace(ns.namespace).stream(SensorReadingsStream);
  const batchSubject = `${ns.namespace}.sensor.batch.adapter`;
  const events = async () =>
    (await jsm.streams.info(stream, { subjects_filter: batchSubject })).state.subjects?.[
      batchSubject
    ] ?? 0;
  // The last events follow the last commits by a moment.
  const eventDeadline = Date.now() + 20_000;
  while ((await events()) < BATCHES && Date.now() < eventDeadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(await events()).toBe(BATCHES);
}, 150_000);

// The reading path on real NATS and PostgreSQL: intake → validation → partitioned storage →
// events, with quarantine for refusals, idempotent redelivery, and a database outage that
// loses and duplicates nothing.
import {
  IngestIntakeStream,
  ReadingBatchRecorded,
  ReadingBatchSubmitted,
  ReadingRecorded,
  ReadingRejected,
  ReadingSubmitted,
  SensorReadingsStream,
  SensorRejectionsStream,
} from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import { Reading, ReadingBatch } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import {
  ack,
  createDatabase,
  createLogger,
  createMetrics,
  type Database,
  migrateToLatest,
} from '@slimstad/kit';
import { createTestDatabase, type TestDatabase } from '@slimstad/test-harness';
import { sql } from 'kysely';
import pg from 'pg';

import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { RateLimiter } from '../src/domain/rate-limiter.js';
import { consumeIntake } from '../src/events/intake.consumer.js';
import { consumeRejections } from '../src/events/quarantine.consumer.js';
import { ReadingPipeline } from '../src/events/reading-pipeline.js';
import type { IngestDatabase } from '../src/store/db.js';
import * as readingsMigration from '../src/store/migrations/20261123000100_readings.js';
import { ensurePartitions } from '../src/store/partitions.repository.js';
import { type BusFixture, openBus } from './support/bus.js';
import { device, MemoryDirectory } from './support/devices.js';

const log = createLogger('ingest-test', 'silent');
let testDb: TestDatabase;
let database: Database<IngestDatabase>;
let f: BusFixture;
const directory = new MemoryDirectory([
  device('wl-001'),
  device('wl-002'),
  device('wl-003'),
  device('cam-1', {
    classification: DataClassification.DATA_CLASSIFICATION_PERSONAL,
    metricSpecs: { vehicles: { unit: '{count}', min: 0 } },
  }),
]);
const pipelineFor = (overrides: Partial<ConstructorParameters<typeof ReadingPipeline>[0]> = {}) =>
  new ReadingPipeline({
    pool: database.pool,
    bus: f.bus,
    directory,
    limits: { maxFutureSkewMs: 300_000, maxAgeMs: 7 * 86_400_000 },
    rateLimiter: new RateLimiter(1_000, 10_000),
    maxRows: 1_000,
    maxDelayMs: 20,
    log,
    metrics: createMetrics('ingest', { defaultMetrics: false }),
    ...overrides,
  });

const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000);
const reading = (
  deviceId: string,
  value: number,
  observedAt: Date,
  sequence = 0n,
  metric = 'water_level',
) => Reading.fromPartial({ deviceId, metric, value, unit: 'm', observedAt, sequence });

async function rows(
  query = sql`select device_id, value, intake_ref from reading order by device_id, observed_at`,
) {
  return (await query.execute(database.db)).rows as Record<string, unknown>[];
}

beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'), 'ingest_path');
  database = createDatabase<IngestDatabase>({ url: testDb.url, schema: 'ingest' });
  await migrateToLatest(database.db as never, {
    schema: 'ingest',
    migrations: { '20261123000100_readings': readingsMigration },
  });
  await ensurePartitions(database.db as never, at(8 * 86_400), at(-2 * 86_400));
  f = await openBus('ingestpath');
  await f.bus.declareStreams(IngestIntakeStream, SensorReadingsStream, SensorRejectionsStream);
});
afterAll(async () => {
  await f.close();
  await database.close();
  await testDb.drop();
});

describe('the reading pipeline', () => {
  it('stores valid readings in their classification partition, keeps the latest, and refuses the rest with reasons', async () => {
    const pipeline = pipelineFor();
    const outcome = await pipeline.submit({
      intakeRef: 'intake:1',
      source: 'test',
      shape: 'batch',
      readings: [
        reading('wl-001', 1.5, at(120)),
        Reading.fromPartial({
          deviceId: 'wl-001',
          metric: 'water_level',
          value: 170,
          unit: 'cm',
          observedAt: at(60),
        }),
        reading('wl-001', 99, at(30)), // out of range
        reading('ghost', 1, at(30)), // unknown device
        Reading.fromPartial({
          deviceId: 'cam-1',
          metric: 'vehicles',
          value: 12,
          unit: '{count}',
          observedAt: at(10),
        }),
      ],
    });
    expect(outcome).toEqual({ stored: 3, duplicates: 0, rejected: 2 });
    const stored = await rows(
      sql`select tableoid::regclass::text as partition, device_id, value from reading order by observed_at`,
    );
    expect(
      stored.map((r) => [String(r.partition).replace(/_\d{8}$/, ''), r.device_id, r.value]),
    ).toEqual([
      ['reading_public', 'wl-001', 1.5],
      ['reading_public', 'wl-001', 1.7],
      ['reading_personal', 'cam-1', 12],
    ]);
    const latest = await rows(
      sql`select device_id, metric, value from latest_reading order by device_id`,
    );
    expect(latest).toEqual([
      { device_id: 'cam-1', metric: 'vehicles', value: 12 },
      { device_id: 'wl-001', metric: 'water_level', value: 1.7 },
    ]);
  });

  it('treats a redelivered intake message as the same readings: stored once, republished under the same ids', async () => {
    const pipeline = pipelineFor();
    const submission = {
      intakeRef: 'intake:2',
      source: 'test',
      shape: 'batch' as const,
      readings: [reading('wl-002', 2, at(50)), reading('wl-002', 2.1, at(40))],
    };
    expect(await pipeline.submit(submission)).toEqual({ stored: 2, duplicates: 0, rejected: 0 });
    expect(await pipeline.submit(submission)).toEqual({ stored: 2, duplicates: 0, rejected: 0 });
    expect(
      await rows(sql`select count(*)::int as n from reading where device_id = 'wl-002'`),
    ).toEqual([{ n: 2 }]);
    const published = await f.bus.jsm.streams.getMessage(f.bus.ns.stream(SensorReadingsStream), {
      last_by_subj: f.bus.ns.subject('sensor.batch.test'),
    });
    expect(published!.header.get('Nats-Msg-Id')).toBe('b:intake:2');
    const info = await f.bus.jsm.streams.info(f.bus.ns.stream(SensorReadingsStream), {
      subjects_filter: f.bus.ns.subject('sensor.batch.test'),
    });
    expect(info.state.subjects?.[f.bus.ns.subject('sensor.batch.test')]).toBe(2); // intake:1 and intake:2, once each
  });

  it('drops true duplicates: same device, metric and time, or the same sequence, from another delivery', async () => {
    const pipeline = pipelineFor();
    const when = at(20);
    await pipeline.submit({
      intakeRef: 'intake:3',
      source: 'test',
      shape: 'batch',
      readings: [reading('wl-002', 3, when, 77n)],
    });
    const again = await pipeline.submit({
      intakeRef: 'intake:4',
      source: 'test',
      shape: 'batch',
      readings: [
        reading('wl-002', 3, when),
        reading('wl-002', 3, at(19), 77n),
        reading('wl-002', 3.3, at(18), 78n),
        reading('wl-002', 3.3, at(18), 78n),
      ],
    });
    expect(again).toEqual({ stored: 1, duplicates: 3, rejected: 0 });

    // A counter that restarted (a LoRaWAN rejoin) repeats a sequence hours later: new data.
    await pipeline.submit({
      intakeRef: 'intake:5',
      source: 'test',
      shape: 'batch',
      readings: [reading('wl-002', 2.9, at(3 * 3600), 90n)],
    });
    const afterReset = await pipeline.submit({
      intakeRef: 'intake:6',
      source: 'test',
      shape: 'batch',
      readings: [reading('wl-002', 3.1, at(30), 90n)],
    });
    expect(afterReset).toEqual({ stored: 1, duplicates: 0, rejected: 0 });
  });

  it('writes through multi-row INSERT as through COPY (the embedded-database mode)', async () => {
    const pipeline = pipelineFor({ bulkWrite: 'insert' });
    const when = at(40);
    const first = await pipeline.submit({
      intakeRef: 'intake:insert-1',
      source: 'test',
      shape: 'batch',
      readings: [
        reading('wl-003', 4.25, when, 500n),
        Reading.fromPartial({ ...reading('wl-003', 4.5, at(39), 501n), channel: 'tab\there' }),
      ],
    });
    expect(first).toEqual({ stored: 2, duplicates: 0, rejected: 0 });
    const again = await pipeline.submit({
      intakeRef: 'intake:insert-2',
      source: 'test',
      shape: 'batch',
      readings: [reading('wl-003', 4.25, when), reading('wl-003', 9, at(38), 500n)],
    });
    expect(again).toEqual({ stored: 0, duplicates: 2, rejected: 0 });
    const stored = await rows(
      sql`select value, sequence::int as sequence, channel from reading where device_id = 'wl-003' order by observed_at`,
    );
    expect(stored).toEqual([
      { value: 4.25, sequence: 500, channel: null },
      { value: 4.5, sequence: 501, channel: 'tab\there' },
    ]);
  });

  it('publishes a single submitted reading on its own subject', async () => {
    const pipeline = pipelineFor();
    await pipeline.submit({
      intakeRef: 'intake:5',
      source: 'gw',
      shape: 'single',
      readings: [reading('wl-001', 4, at(5))],
    });
    const m = await f.bus.jsm.streams.getMessage(f.bus.ns.stream(SensorReadingsStream), {
      last_by_subj: f.bus.ns.subject('sensor.reading.water_level.wl-001'),
    });
    const published = ReadingRecorded.codec.decode(m!.data);
    expect(published).toMatchObject({ deviceId: 'wl-001', value: 4, unit: 'm', source: 'gw' });
    expect(published.receivedAt).toBeInstanceOf(Date);
  });

  it('rate-limits a runaway device and quarantines the excess', async () => {
    const pipeline = pipelineFor({ rateLimiter: new RateLimiter(1, 2) });
    const outcome = await pipeline.submit({
      intakeRef: 'intake:6',
      source: 'test',
      shape: 'batch',
      readings: [1, 2, 3, 4].map((i) => reading('wl-001', 1, at(200 + i))),
    });
    expect(outcome).toEqual({ stored: 2, duplicates: 0, rejected: 2 });
  });
});

describe('through the intake stream', () => {
  it('loses and duplicates nothing while PostgreSQL refuses connections mid-stream', async () => {
    const pipeline = pipelineFor();
    const consumers = [
      ...(await consumeIntake(f.bus, pipeline)),
      await consumeRejections(f.bus, database.db),
    ];
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    const batches = 30;
    const perBatch = 50;
    const publishBatch = (i: number) =>
      f.bus.publish(
        ReadingBatchSubmitted,
        { source: 'outage' },
        ReadingBatch.fromPartial({
          source: 'outage',
          batchId: `o-${i}`,
          readings: Array.from({ length: perBatch }, (_, j) =>
            reading(
              'wl-001',
              0.5,
              new Date(Date.now() - 3_600_000 + i * 1000 + j),
              BigInt(10_000 + i * perBatch + j),
            ),
          ),
        }),
        { msgId: `outage-${i}` },
      );
    const count = async () =>
      Number(
        (await rows(sql`select count(*)::int as n from reading where source = 'outage'`))[0]!.n,
      );
    try {
      for (let i = 0; i < 10; i++) await publishBatch(i);
      await vi.waitFor(async () => expect(await count()).toBe(10 * perBatch), { timeout: 15_000 });

      // Outage: no new connections, existing ones cut.
      await admin.query(`alter database "${testDb.name}" allow_connections false`);
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
        [testDb.name],
      );
      for (let i = 10; i < batches; i++) await publishBatch(i);
      await new Promise((r) => setTimeout(r, 1_500));
      await admin.query(`alter database "${testDb.name}" allow_connections true`);

      await vi.waitFor(async () => expect(await count()).toBe(batches * perBatch), {
        timeout: 60_000,
      });
      const distinct = await rows(
        sql`select count(distinct sequence)::int as n from reading where source = 'outage'`,
      );
      expect(distinct).toEqual([{ n: batches * perBatch }]);
      // Every intake message ended acked, none parked on the dead-letter stream.
      await vi.waitFor(async () => {
        const info = await f.bus.jsm.consumers.info(
          f.bus.ns.stream(IngestIntakeStream),
          'ingest--intake-batches',
        );
        expect(info.num_pending + info.num_ack_pending).toBe(0);
        // The outage really bit: some messages were delivered more than once.
        expect(info.delivered.consumer_seq).toBeGreaterThan(info.delivered.stream_seq);
      });
      const dead = await f.bus.jsm.streams.info(f.bus.ns.stream('DEAD_LETTER'));
      expect(dead.state.messages).toBe(0);
    } finally {
      await admin.query(`alter database "${testDb.name}" allow_connections true`).catch(() => {});
      await admin.end();
      await Promise.all(consumers.map((c) => c.stop()));
    }
  }, 90_000);

  it('keeps every refused reading in the quarantine, with its reason', async () => {
    const consumers = [
      ...(await consumeIntake(f.bus, pipelineFor())),
      await consumeRejections(f.bus, database.db),
    ];
    try {
      await f.bus.publish(ReadingSubmitted, { source: 'adapter' }, reading('nobody', 1, at(3)), {
        msgId: 'q-1',
      });
      await f.bus.publish(ReadingSubmitted, { source: 'adapter' }, reading('wl-001', 50, at(3)), {
        msgId: 'q-2',
      });
      await vi.waitFor(async () => {
        const q = await rows(
          sql`select reason, device_id, source, detail, reading->>'metric' as metric from quarantine where source = 'adapter' order by reason`,
        );
        expect(q).toEqual([
          {
            reason: 'REJECTION_REASON_OUT_OF_RANGE',
            device_id: 'wl-001',
            source: 'adapter',
            detail: 'water_level 50 m outside [-1, 10]',
            metric: 'water_level',
          },
          {
            reason: 'REJECTION_REASON_UNKNOWN_DEVICE',
            device_id: 'nobody',
            source: 'adapter',
            detail: 'no device nobody in the registry',
            metric: 'water_level',
          },
        ]);
      });
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
    }
  });
});
// Keep the unused-import checker honest about contracts used only for their types above.
void ReadingBatchRecorded;
void ReadingRejected;
void ack;

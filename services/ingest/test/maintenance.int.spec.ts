// Partition creation ahead of time and retention per classification, and device liveness
// events, on real PostgreSQL and NATS.
import { DeviceCameOnline, DeviceWentOffline, SensorDevicesStream } from '@slimstad/contracts';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { createDatabase, createLogger, type Database, migrateToLatest } from '@slimstad/kit';
import { createTestDatabase, type TestDatabase } from '@slimstad/test-harness';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LivenessTracker } from '../src/domain/liveness.js';
import { LivenessMonitor } from '../src/events/liveness.monitor.js';
import type { IngestDatabase } from '../src/store/db.js';
import * as readingsMigration from '../src/store/migrations/20261123000100_readings.js';
import { PartitionMaintenance } from '../src/store/partition-maintenance.js';
import { listPartitions } from '../src/store/partitions.repository.js';
import { type BusFixture, openBus } from './support/bus.js';
import { device, MemoryDirectory } from './support/devices.js';

const log = createLogger('ingest-test', 'silent');
let testDb: TestDatabase;
let database: Database<IngestDatabase>;

beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'), 'ingest_maint');
  database = createDatabase<IngestDatabase>({ url: testDb.url, schema: 'ingest' });
  await migrateToLatest(database.db as never, {
    schema: 'ingest',
    migrations: { '20261123000100_readings': readingsMigration },
  });
});
afterAll(async () => {
  await database.close();
  await testDb.drop();
});

describe('partition maintenance', () => {
  it('creates daily partitions from the oldest acceptable day to two days ahead, and drops expired ones per classification', async () => {
    let now = new Date('2026-11-23T10:00:00Z');
    const maintenance = new PartitionMaintenance(database.db, {
      maxAgeMs: 2 * 86_400_000,
      retentionDays: { public: 10, internal: 5, personal: 1 },
      log,
      clock: () => now,
    });
    const first = await maintenance.run();
    expect(first.created.filter((n) => n.startsWith('reading_public_')).sort()).toEqual([
      'reading_public_20261121',
      'reading_public_20261122',
      'reading_public_20261123',
      'reading_public_20261124',
      'reading_public_20261125',
    ]);
    // Personal data is kept one day, so no partition is made for readings older than that.
    expect(first.created.filter((n) => n.startsWith('reading_personal_')).sort()).toEqual([
      'reading_personal_20261122',
      'reading_personal_20261123',
      'reading_personal_20261124',
      'reading_personal_20261125',
    ]);
    expect((await maintenance.run()).created).toEqual([]); // idempotent

    // A reading lands in its day's partition.
    await sql`insert into reading (classification, device_id, metric, observed_at, value, unit, received_at, source, intake_ref)
              values ('personal', 'cam-1', 'vehicles', '2026-11-22T12:00:00Z', 3, '{count}', now(), 't', 'x')`.execute(
      database.db,
    );

    // Two days later: personal data (kept 1 day) of the 22nd and 23rd is gone, public (10 days) stays.
    now = new Date('2026-11-25T10:00:00Z');
    const later = await maintenance.run();
    expect(later.dropped.sort()).toEqual([
      'reading_personal_20261122',
      'reading_personal_20261123',
    ]);
    const names = await listPartitions(database.db as never);
    expect(names).toContain('reading_public_20261121');
    expect(names).not.toContain('reading_personal_20261121');
    expect(
      (
        await sql`select count(*)::int as n from reading where classification = 'personal'`.execute(
          database.db,
        )
      ).rows,
    ).toEqual([{ n: 0 }]);
  });
});

describe('device liveness', () => {
  let f: BusFixture;
  beforeAll(async () => {
    f = await openBus('liveness');
    await f.bus.declareStreams(SensorDevicesStream);
  });
  afterAll(() => f.close());

  it('publishes offline after missed intervals and online when the device reports again, once per transition', async () => {
    let now = new Date('2026-11-23T10:00:00Z');
    const directory = new MemoryDirectory([device('wl-001', { expectedIntervalMs: 60_000 })]);
    const monitor = new LivenessMonitor({
      bus: f.bus,
      directory,
      tracker: new LivenessTracker(3),
      log,
      clock: () => now,
    });
    const seen = (at: Date) =>
      monitor.recordStored([
        Reading.fromPartial({ deviceId: 'wl-001', metric: 'water_level', receivedAt: at }),
      ]);

    await seen(now);
    now = new Date('2026-11-23T10:03:30Z');
    expect(await monitor.sweep()).toHaveLength(1);
    expect(await monitor.sweep()).toHaveLength(0);
    await seen(new Date('2026-11-23T10:05:00Z'));

    const stream = f.bus.ns.stream(SensorDevicesStream);
    const offline = await f.bus.jsm.streams.getMessage(stream, {
      last_by_subj: f.bus.ns.subject('sensor.device.offline.wl-001'),
    });
    expect(DeviceWentOffline.codec.decode(offline!.data)).toMatchObject({
      deviceId: 'wl-001',
      lastSeenAt: new Date('2026-11-23T10:00:00Z'),
      detectedAt: new Date('2026-11-23T10:03:30Z'),
      expectedReportInterval: { seconds: 60n, nanos: 0 },
    });
    const online = await f.bus.jsm.streams.getMessage(stream, {
      last_by_subj: f.bus.ns.subject('sensor.device.online.wl-001'),
    });
    expect(DeviceCameOnline.codec.decode(online!.data)).toMatchObject({
      deviceId: 'wl-001',
      lastSeenAt: new Date('2026-11-23T10:05:00Z'),
      offlineSince: new Date('2026-11-23T10:03:30Z'),
    });
    const info = await f.bus.jsm.streams.info(stream);
    expect(info.state.messages).toBe(3); // first online, offline, online again

    // A restarted replica restores the last report and does not re-announce the device.
    const restarted = new LivenessMonitor({
      bus: f.bus,
      directory,
      tracker: new LivenessTracker(3),
      log,
      clock: () => now,
    });
    await sql`insert into latest_reading values ('wl-001', 'water_level', 1, 'm', now(), '2026-11-23T10:05:00Z')`.execute(
      database.db,
    );
    expect(await restarted.restore(database.db)).toBe(1);
    await restarted.recordStored([
      Reading.fromPartial({
        deviceId: 'wl-001',
        metric: 'water_level',
        receivedAt: new Date('2026-11-23T10:06:00Z'),
      }),
    ]);
    expect((await f.bus.jsm.streams.info(stream)).state.messages).toBe(3);
  });
});

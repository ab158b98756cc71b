// A dry run over a device's recorded readings fetched from ingest's gRPC range query (the real
// ingest API in-process on its own database): alerting never reads ingest's tables.
import { protoFiles, protoRoot } from '@slimstad/contracts';
import { Comparison, Severity } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import type { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { ingestService } from '@slimstad/ingest/api/ingest.handler';
import { pushReadingsMethod } from '@slimstad/ingest/api/push-readings';
import type { IntakePublisher } from '@slimstad/ingest/events/intake.publisher';
import type { IngestDatabase } from '@slimstad/ingest/store/db';
import { CachedDeviceDirectory } from '@slimstad/ingest/store/device-directory';
import { migrations as ingestMigrations } from '@slimstad/ingest/store/migrations/index';
import { PartitionMaintenance } from '@slimstad/ingest/store/partition-maintenance';
import { storeReadings } from '@slimstad/ingest/store/reading.repository';
import {
  createDatabase,
  createGrpcServer,
  createLogger,
  createMetrics,
  createTokenVerifier,
  migrateToLatest,
  signToken,
} from '@slimstad/kit';
import { createTestDatabase } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ingestReadings } from '../src/engine/ingest-readings.js';
import { type AlertingFixture, KEY, startAlertingFixture } from './support/alerting-fixture.js';

const log = createLogger('dry-run-ingest', 'silent');
const T0 = Date.now() - 3_600_000;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
let f: AlertingFixture;

beforeAll(async () => {
  const testDb = await createTestDatabase(inject('databaseUrl'), 'dryrun_ingest');
  const database = createDatabase<IngestDatabase>({ url: testDb.url, schema: 'ingest' });
  await migrateToLatest(database.db as never, {
    schema: 'ingest',
    migrations: ingestMigrations,
    log,
  });
  await new PartitionMaintenance(database.db, {
    maxAgeMs: 7 * 86_400_000,
    retentionDays: { public: 30, internal: 30, personal: 30 },
    log,
  }).run();
  // Ten minutes of a water level: rising above 2.3 m from minute 3 to 6, then back to 2.0 m.
  const levels = [2.0, 2.1, 2.2, 2.4, 2.5, 2.5, 2.6, 2.2, 2.0, 2.0];
  await storeReadings(
    database.pool,
    levels.map((value, i) => ({
      ord: i,
      classification: 'public' as const,
      intakeRef: `dry:${i}`,
      reading: {
        deviceId: 'wl-9',
        metric: 'level',
        value,
        unit: 'm',
        observedAt: new Date(T0 + i * 60_000),
        receivedAt: new Date(T0 + i * 60_000 + 500),
        sequence: BigInt(i + 1),
        source: 'test',
        deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
      } as Reading,
    })),
    'insert',
  );
  const directory = new CachedDeviceDirectory(database.db);
  const intake = {
    submit: async () => undefined,
    reject: async () => 'unused',
  } as unknown as IntakePublisher;
  const server = createGrpcServer({
    log,
    metrics: createMetrics('dry-run-ingest', { defaultMetrics: false }),
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [
      ingestService({
        db: database.db,
        directory,
        intake,
        limits: { maxFutureSkewMs: 300_000, maxAgeMs: 7 * 86_400_000 },
        log,
        pushReadings: pushReadingsMethod({ directory, intake, log }),
      }),
    ],
    reflection: { protoRoot, protoFiles },
  });
  const port = await server.start(0, '127.0.0.1');
  const ingest = ingestReadings(
    `127.0.0.1:${port}`,
    await signToken({ key: KEY, subject: 'alerting', roles: ['viewer'], expiresIn: '1h' }),
  );
  f = await startAlertingFixture('dryrun', { deps: { fetchReadings: ingest.fetch } });
  cleanups.push(
    () => f.close(),
    () => ingest.close(),
    () => server.shutdown(1_000),
    () => database.close(),
    () => testDb.drop(),
  );
});
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('dry run over ingest', () => {
  it('fetches the device range from QueryReadings and reports what the rule would have done', async () => {
    const op = await f.api(['operator']);
    const { transitions, samples, source } = await op.dryRunRule({
      rule: {
        id: '',
        version: 0n,
        name: 'level',
        enabled: true,
        severity: Severity.SEVERITY_WARNING,
        scope: {},
        labels: {},
        annotations: {},
        condition: {
          $case: 'threshold',
          value: {
            metric: 'level',
            comparison: Comparison.COMPARISON_ABOVE,
            value: 2.3,
            for: { seconds: 120n, nanos: 0 },
            clearValue: 2.1,
          },
        },
        updatedBy: '',
      },
      samples: [],
      deviceId: 'wl-9',
      startTime: new Date(T0),
      endTime: new Date(T0 + 10 * 60_000),
    });
    expect(source).toBe('ingest');
    expect(samples).toBe(10);
    const minute = (d?: Date) => Math.round(((d?.getTime() ?? 0) - T0) / 60_000);
    expect(transitions.map((t) => [minute(t.time), t.state])).toEqual([
      [3, 'pending'],
      [5, 'firing'],
      [8, 'resolved'],
    ]);
    const { alerts } = await op.listAlerts({ states: [], matchers: [] });
    expect(alerts).toHaveLength(0);
  });

  it('says what is missing when there is nothing to run over', async () => {
    const op = await f.api(['operator']);
    await expect(
      op.dryRunRule({
        rule: {
          id: '',
          version: 0n,
          name: 'x',
          enabled: true,
          severity: 0,
          scope: {},
          labels: {},
          annotations: {},
          condition: {
            $case: 'threshold',
            value: { metric: 'level', comparison: Comparison.COMPARISON_ABOVE, value: 1 },
          },
          updatedBy: '',
        },
        samples: [],
        deviceId: '',
      }),
    ).rejects.toMatchObject({ details: expect.stringMatching(/nothing to run the rule over/) });
  });
});

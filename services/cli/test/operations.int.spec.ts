// `slimstad devices | readings | quarantine` against the real ingest API (registry and query
// handlers on a real PostgreSQL): what an operator types, what the registry then holds, and
// the exit codes scripts rely on. Only the intake bus is replaced, by a recorder: replaying
// through the bus is the reading path's own test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protoFiles, protoRoot } from '@slimstad/contracts';
import type { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { ingestService } from '@slimstad/ingest/api/ingest.handler';
import { pushReadingsMethod } from '@slimstad/ingest/api/push-readings';
import { registryService } from '@slimstad/ingest/api/registry.handler';
import type { IntakePublisher } from '@slimstad/ingest/events/intake.publisher';
import type { IngestDatabase } from '@slimstad/ingest/store/db';
import { auditOf } from '@slimstad/ingest/store/device.repository';
import { CachedDeviceDirectory } from '@slimstad/ingest/store/device-directory';
import { migrations } from '@slimstad/ingest/store/migrations/index';
import { PartitionMaintenance } from '@slimstad/ingest/store/partition-maintenance';
import {
  createDatabase,
  createGrpcServer,
  createLogger,
  createMetrics,
  createTokenVerifier,
  type Database,
  migrateToLatest,
  signToken,
} from '@slimstad/kit';
import { createTestDatabase, type TestDatabase } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../src/index.js';

const KEY = 'cli-operations-secret-0123456789abcdef';
const log = createLogger('cli-operations-test', 'silent');
const files = mkdtempSync(join(tmpdir(), 'slimstad-cli-'));
const submitted: { source: string; batchId: string; readings: Reading[] }[] = [];
const intake = {
  submit: async (source: string, batchId: string, readings: Reading[]) => {
    submitted.push({ source, batchId, readings });
  },
  reject: async () => 'unused',
} as unknown as IntakePublisher;

let testDb: TestDatabase;
let database: Database<IngestDatabase>;
let env: Record<string, string>;
let shutdown: () => Promise<void>;

beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'), 'cli_operations');
  database = createDatabase<IngestDatabase>({ url: testDb.url, schema: 'ingest' });
  await migrateToLatest(database.db as never, { schema: 'ingest', migrations, log });
  await new PartitionMaintenance(database.db, {
    maxAgeMs: 7 * 86_400_000,
    retentionDays: { public: 30, internal: 30, personal: 30 },
    log,
  }).run();
  const directory = new CachedDeviceDirectory(database.db);
  const limits = { maxFutureSkewMs: 300_000, maxAgeMs: 7 * 86_400_000 };
  const server = createGrpcServer({
    log,
    metrics: createMetrics('cli-operations-test', { defaultMetrics: false }),
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [
      registryService({ db: database.db, directory, log }),
      ingestService({
        db: database.db,
        directory,
        intake,
        limits,
        log,
        pushReadings: pushReadingsMethod({ directory, intake, log }),
      }),
    ],
    reflection: { protoRoot, protoFiles },
  });
  const port = await server.start(0, '127.0.0.1');
  shutdown = () => server.shutdown(1_000);
  env = {
    SLIMSTAD_API: `127.0.0.1:${port}`,
    SLIMSTAD_TOKEN: await signToken({ key: KEY, subject: 'olga', roles: ['operator'] }),
  };
});

afterAll(async () => {
  await shutdown?.();
  await database?.close();
  await testDb?.drop();
  rmSync(files, { recursive: true, force: true });
});

async function slimstad(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  });
  return { code, stdout, stderr };
}

const json = async (...args: string[]) => {
  const result = await slimstad(...args, '-o', 'json');
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
};

function file(name: string, content: string): string {
  const path = join(files, name);
  writeFileSync(path, content);
  return path;
}

const HEADER =
  'id,type,name,latitude,longitude,zone,metrics,owner_department,classification,expected_report_interval,network_kind,network_id';

describe('slimstad devices', () => {
  it('imports a CSV, all or nothing, with a row-by-row report and an exit code', async () => {
    const bad = file(
      'bad.csv',
      [
        HEADER,
        'bin-1,bin_fill,Bin 1,51.58,4.77,centrum,fill_level:%:0:100,waste,public,1h,lorawan_tts,70B3D57ED0000001',
        'bin-2,bin_fill,Bin 2,51.58,200,centrum,fill_level:%:0:100,waste,public,1h,lorawan_tts,70B3D57ED0000002',
      ].join('\n'),
    );
    const refused = await slimstad('devices', 'import', bad);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /2\s+bin-2\s+failed\s+location\.longitude: 200 is not in \[-180, 180\]/,
    );
    expect(refused.stderr).toBe('nothing written; created 1, updated 0, unchanged 0, failed 1\n');
    expect((await slimstad('devices', 'get', 'bin-1')).code).toBe(1);

    const good = file(
      'good.csv',
      [
        HEADER,
        'bin-1,bin_fill,Bin 1,51.58,4.77,centrum,fill_level:%:0:100,waste,public,1h,lorawan_tts,70B3D57ED0000001',
        'bin-2,bin_fill,Bin 2,51.58,4.78,centrum,fill_level:%:0:100,waste,public,1h,lorawan_tts,70B3D57ED0000002',
      ].join('\n'),
    );
    const dry = await slimstad('devices', 'import', good, '--dry-run');
    expect(dry).toMatchObject({
      code: 0,
      stderr: 'would be created 2, updated 0, unchanged 0, failed 0\n',
    });
    expect((await slimstad('devices', 'get', 'bin-1')).code).toBe(1);

    const imported = await slimstad('devices', 'import', good);
    expect(imported).toMatchObject({
      code: 0,
      stderr: 'created 2, updated 0, unchanged 0, failed 0\n',
    });
    const again = await slimstad('devices', 'import', good);
    expect(again.stderr).toBe('created 0, updated 0, unchanged 2, failed 0\n');
  });

  it('registers from options, updates exactly the options given, and decommissions with a reason', async () => {
    const registered = await json(
      'devices',
      'register',
      '--id',
      'noise-9',
      '--type',
      'noise',
      '--name',
      'Grote Markt',
      '--lat',
      '51.5886',
      '--lon',
      '4.7759',
      '--metric',
      'laeq:dB[A]:0:140',
      '--metric',
      'lamax:dB[A]',
      '--owner',
      'environment',
      '--classification',
      'internal',
      '--interval',
      '5m',
      '--network',
      'mqtt:noise-9',
      '--label',
      'vendor=sonitus',
    );
    expect(registered).toMatchObject({
      id: 'noise-9',
      type: 'DEVICE_TYPE_NOISE',
      status: 'DEVICE_STATUS_ACTIVE',
      metrics: [
        { name: 'laeq', unit: 'dB[A]', min: 0, max: 140 },
        { name: 'lamax', unit: 'dB[A]' },
      ],
      classification: 'DATA_CLASSIFICATION_INTERNAL',
      expectedReportInterval: { seconds: '300' },
      network: { kind: 'NETWORK_KIND_MQTT', networkId: 'noise-9' },
      labels: { vendor: 'sonitus' },
    });

    const updated = await json(
      'devices',
      'update',
      'noise-9',
      '--zone',
      'markt',
      '--name',
      'Markt',
    );
    expect(updated).toMatchObject({ name: 'Markt', zone: 'markt', labels: { vendor: 'sonitus' } });
    const audit = await auditOf(database.db, 'noise-9');
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['register', 'olga'],
      ['update', 'olga'],
    ]);
    expect(audit[1]?.detail).toMatchObject({ changed: ['name', 'zone'] });

    const noReason = await slimstad('devices', 'decommission', 'noise-9');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/required option '--reason <text>' not specified/);
    const gone = await json('devices', 'decommission', 'noise-9', '--reason', 'vandalised');
    expect(gone.status).toBe('DEVICE_STATUS_DECOMMISSIONED');
  });

  it('lists with filters across pages, and says when more pages exist', async () => {
    const all = await json('devices', 'list', '--zone', 'centrum', '--page-size', '1', '--all');
    expect(all.map((d: { id: string }) => d.id)).toEqual(['bin-1', 'bin-2']);
    const first = await slimstad('devices', 'list', '--zone', 'centrum', '--page-size', '1');
    expect(first.stdout).toMatch(
      /^ID\s+TYPE\s+STATUS\s+ZONE\s+NETWORK\s+METRICS\s+NAME\nbin-1\s+bin_fill\s+active\s+centrum\s+lorawan_tts:70B3D57ED0000001\s+fill_level\[%\]\s+Bin 1\n$/,
    );
    expect(first.stderr).toBe('more devices: pass --all to list every page\n');
    const decommissioned = await json('devices', 'list', '--status', 'decommissioned');
    expect(decommissioned.map((d: { id: string }) => d.id)).toEqual(['noise-9']);
  });

  it('refuses bad options before calling, naming the option', async () => {
    const type = await slimstad('devices', 'list', '--type', 'lamp');
    expect(type.code).toBe(2);
    expect(type.stderr).toMatch(
      /option '--type <type>' argument 'lamp' is invalid\. must be one of pedestrian_counter, bike_counter/,
    );
    const metric = await slimstad('devices', 'update', 'bin-1', '--metric', 'fill_level');
    expect(metric.code).toBe(2);
    expect(metric.stderr).toMatch(/must be name:unit\[:min\[:max\]\]/);
    const nothing = await slimstad('devices', 'update', 'bin-1');
    expect(nothing).toMatchObject({
      code: 2,
      stderr: 'slimstad: nothing to change: give at least one option, e.g. --name\n',
    });
    const half = await slimstad('devices', 'update', 'bin-1', '--lat', '51');
    expect(half).toMatchObject({ code: 2, stderr: 'slimstad: --lat and --lon go together\n' });
  });

  it('shows the server refusal with its field violations, and a viewer cannot change anything', async () => {
    const invalid = await slimstad('devices', 'update', 'bin-1', '--lat', '95', '--lon', '4');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(
      /INVALID_ARGUMENT\)\n {2}- device\.location\.latitude: 95 is not in \[-90, 90\]/,
    );
    const viewer = await signToken({ key: KEY, subject: 'vera', roles: ['viewer'] });
    const denied = await slimstad('devices', 'update', 'bin-1', '--name', 'x', '--token', viewer);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/PERMISSION_DENIED/);
  });
});

describe('slimstad readings', () => {
  it('shows the latest values of a zone and a downsampled range', async () => {
    const t0 = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000);
    for (const [i, value] of [10, 20, 30, 40].entries()) {
      const at = new Date(t0.getTime() + i * 30 * 60_000);
      await database.pool.query(
        `insert into ingest.reading (classification, device_id, metric, observed_at, value, unit, received_at, source, intake_ref)
         values ('public', 'bin-1', 'fill_level', $1, $2, '%', $1, 'test', $3)`,
        [at, value, `t:${i}`],
      );
    }
    await database.pool.query(
      `insert into ingest.latest_reading (device_id, metric, value, unit, observed_at, received_at)
       values ('bin-1', 'fill_level', 40, '%', $1, $1)`,
      [t0],
    );
    const latest = await slimstad('readings', 'latest', '--zone', 'centrum');
    expect(latest.code).toBe(0);
    expect(latest.stdout).toMatch(/bin-1\s+bin_fill\s+centrum\s+fill_level\s+40\s+%/);

    const range = await json(
      'readings',
      'query',
      '--device',
      'bin-1',
      '--metric',
      'fill_level',
      '--from',
      t0.toISOString(),
      '--to',
      new Date(t0.getTime() + 2 * 3_600_000).toISOString(),
      '--bucket',
      '1h',
    );
    expect(range.unit).toBe('%');
    expect(range.buckets.map((b: { avg: number; count: string }) => [b.avg, b.count])).toEqual([
      [15, '2'],
      [35, '2'],
    ]);

    const none = await slimstad('readings', 'latest');
    expect(none).toMatchObject({
      code: 2,
      stderr: 'slimstad: select devices: --device, --zone or --type\n',
    });
    const badTime = await slimstad(
      'readings',
      'query',
      '--device',
      'bin-1',
      '--metric',
      'x',
      '--from',
      'yesterday',
    );
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toMatch(/--from <time>.*must be an ISO 8601 time with a zone/);
  });
});

describe('slimstad quarantine', () => {
  it('lists refused readings and replays those the registry now accepts', async () => {
    const observedAt = new Date(Date.now() - 60_000).toISOString();
    await database.pool.query(
      `insert into ingest.quarantine (id, reason, detail, source, device_id, reading, received_at)
       values ('q-1', 'REJECTION_REASON_UNKNOWN_DEVICE', 'no device bin-2 yet', 'mqtt', 'bin-2', $1::jsonb, now())`,
      [
        JSON.stringify({
          deviceId: 'bin-2',
          metric: 'fill_level',
          value: 55,
          unit: '%',
          observedAt,
        }),
      ],
    );
    const listed = await slimstad('quarantine', 'list', '--reason', 'unknown_device');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      /q-1\s+\S+\s+unknown_device\s+bin-2\s+mqtt\s+no device bin-2 yet/,
    );

    const dry = await json('quarantine', 'replay', '--device', 'bin-2', '--dry-run');
    expect(dry).toEqual({
      matchedCount: 1,
      acceptedCount: 1,
      stillRejectedCount: 0,
      notFoundCount: 0,
    });
    expect(submitted).toEqual([]);

    const replayed = await json('quarantine', 'replay', '--id', 'q-1', '--id', 'q-404');
    expect(replayed).toEqual({
      matchedCount: 1,
      acceptedCount: 1,
      stillRejectedCount: 0,
      notFoundCount: 1,
    });
    expect(submitted).toHaveLength(1);
    expect(submitted[0]?.readings[0]).toMatchObject({ deviceId: 'bin-2', value: 55 });
    const after = await slimstad('quarantine', 'list', '--reason', 'unknown_device');
    expect(after.stdout).toBe('the quarantine is empty for that filter\n');

    const neither = await slimstad('quarantine', 'replay');
    expect(neither.code).toBe(2);
  });
});

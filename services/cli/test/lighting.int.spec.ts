// `slimstad lighting …` against the real lighting API handlers on a real PostgreSQL: what an
// operator or admin types, what the service then holds, and the exit codes. The control loop
// is left out (its own tests drive lamps through NATS); here it only records that the API
// told it about each change.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protoFiles, protoRoot } from '@slimstad/contracts';
import {
  createDatabase,
  createGrpcServer,
  createLogger,
  createMetrics,
  createTokenVerifier,
  type Database,
  ManualClock,
  migrateToLatest,
  type Role,
  signToken,
} from '@slimstad/kit';
import { lightingService } from '@slimstad/lighting/api/lighting.handler';
import { auditOf } from '@slimstad/lighting/store/audit.repository';
import type { LightingDatabase } from '@slimstad/lighting/store/db';
import { migrations } from '@slimstad/lighting/store/migrations/index';
import { createTestDatabase, type TestDatabase } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../src/index.js';

const KEY = 'cli-lighting-secret-0123456789abcdef';
const log = createLogger('cli-lighting-test', 'silent');
const files = mkdtempSync(join(tmpdir(), 'slimstad-cli-lighting-'));
const clock = new ManualClock(Date.parse('2026-11-23T20:00:00Z'));
let changes = 0;

let testDb: TestDatabase;
let database: Database<LightingDatabase>;
let address: string;
let shutdown: () => Promise<void>;

beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'), 'cli_lighting');
  database = createDatabase<LightingDatabase>({ url: testDb.url, schema: 'lighting' });
  await migrateToLatest(database.db as never, { schema: 'lighting', migrations, log });
  const engine = {
    changed: async () => {
      changes += 1;
    },
    view: () => [],
    flushEnergy: async () => {},
  };
  const server = createGrpcServer({
    log,
    metrics: createMetrics('cli-lighting-test', { defaultMetrics: false }),
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [lightingService({ db: database.db, engine, clock, log })],
    reflection: { protoRoot, protoFiles },
  });
  address = `127.0.0.1:${await server.start(0, '127.0.0.1')}`;
  shutdown = () => server.shutdown(1_000);
});

afterAll(async () => {
  await shutdown?.();
  await database?.close();
  await testDb?.drop();
  rmSync(files, { recursive: true, force: true });
});

async function slimstad(roles: Role[], ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const env = {
    SLIMSTAD_LIGHTING_API: address,
    SLIMSTAD_TOKEN: await signToken({ key: KEY, subject: roles.join('+'), roles }),
  };
  const code = await run(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  });
  return { code, stdout, stderr };
}

describe('slimstad lighting', () => {
  it('sets up a park: zone, lamps from a file with their paths, a profile from a file', async () => {
    const zone = await slimstad(
      ['admin'],
      'lighting',
      'zones',
      'create',
      '--id',
      'kruidtuin',
      '--name',
      'Kruidtuin',
      '--kind',
      'park',
      '--lat',
      '51.0246',
      '--lon',
      '4.478',
    );
    expect(zone.code).toBe(0);
    const lamps = join(files, 'lamps.json');
    writeFileSync(
      lamps,
      JSON.stringify([
        {
          id: 'kt-02',
          zoneId: 'kruidtuin',
          location: { latitude: 51.0246, longitude: 4.4784 },
          ratedPowerWatts: 40,
          minLevel: 10,
          neighbourIds: ['kt-01'],
          detectorIds: ['pr-kruidtuin'],
        },
        {
          id: 'kt-01',
          zoneId: 'kruidtuin',
          location: { latitude: 51.0246, longitude: 4.478 },
          ratedPowerWatts: 40,
          minLevel: 10,
        },
      ]),
    );
    const imported = await slimstad(['admin'], 'lighting', 'lamps', 'import', '--file', lamps);
    expect(imported.code).toBe(0);
    const listed = await slimstad(
      ['viewer'],
      'lighting',
      'lamps',
      'list',
      '--zone',
      'kruidtuin',
      '-o',
      'json',
    );
    const ids = JSON.parse(listed.stdout).map((l: { id: string }) => l.id);
    expect(ids).toEqual(['kt-01', 'kt-02']);
    const kt02 = JSON.parse(
      (await slimstad(['viewer'], 'lighting', 'lamps', 'get', 'kt-02', '-o', 'json')).stdout,
    );
    expect(kt02.neighbourIds).toEqual(['kt-01']);

    const profileFile = join(files, 'profile.json');
    const current = JSON.parse(
      (await slimstad(['viewer'], 'lighting', 'profile', 'get', 'kruidtuin', '-o', 'json')).stdout,
    );
    writeFileSync(
      profileFile,
      JSON.stringify({ ...current, weekday: { baseLevel: 30, presenceLevel: 100 } }),
    );
    const set = await slimstad(
      ['admin'],
      'lighting',
      'profile',
      'set',
      'kruidtuin',
      '--file',
      profileFile,
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const after = JSON.parse(
      (await slimstad(['viewer'], 'lighting', 'profile', 'get', 'kruidtuin', '-o', 'json')).stdout,
    );
    expect(after.weekday).toEqual({ baseLevel: 30, presenceLevel: 100 });
    expect(changes).toBeGreaterThanOrEqual(4);
  });

  it('refuses an operator editing a profile, and a bad level, with exit code 1', async () => {
    const profileFile = join(files, 'profile.json');
    const denied = await slimstad(
      ['operator'],
      'lighting',
      'profile',
      'set',
      'kruidtuin',
      '--file',
      profileFile,
    );
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/PERMISSION_DENIED|permission|role/i);
    const bad = await slimstad(
      ['operator'],
      'lighting',
      'override',
      'set',
      '--zone',
      'kruidtuin',
      '--level',
      '120',
      '--for',
      '1h',
      '--reason',
      'x',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--level/);
  });

  it('overrides a zone for a while with a reason, lists it, clears it, and the audit names who', async () => {
    const set = await slimstad(
      ['operator'],
      'lighting',
      'override',
      'set',
      '--zone',
      'kruidtuin',
      '--level',
      '100',
      '--for',
      '2h',
      '--reason',
      'night market',
      '-o',
      'json',
    );
    expect(set.code).toBe(0);
    const override = JSON.parse(set.stdout);
    expect(override).toMatchObject({
      zoneId: 'kruidtuin',
      level: 100,
      reason: 'night market',
      createdBy: 'operator',
    });
    expect(Date.parse(override.endTime) - clock.now()).toBe(2 * 3_600_000);
    const listed = JSON.parse(
      (
        await slimstad(
          ['viewer'],
          'lighting',
          'override',
          'list',
          '--zone',
          'kruidtuin',
          '-o',
          'json',
        )
      ).stdout,
    );
    expect(listed.map((o: { id: string }) => o.id)).toEqual([override.id]);
    const cleared = await slimstad(
      ['operator'],
      'lighting',
      'override',
      'clear',
      override.id,
      '--reason',
      'market cancelled',
    );
    expect(cleared.code).toBe(0);
    const none = JSON.parse(
      (
        await slimstad(
          ['viewer'],
          'lighting',
          'override',
          'list',
          '--zone',
          'kruidtuin',
          '-o',
          'json',
        )
      ).stdout,
    );
    expect(none).toEqual([]);
    const audit = await auditOf(database.db, `override:${override.id}`);
    expect(audit.map((r) => [r.action, r.actor])).toEqual([
      ['override.set', 'operator'],
      ['override.clear', 'operator'],
    ]);
  });

  it('reports energy for a day (none booked yet) and refuses a malformed date', async () => {
    const energy = await slimstad(
      ['viewer'],
      'lighting',
      'energy',
      '--zone',
      'kruidtuin',
      '--from',
      '2026-11-23',
    );
    expect(energy.code).toBe(0);
    const bad = await slimstad(['viewer'], 'lighting', 'energy', '--from', '23-11-2026');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--from|from_date/);
  });
});

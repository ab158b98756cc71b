// `slimstad waste …` against the real waste service, started in-process as its own test
// fixture starts it (startWaste on a real PostgreSQL and NATS, a hand-set city clock, the gRPC
// API on a loopback port): what an admin and an operator type, what the service then plans and
// records, and the exit codes of refusals.
import { protoFiles, protoRoot, sensorStreams, wasteStreams } from '@slimstad/contracts';
import {
  Bus,
  connectNats,
  createDatabase,
  createGrpcServer,
  createLogger,
  createMetrics,
  createTokenVerifier,
  type Database,
  loadConfig,
  ManualClock,
  migrateToLatest,
  type Role,
  signToken,
} from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { wasteConfigSchema } from '@slimstad/waste/config';
import type { WasteDatabase } from '@slimstad/waste/store/db';
import { migrations } from '@slimstad/waste/store/migrations/index';
import { startWaste, type Waste } from '@slimstad/waste/waste-service';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../src/index.js';

const KEY = 'cli-waste-secret-0123456789abcdef';
const log = createLogger('cli-waste-test', 'silent');
// Monday 7 December 2026, 05:00 in Brussels.
const NOW = Date.parse('2026-12-07T04:00:00Z');

let testDb: TestDatabase;
let database: Database<WasteDatabase>;
let ns: TestNamespace;
let bus: Bus;
let waste: Waste;
let address: string;
let shutdown: () => Promise<void>;

beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'), 'cli_waste');
  database = createDatabase<WasteDatabase>({ url: testDb.url, schema: 'waste' });
  await migrateToLatest(database.db as never, { schema: 'waste', migrations, log });
  const natsUrl = inject('natsUrl');
  ns = createTestNamespace(natsUrl, 'cli_waste');
  const nc = await connectNats({ url: natsUrl, name: 'cli-waste-test', log });
  bus = await Bus.create(nc, { namespace: ns.namespace, log });
  await bus.declareStreams(...wasteStreams, ...sensorStreams);
  const metrics = createMetrics('cli-waste-test', { defaultMetrics: false });
  waste = await startWaste({
    db: database.db,
    bus,
    clock: new ManualClock(NOW),
    log,
    metrics,
    // The service's defaults (great-circle travel times, threshold 80 %, Europe/Brussels).
    settings: loadConfig(wasteConfigSchema, { AUTH_JWT_KEY: 'unused-here' }),
  });
  const server = createGrpcServer({
    log,
    metrics,
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [waste.api],
    reflection: { protoRoot, protoFiles },
  });
  address = `127.0.0.1:${await server.start(0, '127.0.0.1')}`;
  shutdown = () => server.shutdown(1_000);
});

afterAll(async () => {
  await shutdown?.();
  await waste?.stop().catch(() => undefined);
  await bus?.drain();
  await ns?.cleanup();
  await database?.close();
  await testDb?.drop();
});

async function slimstad(roles: Role[], subject: string, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const env = {
    SLIMSTAD_WASTE_API: address,
    SLIMSTAD_TOKEN: await signToken({ key: KEY, subject, roles }),
  };
  const code = await run(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  });
  return { code, stdout, stderr };
}
const admin = (...args: string[]) => slimstad(['admin'], 'ada', ...args);
const operator = (...args: string[]) => slimstad(['operator'], 'otto', ...args);
const viewer = (...args: string[]) => slimstad(['viewer'], 'vera', ...args);
const json = (result: { code: number; stdout: string; stderr: string }) => {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
};

describe('slimstad waste', () => {
  it('sets up a truck and bins (admin) and lists them', async () => {
    const truck = await admin(
      'waste',
      'vehicle',
      'add',
      'glass-1',
      '--name',
      'Glass truck',
      '--streams',
      'glass',
      '--litres',
      '6000',
      '--kg',
      '3000',
      '--depot',
      '51.04,3.70',
      '--unload',
      '51.03,3.75',
      '--shift',
      '07:00-15:00',
      '--max-route',
      '7h',
      '--service-seconds',
      '180',
    );
    expect(truck.stderr).toBe('');
    expect(truck.stdout).toMatch(/^ID\s+STREAMS\s+LITRES\s+KG\s+SHIFT\s+DEPOT\n/);
    expect(truck.stdout).toMatch(/glass-1\s+glass\s+6000\s+3000\s+07:00-15:00\s+51.04,3.7/);
    for (const [i, id] of ['g1', 'g2', 'g3'].entries()) {
      const added = await admin(
        'waste',
        'bin',
        'add',
        id,
        '--name',
        `Glass ${id}`,
        '--lat',
        String(51.05 + i / 200),
        '--lon',
        '3.72',
        '--litres',
        '2500',
        '--stream',
        'glass',
        '--window',
        '07:00-12:00',
      );
      expect(added.stderr).toBe('');
      expect(added.code).toBe(0);
    }
    const bins = json(await viewer('waste', 'bins', '--stream', 'glass', '-o', 'json'));
    expect(bins.map((b: { id: string; deviceId: string }) => [b.id, b.deviceId])).toEqual([
      ['g1', 'g1'],
      ['g2', 'g2'],
      ['g3', 'g3'],
    ]);
    expect(json(await viewer('waste', 'vehicles', '-o', 'json'))[0]).toMatchObject({
      id: 'glass-1',
      maxRouteMinutes: 420,
      unloadSeconds: 900,
    });
  });

  it('marks a bin must-visit (operator), shows it due, plans, confirms and re-plans', async () => {
    const refused = await viewer('waste', 'must-visit', 'on', 'g2', '--reason', 'shards');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(PERMISSION_DENIED)');
    const marked = await operator(
      'waste',
      'must-visit',
      'on',
      'g2',
      '--reason',
      'glass shards reported',
    );
    expect(marked.stderr).toBe('');
    const due = await viewer('waste', 'due', '--stream', 'glass', '--date', '2026-12-07');
    expect(due.stdout).toMatch(/^BIN\s+REASON\s+PREDICTED\n/);
    expect(due.stdout).toMatch(/g2\s+must-visit/);
    const plan = json(
      await operator('waste', 'plan', '--stream', 'glass', '--date', '2026-12-07', '-o', 'json'),
    );
    expect(plan.routes[0].vehicleId).toBe('glass-1');
    // The bin, then the unload before going home.
    expect(
      plan.routes[0].visits.map((v: { binId?: string; unload?: boolean }) =>
        v.unload ? 'unload' : v.binId,
      ),
    ).toEqual(['g2', 'unload']);
    const list = await viewer('waste', 'routes', '--stream', 'glass');
    expect(list.stdout).toMatch(
      new RegExp(`${plan.id}\\s+glass\\s+2026-12-07\\s+1\\s+1\\s+0\\s+[\\d.]+ km\\s+great-circle`),
    );
    const shown = await viewer('waste', 'routes', 'show', plan.id);
    expect(shown.stdout).toMatch(/^VEHICLE\s+SEQ\s+STOP\s+ARRIVAL\s+LOAD\s+LATE\s+STATUS\n/);
    expect(shown.stdout).toMatch(
      /glass-1\s+1\s+g2\s+2026-12-07T06:\d\d:\d\d.\d+Z\s+2500 l \/ 750 kg\s+-\s+planned/,
    );
    const replanned = json(await operator('waste', 'replan', plan.id, '-o', 'json'));
    expect(replanned.replacesPlanId).toBe(plan.id);
    const emptied = json(
      await operator('waste', 'emptied', 'g2', '--vehicle', 'glass-1', '-o', 'json'),
    );
    expect(emptied).toEqual({ binId: 'g2', vehicleId: 'glass-1', planId: replanned.id });
    const bin = json(await viewer('waste', 'bin', 'get', 'g2', '-o', 'json'));
    expect(bin[0].mustVisit).toBeUndefined(); // cleared by the emptying (false is left out)
  });

  it('shows the audit and refuses what a role may not do', async () => {
    const audit = await operator('waste', 'audit', '--target', 'g2');
    expect(audit.stdout).toMatch(/^TIME\s+ACTOR\s+ACTION\s+TARGET\s+DETAIL\n/);
    expect(audit.stdout).toMatch(/otto\s+bin\.must_visit\s+g2\s+glass shards reported/);
    expect(audit.stdout).toMatch(/ada\s+bin\.create\s+g2/);
    const refused = await operator(
      'waste',
      'bin',
      'add',
      'g4',
      '--name',
      'G4',
      '--lat',
      '51',
      '--lon',
      '3.7',
      '--litres',
      '100',
      '--stream',
      'glass',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(PERMISSION_DENIED)');
    const invalid = await admin(
      'waste',
      'bin',
      'add',
      'g1',
      '--name',
      'dup',
      '--lat',
      '51',
      '--lon',
      '3.7',
      '--litres',
      '100',
      '--stream',
      'glass',
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toBe('slimstad: bin g1 already exists (ALREADY_EXISTS)\n');
  });
});

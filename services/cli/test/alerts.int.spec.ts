// `slimstad alerts …` against the real alerting service, started in-process (startAlerting on a
// real PostgreSQL and NATS, the gRPC API on a loopback port): rules from a file, a dry run
// from a CSV, the operators' actions on an alert, silences and resource points; exit codes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAlerting } from '@slimstad/alerting/alerting-service';
import { nearestPoints } from '@slimstad/alerting/api/nearest';
import { createBuild, createDeliver, createRouter } from '@slimstad/alerting/engine/notifications';
import type { AlertingDatabase } from '@slimstad/alerting/store/db';
import { migrations } from '@slimstad/alerting/store/migrations/index';
import { alertingStreams, FederationShareStream, protoFiles, protoRoot } from '@slimstad/contracts';
import {
  Bus,
  connectNats,
  createDatabase,
  createGrpcServer,
  createLogger,
  createMetrics,
  createTokenVerifier,
  migrateToLatest,
  type Role,
  signToken,
  systemClock,
} from '@slimstad/kit';
import { createTestDatabase, createTestNamespace } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../src/index.js';

const KEY = 'cli-alerting-secret-0123456789abcdef';
const log = createLogger('cli-alerting-test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'cli-alerts-'));
let address: string;
let service: Awaited<ReturnType<typeof startAlerting>>;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const testDb = await createTestDatabase(inject('databaseUrl'), 'cli_alerting');
  const database = createDatabase<AlertingDatabase>({ url: testDb.url, schema: 'alerting' });
  await migrateToLatest(database.db as never, { schema: 'alerting', migrations, log });
  const ns = createTestNamespace(inject('natsUrl'), 'cli_alerting');
  const bus = await Bus.create(
    await connectNats({ url: inject('natsUrl'), name: 'cli-alerting', log }),
    { namespace: ns.namespace, log },
  );
  await bus.declareStreams(...alertingStreams, FederationShareStream);
  const metrics = createMetrics('cli-alerting-test', { defaultMetrics: false });
  service = await startAlerting({
    db: database.db,
    bus,
    clock: systemClock,
    log,
    metrics,
    settings: {
      ALERTING_TICK_MS: 1_000,
      ALERTING_DISPATCH_POLL_MS: 1_000,
      ALERTING_RULES_RELOAD_MS: 1_000,
      ALERTING_DELIVERY_ATTEMPTS: 3,
      ALERTING_RETRY_INITIAL_MS: 100,
      ALERTING_RETRY_MAX_MS: 1_000,
      ALERTING_CLAIM_MS: 5_000,
    },
    router: createRouter(undefined, []),
    deliver: createDeliver(new Map()),
    build: createBuild('http://alerting.test'),
    inhibitRules: [],
    nearest: nearestPoints,
    consumers: false,
  });
  const server = createGrpcServer({
    log,
    metrics,
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [service.api],
    reflection: { protoRoot, protoFiles },
  });
  address = `127.0.0.1:${await server.start(0, '127.0.0.1')}`;
  cleanups.push(
    () => server.shutdown(1_000),
    () => service.stop(),
    () => bus.drain(),
    () => ns.cleanup(),
    () => database.close(),
    () => testDb.drop(),
  );
});
afterAll(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
});

async function slimstad(roles: Role[], subject: string, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {
      SLIMSTAD_ALERTING_API: address,
      SLIMSTAD_TOKEN: await signToken({ key: KEY, subject, roles }),
    },
  });
  return { code, stdout, stderr };
}
const admin = (...a: string[]) => slimstad(['admin'], 'ada', ...a);
const op = (...a: string[]) => slimstad(['operator'], 'olga', ...a);
const viewer = (...a: string[]) => slimstad(['viewer'], 'vera', ...a);
const json = (r: { code: number; stdout: string; stderr: string }) => {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

describe('slimstad alerts', () => {
  it('applies a rule from a file, saves a new version on the second apply, and dry-runs it', async () => {
    const rule = {
      id: 'dyle-high',
      name: 'Dyle high',
      enabled: true,
      severity: 'SEVERITY_CRITICAL',
      scope: { zone: 'dyle' },
      threshold: {
        metric: 'level',
        comparison: 'COMPARISON_ABOVE',
        value: 2.3,
        for: { seconds: 60 },
        clearValue: 2.1,
      },
    };
    const file = join(dir, 'rule.json');
    writeFileSync(file, JSON.stringify(rule));
    expect(json(await admin('alerts', 'rules', 'apply', '-f', file, '-o', 'json')).version).toBe(
      '1',
    );
    expect(json(await admin('alerts', 'rules', 'apply', '-f', file, '-o', 'json')).version).toBe(
      '2',
    );
    const listed = await viewer('alerts', 'rules', 'list');
    expect(listed.stdout).toMatch(/dyle-high\s+2\s+Dyle high\s+threshold\s+yes\s+no\s+ada/);
    const denied = await op('alerts', 'rules', 'apply', '-f', file);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/PERMISSION_DENIED|permission/i);

    const csv = join(dir, 'samples.csv');
    writeFileSync(
      csv,
      'time,value,device\n2026-12-01T00:00:00Z,2.4,wl-1\n2026-12-01T00:01:00Z,2.5,wl-1\n2026-12-01T00:02:00Z,2.0,wl-1\n',
    );
    const test = await op('alerts', 'rules', 'test', '-f', file, '--samples', csv);
    expect(test.stdout).toMatch(/2026-12-01T00:00:00.000Z\s+pending\s+wl-1/);
    expect(test.stdout).toMatch(/2026-12-01T00:01:00.000Z\s+firing\s+wl-1/);
    expect(test.stdout).toMatch(/2026-12-01T00:02:00.000Z\s+resolved\s+wl-1/);
  });

  it('lists, acknowledges, assigns, comments and resolves an alert, with its history', async () => {
    const rule = service.engine.enabledRules.find((r) => r.id === 'dyle-high');
    expect(rule).toBeDefined();
    const { alert } = await service.alerts.fire(
      rule!,
      { device: 'wl-1', zone: 'dyle' },
      'level 2.6',
    );
    expect((await viewer('alerts', 'list', '--state', 'firing')).stdout).toMatch(
      new RegExp(`${alert.id}\\s+firing\\s+Dyle high\\s+critical\\s+wl-1\\s+dyle`),
    );
    expect((await viewer('alerts', 'ack', alert.id)).code).not.toBe(0);
    expect((await op('alerts', 'ack', alert.id, '--comment', 'on it')).stdout).toMatch(
      /acknowledged/,
    );
    expect((await op('alerts', 'assign', alert.id, 'dirk')).stdout).toMatch(/dirk/);
    expect((await op('alerts', 'comment', alert.id, 'sandbags placed')).code).toBe(0);
    expect((await op('alerts', 'resolve', alert.id)).stdout).toMatch(/resolved/);
    const history = await viewer('alerts', 'get', alert.id);
    expect(history.stdout).toMatch(/fired\s+system/);
    expect(history.stdout).toMatch(/acknowledged\s+olga\s+on it/);
    expect(history.stdout).toMatch(/assigned\s+olga\s+dirk/);
    expect(history.stdout).toMatch(/comment\s+olga\s+sandbags placed/);
    expect(history.stdout).toMatch(/resolved\s+olga/);
  });

  it('adds, lists and expires a silence; manages resource points', async () => {
    const added = json(
      await op(
        'alerts',
        'silences',
        'add',
        '--match',
        'zone=dyle',
        '--match',
        'device=~wl-.*',
        '--for',
        '2h',
        '--comment',
        'works',
        '-o',
        'json',
      ),
    );
    expect(added[0].createdBy).toBe('olga');
    expect((await viewer('alerts', 'silences', 'list')).stdout).toMatch(
      /zone=dyle,device=~wl-\.\*/,
    );
    expect(
      (await op('alerts', 'silences', 'add', '--match', 'zone', '--for', '2h', '--comment', 'x'))
        .stderr,
    ).toMatch(/must look like name=value/);
    expect((await op('alerts', 'silences', 'expire', added[0].id)).code).toBe(0);
    expect((await viewer('alerts', 'silences', 'list')).stdout).toMatch(/no silences/);

    await admin(
      'alerts',
      'resources',
      'put',
      'sb-1',
      '--kind',
      'sandbags',
      '--name',
      'Vrijbroekpark',
      '--lat',
      '51.031',
      '--lon',
      '4.49',
    );
    await admin(
      'alerts',
      'resources',
      'put',
      'sb-2',
      '--kind',
      'sandbags',
      '--name',
      'Depot Zuid',
      '--lat',
      '51.0',
      '--lon',
      '4.6',
    );
    const nearest = await viewer(
      'alerts',
      'resources',
      'nearest',
      '--kind',
      'sandbags',
      '--lat',
      '51.03',
      '--lon',
      '4.48',
      '--count',
      '1',
    );
    expect(nearest.stdout).toMatch(/sb-1\s+sandbags\s+Vrijbroekpark/);
    expect(nearest.stdout).not.toMatch(/sb-2/);
  });
});

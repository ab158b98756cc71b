// The federation API and the local (region-less) city on the shared NATS and Postgres: the
// policy in force, role checks, reloads that are validated and audited, and shared streams
// derived locally (what the demo city does) with the classification rules applied.
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import {
  DeviceChanged,
  protoFiles,
  protoRoot,
  ReadingRecorded,
  sensorStreams,
} from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import { SharedAggregate } from '@slimstad/contracts/gen/slimstad/federation/v1/federation';
import { FederationServiceClient } from '@slimstad/contracts/gen/slimstad/federation/v1/federation_service';
import { DeviceChangeKind, DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import {
  Bus,
  createClient,
  createDatabase,
  createGrpcServer,
  createLogger,
  createMetrics,
  createTokenVerifier,
  isServiceError,
  ManualClock,
  migrateToLatest,
  promisifyUnary,
  type Role,
  signToken,
} from '@slimstad/kit';
import { createTestDatabase, createTestNamespace, eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from '../../../deploy/local/lib/test-support.js';
import { federationService } from '../src/api/federation.handler.js';
import { type Federation, startFederation } from '../src/federation-service.js';
import { loadPolicy, type PolicyControl, policyControl } from '../src/policy-control.js';
import { repoRoot } from '../src/region-files.js';
import type { FederationDatabase } from '../src/store/db.js';
import { migrations } from '../src/store/migrations/index.js';

const KEY = 'federation-test-secret-0123456789abcdef';
const log = createLogger('federation-api-test', 'silent');
const dir = tempDir('federation-api');
const policyFile = path.join(dir.dir, 'demo.policy.yaml');
const cleanups: (() => Promise<unknown> | unknown)[] = [];
const clock = new ManualClock(Date.parse('2026-12-03T10:00:00.000Z'));
let federation: Federation;
let control: PolicyControl;
let bus: Bus;
let address: string;
let database: ReturnType<typeof createDatabase<FederationDatabase>>;

async function api(roles: Role[], subject = 'ada') {
  const token = await signToken({ key: KEY, subject, roles });
  const client = createClient(FederationServiceClient, address, { token, deadlineMs: 10_000 });
  cleanups.push(() => client.close());
  return {
    getPolicy: promisifyUnary(client, client.getPolicy),
    reloadPolicy: promisifyUnary(client, client.reloadPolicy),
    listLinks: promisifyUnary(client, client.listLinks),
    listPolicyAudit: promisifyUnary(client, client.listPolicyAudit),
  };
}
const code = (error: unknown) => (isServiceError(error) ? error.code : undefined);

beforeAll(async () => {
  copyFileSync(path.join(repoRoot, 'deploy/federation/demo.policy.yaml'), policyFile);
  const testDb = await createTestDatabase(inject('databaseUrl'), 'federation_api');
  database = createDatabase<FederationDatabase>({ url: testDb.url, schema: 'federation' });
  await migrateToLatest(database.db as never, { schema: 'federation', migrations, log });
  const ns = createTestNamespace(inject('natsUrl'), 'federation');
  const nc = await connect({ servers: inject('natsUrl') });
  bus = await Bus.create(nc, { namespace: ns.namespace, log });
  await bus.declareStreams(...sensorStreams);
  await bus.publish(
    DeviceChanged,
    { type: 'x', device: 'wl-1' },
    DeviceChanged.codec.fromPartial({
      device: {
        id: 'wl-1',
        type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
        zone: 'river',
        classification: DataClassification.DATA_CLASSIFICATION_INTERNAL,
      },
      kind: DeviceChangeKind.DEVICE_CHANGE_KIND_REGISTERED,
    } as never),
    { msgId: 'device:wl-1' },
  );
  const metrics = createMetrics('federation', { defaultMetrics: false });
  federation = await startFederation({
    bus,
    city: 'demo',
    policy: loadPolicy(policyFile, 'demo'),
    settings: {
      federated: false,
      linkCheckMs: 1_000,
      stallAfterMs: 60_000,
      windowGraceMs: 60_000,
      flushMs: 100,
      inbound: new Map(),
    },
    clock,
    log,
    metrics,
  });
  control = policyControl({
    federation,
    file: policyFile,
    city: 'demo',
    db: database.db,
    log,
    watchMs: 0,
  });
  const server = createGrpcServer({
    log,
    metrics,
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [federationService({ federation, control, db: database.db })],
    reflection: { protoRoot, protoFiles },
  });
  address = `127.0.0.1:${await server.start(0, '127.0.0.1')}`;
  cleanups.push(
    () => server.shutdown(1_000),
    () => federation.stop(),
    () => nc.drain(),
    () => ns.cleanup(),
    () => database.close(),
    () => testDb.drop(),
    () => dir.remove(),
  );
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('the local city (in no region)', () => {
  it('derives its shared streams under share.… with device ids only as stations', async () => {
    const got: SharedAggregate[] = [];
    const sub = bus.nc.subscribe(bus.ns.subject('share.water_levels.>'), {
      callback: (_e, m) => {
        got.push(SharedAggregate.decode(m.data));
      },
    });
    for (const [i, value] of [0.5, 1.5].entries()) {
      await bus.publish(
        ReadingRecorded,
        { type: 'water_level', device: 'wl-1' },
        Reading.fromPartial({
          deviceId: 'wl-1',
          metric: 'water_level',
          value,
          unit: 'm',
          // A reading is its device, metric and time: two of them a millisecond apart.
          observedAt: new Date(clock.now() + i),
        }),
        { msgId: `wl-1:${i}` },
      );
    }
    await new Promise((r) => setTimeout(r, 500));
    clock.advance(17 * 60_000);
    await eventually(() => expect(got).toHaveLength(1), 10_000);
    expect(got[0]).toMatchObject({
      city: 'demo',
      stream: 'water_levels',
      key: 'wl-1',
      value: 1,
      count: 2n,
    });
    expect(federation.links()).toEqual({ hubUp: false, links: [] });
    sub.unsubscribe();
  });
});

describe('FederationService', () => {
  it('shows the policy in force to viewers, with the subjects it shares', async () => {
    const viewer = await api(['viewer']);
    const policy = await viewer.getPolicy({});
    expect(policy.city).toBe('demo');
    expect(policy.shares.map((s) => [s.name, s.granularity, s.subject])).toEqual([
      ['water_levels', 'aggregated', 'share.water_levels.>'],
      ['alert', 'alerts', 'share.alert.cap'],
    ]);
    expect(await viewer.listLinks({})).toEqual({ hubUp: false, links: [] });
  });

  it('reloads only for admins, with a reason', async () => {
    const viewer = await api(['viewer']);
    const operator = await api(['operator']);
    for (const who of [viewer, operator]) {
      await expect(who.reloadPolicy({ reason: 'try' })).rejects.toSatisfy((e) => code(e) === 7);
    }
    const admin = await api(['admin']);
    await expect(admin.reloadPolicy({ reason: ' ' })).rejects.toThrow(/reason/);
  });

  it('refuses an invalid file naming each problem, keeps the policy in force, and audits it', async () => {
    const admin = await api(['admin'], 'ada');
    writeFileSync(
      policyFile,
      'city: demo\nshares:\n  - name: cams\n    granularity: raw\n    to: [demo]\n  - name: Bad Name\n    granularity: aggregated\n    metrics: [x]\n',
    );
    const error = await admin.reloadPolicy({ reason: 'share the cameras' }).catch((e) => e);
    expect(code(error)).toBe(3);
    expect(error.details).toMatch(/shares.1.name: must be lower-case/);
    writeFileSync(
      policyFile,
      'city: demo\nshares:\n  - name: cams\n    granularity: raw\n    to: [demo]\n  - name: lvl\n    granularity: aggregated\n    metrics: [x]\n',
    );
    const error2 = await admin.reloadPolicy({ reason: 'share the cameras' }).catch((e) => e);
    expect(error2.details).toMatch(/shares.0 \(cams\): metrics: name at least one metric/);
    expect(error2.details).toMatch(/shares.0 \(cams\): to: demo is this city itself/);
    expect(error2.details).toMatch(/shares.1 \(lvl\): aggregate: required/);
    expect((await admin.getPolicy({})).shares.map((s) => s.name)).toEqual([
      'water_levels',
      'alert',
    ]);
  });

  it('puts a valid file in force at once and audits who did it and why', async () => {
    const admin = await api(['admin'], 'ada');
    writeFileSync(
      policyFile,
      'city: demo\nshares:\n  - name: water_levels\n    granularity: aggregated\n    metrics: [water_level]\n    aggregate: { by: zone, function: max, window: 1h }\n',
    );
    const reloaded = await admin.reloadPolicy({ reason: 'zones, hourly' });
    expect(reloaded.changed).toBe(true);
    expect(reloaded.policy?.shares).toMatchObject([{ aggregateBy: 'zone', windowSeconds: 3600 }]);
    expect(federation.policy().policy.shares[0]?.aggregate).toEqual({
      by: 'zone',
      fn: 'max',
      windowSeconds: 3600,
    });
    expect((await admin.reloadPolicy({ reason: 'again' })).changed).toBe(false);
    const audit = await (await api(['viewer'])).listPolicyAudit({ limit: 10 });
    expect(audit.entries.map((e) => [e.actor, e.changed, e.reason.slice(0, 28)])).toEqual([
      ['ada', false, 'again'],
      ['ada', true, 'zones, hourly'],
      ['ada', false, 'refused: shares.0 (cams): me'],
      ['ada', false, 'refused: shares.1.name: must'],
    ]);
  });

  it('notices an edited policy file by itself (FEDERATION_POLICY_WATCH_MS) and audits it', async () => {
    const watcher = policyControl({
      federation,
      file: policyFile,
      city: 'demo',
      db: database.db,
      log,
      watchMs: 50,
    });
    cleanups.push(() => watcher.stop());
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(policyFile, 'city: demo\nshares:\n  - name: alert\n    granularity: alerts\n');
    await eventually(() =>
      expect(federation.policy().policy.shares.map((s) => s.name)).toEqual(['alert']),
    );
    const audit = await (await api(['viewer'])).listPolicyAudit({ limit: 1 });
    expect(audit.entries[0]).toMatchObject({ actor: 'policy-file', changed: true });
  });
});

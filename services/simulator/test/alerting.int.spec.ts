// The demo alerting against the real alerting service, spawned as a process from its sources
// (a fresh database, its own NATS namespace): the rules and sandbag points of
// demo/alerting.json are seeded through AlertingService with the simulator's own admin token
// and stored as in the file; seeding again changes nothing; what an operator tuned, deleted or
// edited since is kept; and a refusal names what was being seeded and why.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sensorStreams } from '@slimstad/contracts';
import { AlertingServiceClient } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting_service';
import {
  Bus,
  connectNats,
  createClient,
  createLogger,
  promisifyUnary,
  signToken,
} from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  type ServiceProcess,
  startService,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DEMO_ALERTING_FILE,
  loadAlertingFile,
  parseAlertingFile,
  resourcePointMessage,
  ruleMessage,
  sameResourcePoint,
  sameRule,
} from '../src/alerting/alerting-file.js';
import { type AlertingSeedSummary, seedAlerting } from '../src/alerting/alerting-seed.js';
import { parseDevicesCsv } from '../src/domain/devices.js';
import { waitForServing } from '../src/registry.js';
import { TokenSource } from '../src/tokens.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const KEY = 'simulator-alerting-int-test-key-0123456789';
const log = createLogger('simulator-alerting-test', 'silent');
const text = readFileSync(DEMO_ALERTING_FILE, 'utf8');
const devices = parseDevicesCsv(
  readFileSync(new URL('../demo/devices.csv', import.meta.url), 'utf8'),
);
const file = loadAlertingFile(text, devices);

let database: TestDatabase;
let ns: TestNamespace;
let alerting: ServiceProcess;
let address: string;
let api: Awaited<ReturnType<typeof operatorApi>>;

/** What an operator with the admin role does through AlertingService. */
async function operatorApi() {
  const token = await signToken({ key: KEY, subject: 'olga', roles: ['admin'] });
  const client = createClient(AlertingServiceClient, address, { token, deadlineMs: 10_000 });
  return {
    listRules: promisifyUnary(client, client.listRules),
    getRule: promisifyUnary(client, client.getRule),
    updateRule: promisifyUnary(client, client.updateRule),
    deleteRule: promisifyUnary(client, client.deleteRule),
    listResourcePoints: promisifyUnary(client, client.listResourcePoints),
    putResourcePoint: promisifyUnary(client, client.putResourcePoint),
    deleteResourcePoint: promisifyUnary(client, client.deleteResourcePoint),
    findNearest: promisifyUnary(client, client.findNearestResourcePoints),
    close: () => client.close(),
  };
}

/** The token the simulator signs for itself (subject simulator), with the roles given. */
const simulatorToken = (roles: ('admin' | 'viewer')[] = ['admin']) =>
  TokenSource.signed({ key: KEY, issuer: 'slimstad', audience: 'slimstad', roles }).get();

const seed = async (f = file, token?: string): Promise<AlertingSeedSummary> =>
  seedAlerting({ address, file: f, log, token: token ?? (await simulatorToken()) });

const rules = async () =>
  (await api.listRules({ page: { pageSize: 1000, pageToken: '' } })).rules.sort((a, b) =>
    a.id.localeCompare(b.id),
  );
const points = async () =>
  (await api.listResourcePoints({ kind: '' })).points.sort((a, b) => a.id.localeCompare(b.id));

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'simalerting');
  ns = createTestNamespace(inject('natsUrl'), 'simalerting');
  // As ingest does at start-up: the streams alerting consumes exist before it starts.
  const nc = await connectNats({ url: inject('natsUrl'), name: 'simulator-alerting-test', log });
  const bus = await Bus.create(nc, { namespace: ns.namespace, log });
  await bus.declareStreams(...sensorStreams);
  await nc.drain();
  alerting = startService(REPO, 'services/alerting/src/main.ts', {
    SERVICE_NAME: 'alerting',
    DATABASE_URL: database.url,
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: ns.namespace,
    AUTH_JWT_KEY: KEY,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    HTTP_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ALERTING_RULES_RELOAD_MS: '1000',
  });
  address = `127.0.0.1:${Number((await alerting.logLine('gRPC serving', 40_000)).port)}`;
  await waitForServing({
    service: 'alerting',
    variable: 'ALERTING_GRPC_ADDRESS',
    address,
    timeoutMs: 40_000,
    pollMs: 250,
    log,
  });
  api = await operatorApi();
}, 60_000);

afterAll(async () => {
  api?.close();
  await alerting?.stop();
  await ns?.cleanup();
  await database?.drop();
}, 30_000);

describe('the demo alerting in the real alerting service', () => {
  it('seeds every rule and resource point as the file says', async () => {
    expect(await seed()).toEqual({
      rules: { created: file.rules.length, unchanged: 0, kept: 0 },
      resourcePoints: { created: file.resourcePoints.length, unchanged: 0, kept: 0 },
    });
    const stored = await rules();
    expect(stored.map((r) => r.id)).toEqual(file.rules.map((r) => r.id).sort());
    for (const r of file.rules) {
      const s = stored.find((x) => x.id === r.id)!;
      expect(sameRule(s, ruleMessage(r)), r.id).toBe(true);
      expect(s).toMatchObject({ version: 1n, updatedBy: 'simulator', enabled: true });
    }
    const flood = stored.find((r) => r.id === 'zenne-flood')!;
    expect(flood.publicWarning).toMatchObject({ resourceKind: 'sandbags', resourceCount: 3 });
    // Durations arrive as written (a duration the service cannot read would be 0: no `for`).
    expect(flood.condition).toMatchObject({
      $case: 'threshold',
      value: { value: 2, clearValue: 1.7, for: { seconds: 1200n } },
    });
    expect(flood.escalateAfter).toEqual({ seconds: 1800n, nanos: 0 });
    expect(stored.find((r) => r.id === 'water-leak')!.condition).toMatchObject({
      $case: 'nightFlow',
      value: { metric: 'flow', nights: 3, timeZone: 'Europe/Brussels' },
    });
    const storedPoints = await points();
    expect(storedPoints.map((p) => p.id)).toEqual(file.resourcePoints.map((p) => p.id).sort());
    for (const p of file.resourcePoints)
      expect(
        sameResourcePoint(storedPoints.find((x) => x.id === p.id)!, resourcePointMessage(p)),
        p.id,
      ).toBe(true);
    // The registry answers a flood warning's question: sandbags near the Zenne at Anderlecht.
    const near = await api.findNearest({
      kind: 'sandbags',
      location: { latitude: 50.8301, longitude: 4.3127 },
      count: 1,
    });
    expect(near.points.map((n) => n.point!.id)).toEqual(['sb-anderlecht-dapperheid']);
  });

  it('changes nothing when seeded again', async () => {
    const before = (await rules()).map((r) => [r.id, r.version]);
    expect(await seed()).toEqual({
      rules: { created: 0, unchanged: file.rules.length, kept: 0 },
      resourcePoints: { created: 0, unchanged: file.resourcePoints.length, kept: 0 },
    });
    expect((await rules()).map((r) => [r.id, r.version])).toEqual(before);
  });

  it('keeps what an operator tuned or deleted, and puts back a point deleted', async () => {
    const { rule: flood } = await api.getRule({ id: 'zenne-flood', version: 0n });
    const tuned = structuredClone(flood!);
    if (tuned.condition?.$case === 'threshold') tuned.condition.value.value = 2.2;
    await api.updateRule({ rule: tuned, expectedVersion: flood!.version });
    await api.deleteRule({ id: 'bin-overflow' });
    const fontainas = (await points()).find((p) => p.id === 'sb-centrum-fontainas')!;
    await api.putResourcePoint({ point: { ...fontainas, note: '10:00–18:00 only' } });
    await api.deleteResourcePoint({ id: 'sb-haren-kerk' });

    expect(await seed()).toEqual({
      rules: { created: 0, unchanged: file.rules.length - 2, kept: 2 },
      resourcePoints: { created: 1, unchanged: file.resourcePoints.length - 2, kept: 1 },
    });
    const { rule: kept } = await api.getRule({ id: 'zenne-flood', version: 0n });
    expect(kept).toMatchObject({ version: 2n, updatedBy: 'olga' });
    expect(kept!.condition).toMatchObject({ value: { value: 2.2 } });
    await expect(api.getRule({ id: 'bin-overflow', version: 0n })).rejects.toMatchObject({
      code: 5, // NOT_FOUND: deleted stays deleted
    });
    const after = await points();
    expect(after.find((p) => p.id === 'sb-centrum-fontainas')!.note).toBe('10:00–18:00 only');
    expect(after.find((p) => p.id === 'sb-haren-kerk')).toBeDefined();
  });

  it('names what it was seeding, the step and the reason when the service refuses', async () => {
    // Without the admin role: the first change is refused, and the hint names the role.
    await api.deleteResourcePoint({ id: 'sb-haren-kerk' });
    await expect(seed(file, await simulatorToken(['viewer']))).rejects.toThrow(
      /^seeding the alert rules and resource points: putting resource point sb-haren-kerk: .*PERMISSION_DENIED.*\(seeding the alert rules and resource points needs a token with the admin role\)$/s,
    );
    // A rule the file's schema lets through and the service refuses: its reason, field by field.
    const bad = JSON.parse(text);
    bad.rules = [
      {
        ...bad.rules.find((r: { id: string }) => r.id === 'lamp-failed'),
        id: 'lamp-failed-zone',
        event: {
          subject: 'lighting.lamp.failed.{zone}.{lamp}',
          resolveSubject: 'lighting.lamp.recovered.{zone}',
        },
      },
    ];
    await expect(seed(parseAlertingFile(JSON.stringify(bad)))).rejects.toThrow(
      /^seeding the alert rules and resource points: creating rule lamp-failed-zone: .*rule\.event\.resolve_subject must name the same labels as subject/s,
    );
  });
});

// `slimstad bollards …` against the real bollards service, started in-process as its own test
// fixture starts it (startBollards on a real PostgreSQL and NATS, a hand-set city clock, the
// gRPC API on a loopback port): what an admin and a bollard operator type, what the service
// then decides and records, and the exit codes. No controller answers here, so commands stay
// pending; that is what `status` shows.
import { type Bollards, startBollards } from '@slimstad/bollards/bollards-service';
import type { BollardsDatabase } from '@slimstad/bollards/store/db';
import { migrations } from '@slimstad/bollards/store/migrations/index';
import { bollardStreams, protoFiles, protoRoot } from '@slimstad/contracts';
import {
  Bus,
  connectNats,
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
import {
  createTestDatabase,
  createTestNamespace,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../src/index.js';

const KEY = 'cli-bollards-secret-0123456789abcdef';
const log = createLogger('cli-bollards-test', 'silent');
// Monday 23 November 2026, 09:00 in Brussels.
const START = '2026-11-23T08:00:00Z';
const PLATE = '1-VAN-042';

let testDb: TestDatabase;
let database: Database<BollardsDatabase>;
let ns: TestNamespace;
let bus: Bus;
let bollards: Bollards;
let address: string;
let shutdown: () => Promise<void>;

beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'), 'cli_bollards');
  database = createDatabase<BollardsDatabase>({ url: testDb.url, schema: 'bollards' });
  await migrateToLatest(database.db as never, { schema: 'bollards', migrations, log });
  const natsUrl = inject('natsUrl');
  ns = createTestNamespace(natsUrl, 'cli_bollards');
  const nc = await connectNats({ url: natsUrl, name: 'cli-bollards-test', log });
  bus = await Bus.create(nc, { namespace: ns.namespace, log });
  await bus.declareStreams(...bollardStreams);
  const metrics = createMetrics('cli-bollards-test', { defaultMetrics: false });
  bollards = await startBollards({
    db: database.db,
    bus,
    clock: new ManualClock(Date.parse(START)),
    log,
    metrics,
    settings: {
      BOLLARDS_IDENTITY_SECRET: 'cli-bollards-identity-0123456789abcdef',
      // No controller answers here: keep the commands pending rather than failing over.
      BOLLARDS_ACK_TIMEOUT_MS: 60_000,
      BOLLARDS_COMMAND_ATTEMPTS: 3,
      BOLLARDS_RAISE_DELAY_MS: 300,
      BOLLARDS_ADMISSION_HOLD_MS: 60_000,
      BOLLARDS_MAX_REVERSALS: 3,
      BOLLARDS_MAX_REQUEST_AGE_MS: 30_000,
      BOLLARDS_TICK_MS: 25,
      BOLLARDS_HEARTBEAT_MS: 200,
      BOLLARDS_FAIL_AFTER_MS: 60_000,
      BOLLARDS_RELOAD_MS: 3_600_000,
      BOLLARDS_AUDIT_RETENTION_DAYS: 180,
    },
  });
  const server = createGrpcServer({
    log,
    metrics,
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [bollards.api],
    reflection: { protoRoot, protoFiles },
  });
  address = `127.0.0.1:${await server.start(0, '127.0.0.1')}`;
  shutdown = () => server.shutdown(1_000);
});

afterAll(async () => {
  await shutdown?.();
  await bollards?.stop().catch(() => undefined);
  await bus?.drain();
  await ns?.cleanup();
  await database?.close();
  await testDb?.drop();
});

async function slimstad(roles: Role[], subject: string, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const env = {
    SLIMSTAD_BOLLARDS_API: address,
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
const keeper = (...args: string[]) => slimstad(['bollard-operator'], 'jan', ...args);
const viewer = (...args: string[]) => slimstad(['viewer'], 'vera', ...args);
const json = (result: { code: number; stdout: string; stderr: string }) => {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
};

describe('slimstad bollards', () => {
  it('sets up a zone and a bollard (admin) and lists them', async () => {
    const zone = await admin(
      'bollards',
      'zone',
      'add',
      'vismarkt',
      '--name',
      'Vismarkt',
      '--time-zone',
      'Europe/Brussels',
    );
    expect(zone.stderr).toBe('');
    expect(zone.code).toBe(0);
    expect(zone.stdout).toMatch(/^ID\s+NAME\s+TIME ZONE\s+EMERGENCY\s+VERSION\n/);
    expect(zone.stdout).toMatch(/vismarkt\s+Vismarkt\s+Europe\/Brussels\s+off/);
    const added = await admin(
      'bollards',
      'add',
      'vm-north',
      '--zone',
      'vismarkt',
      '--name',
      'Vismarkt north entrance',
      '--lat',
      '51.0543',
      '--lon',
      '3.7174',
      '--controller',
      'bc-vm-north',
      '--loop',
      'loop-vm-north',
      '--fail-mode',
      'safe',
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);

    expect(json(await viewer('bollards', 'zones', '-o', 'json'))).toMatchObject([
      { id: 'vismarkt', name: 'Vismarkt', timeZone: 'Europe/Brussels' },
    ]);
    expect(json(await viewer('bollards', 'list', '--zone', 'vismarkt', '-o', 'json'))).toEqual([
      expect.objectContaining({
        id: 'vm-north',
        zoneId: 'vismarkt',
        controllerId: 'bc-vm-north',
        loopId: 'loop-vm-north',
        failMode: 'FAIL_MODE_SAFE',
      }),
    ]);
    const status = await viewer('bollards', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^BOLLARD\s+ZONE\s+STATE\s+LOOP\s+PENDING/);
    expect(status.stdout).toMatch(/vm-north\s+vismarkt\s+up\s/);
  });

  it('grants a delivery permit with a window and checks it: admitted within, denied outside', async () => {
    const granted = await keeper(
      'bollards',
      'permit',
      'add',
      '--plate',
      PLATE,
      '--class',
      'delivery',
      '--zones',
      'vismarkt',
      '--from',
      '2026-11-01T00:00:00Z',
      '--until',
      '2027-05-01T00:00:00Z',
      '--window',
      'Mon-Sat 06:00-11:00',
      '--reason',
      'bakery Vismarkt 3',
      '-o',
      'json',
    );
    const permit = json(granted);
    expect(permit).toMatchObject({
      vehicleClass: 'VEHICLE_CLASS_DELIVERY',
      zoneIds: ['vismarkt'],
      windows: [
        {
          days: [
            'WEEKDAY_MONDAY',
            'WEEKDAY_TUESDAY',
            'WEEKDAY_WEDNESDAY',
            'WEEKDAY_THURSDAY',
            'WEEKDAY_FRIDAY',
            'WEEKDAY_SATURDAY',
          ],
          from: '06:00',
          to: '11:00',
        },
      ],
      createdBy: 'jan',
    });
    expect(JSON.stringify(permit)).not.toContain('VAN');

    const listed = await keeper('bollards', 'permits', '--plate', '1 van 042');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(permit.id);
    expect(listed.stdout).toContain('Mon-Sat 06:00-11:00');
    expect(listed.stdout).not.toContain('VAN');

    // Monday 09:00 in Brussels (the service's clock).
    const within = await keeper('bollards', 'check', 'vm-north', '--plate', PLATE);
    expect(within.stderr).toBe('');
    expect(within.code).toBe(0);
    expect(within.stdout).toMatch(/vm-north\s+admit\s+permit-window\s/);
    expect(within.stdout).toContain(permit.id);
    // Monday 14:00 in Brussels.
    const outside = json(
      await keeper(
        'bollards',
        'check',
        'vm-north',
        '--plate',
        PLATE,
        '--at',
        '2026-11-23T13:00:00Z',
        '-o',
        'json',
      ),
    );
    expect(outside).toMatchObject({
      bollardId: 'vm-north',
      decision: { admit: false, rule: 'outside-time-window' },
    });
    const table = await keeper(
      'bollards',
      'check',
      'vm-north',
      '--plate',
      PLATE,
      '--at',
      '2026-11-23T13:00:00Z',
    );
    expect(table.stdout).toMatch(/vm-north\s+deny\s+outside-time-window\s/);
  });

  it('admits a vehicle, sets emergency mode, shows it in status, and the audit lists both', async () => {
    const admitted = await keeper(
      'bollards',
      'admit',
      'vm-north',
      '--reason',
      'removal van at number 7, intercom',
    );
    expect(admitted.stderr).toBe('');
    expect(admitted.code).toBe(0);
    expect(admitted.stdout).toMatch(/vm-north\s+admit\s+operator\s/);
    expect(admitted.stdout).toMatch(/lower/);

    const emergency = await keeper(
      'bollards',
      'emergency',
      'on',
      'vismarkt',
      '--reason',
      'fire brigade on the way',
    );
    expect(emergency.stderr).toBe('');
    expect(emergency.code).toBe(0);
    expect(emergency.stdout).toMatch(/vismarkt\s+Vismarkt\s+Europe\/Brussels\s+on/);

    const zones = json(await viewer('bollards', 'zones', '-o', 'json'));
    expect(zones[0]).toMatchObject({ id: 'vismarkt', emergencyMode: true });
    const status = await viewer('bollards', 'status', '--zone', 'vismarkt');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/vm-north\s+vismarkt\s.*\syes\s/);
    const statuses = json(await viewer('bollards', 'status', '--zone', 'vismarkt', '-o', 'json'));
    expect(statuses).toMatchObject([{ bollardId: 'vm-north', emergency: true }]);

    const audit = json(await keeper('bollards', 'audit', '--zone', 'vismarkt', '-o', 'json'));
    const kinds = audit.map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['decision', 'emergency', 'permit', 'zone']));
    expect(audit.find((e: { kind: string }) => e.kind === 'emergency')).toMatchObject({
      actor: 'jan',
      outcome: 'on',
    });
    const decision = audit.find(
      (e: { kind: string; outcome: string }) =>
        e.kind === 'decision' && e.outcome === 'admit:operator',
    );
    expect(decision).toMatchObject({ actor: 'jan', bollardId: 'vm-north' });
    expect(decision.detail).toContain('removal van at number 7');

    const onlyEmergency = json(
      await keeper('bollards', 'audit', '--kind', 'emergency', '--limit', '1', '-o', 'json'),
    );
    expect(onlyEmergency).toHaveLength(1);
    expect(onlyEmergency[0]).toMatchObject({ kind: 'emergency', zoneId: 'vismarkt' });
    const byRequest = json(
      await keeper('bollards', 'audit', '--request', decision.requestId, '-o', 'json'),
    );
    expect(byRequest.map((e: { requestId: string }) => e.requestId)).toEqual(
      byRequest.map(() => decision.requestId),
    );
    const table = await keeper('bollards', 'audit', '--bollard', 'vm-north');
    expect(table.stdout).toMatch(/^ID\s+TIME\s+KIND\s+ACTOR/);
    expect(table.stdout).toMatch(/decision\s+jan\s+vismarkt\s+vm-north\s+admit:operator/);

    const cleared = await keeper(
      'bollards',
      'emergency',
      'off',
      'vismarkt',
      '--reason',
      'all clear',
    );
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toMatch(/vismarkt\s+Vismarkt\s+Europe\/Brussels\s+off/);
  });

  it('refuses a viewer admitting a vehicle, with a clear PERMISSION_DENIED line and exit 1', async () => {
    const denied = await viewer('bollards', 'admit', 'vm-north', '--reason', 'let me through');
    expect(denied.code).toBe(1);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toMatch(
      /^slimstad: permission denied: .+ \(PERMISSION_DENIED\) — ask an administrator for a token with that role\n$/,
    );
  });

  it('revokes the permit with a reason; the check then names the revocation', async () => {
    const [permit] = json(await keeper('bollards', 'permits', '--zone', 'vismarkt', '-o', 'json'));
    const revoked = await keeper(
      'bollards',
      'permit',
      'revoke',
      permit.id,
      '--reason',
      'bakery closed',
    );
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('revoked');
    expect(json(await keeper('bollards', 'permits', '--zone', 'vismarkt', '-o', 'json'))).toEqual(
      [],
    );
    expect(
      json(await keeper('bollards', 'permits', '--zone', 'vismarkt', '--all', '-o', 'json')),
    ).toHaveLength(1);
    const check = json(
      await keeper('bollards', 'check', 'vm-north', '--plate', PLATE, '-o', 'json'),
    );
    expect(check.decision.rule).toBe('permit-revoked');
  });

  it('puts the bollard into maintenance and back, with a reason', async () => {
    const on = json(
      await keeper(
        'bollards',
        'maintenance',
        'on',
        'vm-north',
        '--reason',
        'hydraulics',
        '-o',
        'json',
      ),
    );
    expect(on).toMatchObject({ bollardId: 'vm-north', state: 'BOLLARD_STATE_MAINTENANCE' });
    const off = await keeper('bollards', 'maintenance', 'off', 'vm-north', '--reason', 'repaired');
    expect(off.stderr).toBe('');
    expect(off.code).toBe(0);
  });
});

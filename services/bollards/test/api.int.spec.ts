// The bollards API on a real Postgres and NATS: zones, bollards and permits with field-level
// validation, plates kept only as keyed hashes, dry-run access checks that act on nothing, an
// operator's admission recorded with its command (and the command on the bus), emergency mode,
// role checks on every method that acts, and the append-only audit.
import type { Msg } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import {
  type AccessZone,
  type Bollard,
  BollardState,
  CredentialKind,
  FailMode,
  VehicleClass,
  Weekday,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { BollardCommand, Motion } from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import { identityHash, isServiceError, Namespace, type Role } from '@slimstad/kit';
import { eventually } from '@slimstad/test-harness';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BollardsFixture,
  IDENTITY_SECRET,
  startBollardsFixture,
} from './support/bollards-fixture.js';

// Monday 23 November 2026, 09:00 in Brussels.
const START = '2026-11-23T08:00:00Z';
const PLATE = '1-VAN-042';

const zone = (id: string): AccessZone => ({
  id,
  name: `Zone ${id}`,
  timeZone: 'Europe/Brussels',
  emergencyMode: false,
  emergencyReason: '',
  version: 0n,
  createTime: undefined,
  updateTime: undefined,
});
const bollard = (id: string, zoneId: string): Bollard => ({
  id,
  zoneId,
  name: `Bollard ${id}`,
  location: { latitude: 51.0543, longitude: 3.7174 },
  controllerId: `bc-${id}`,
  loopId: `loop-${id}`,
  failMode: FailMode.FAIL_MODE_SAFE,
  version: 0n,
  createTime: undefined,
  updateTime: undefined,
});
const code = (error: unknown) => (isServiceError(error) ? error.code : undefined);

let f: BollardsFixture;
let admin: Awaited<ReturnType<BollardsFixture['api']>>;
let keeper: Awaited<ReturnType<BollardsFixture['api']>>;
let viewer: Awaited<ReturnType<BollardsFixture['api']>>;
let generalOperator: Awaited<ReturnType<BollardsFixture['api']>>;
const commands: BollardCommand[] = [];
let closeNats: () => Promise<void>;

beforeAll(async () => {
  f = await startBollardsFixture('bollards_api', START);
  admin = await f.api(['admin'], 'ada');
  keeper = await f.api(['bollard-operator'], 'jan');
  viewer = await f.api(['viewer'], 'vera');
  generalOperator = await f.api(['operator'], 'otto');
  const nc = await connect({ servers: f.natsUrl });
  nc.subscribe(new Namespace(f.ns.namespace).subject('bollards.command.>'), {
    callback: (_e: unknown, m: Msg) => {
      commands.push(BollardCommand.decode(m.data));
    },
  });
  closeNats = () => nc.drain();
  await admin.createZone({ zone: zone('vismarkt') });
  await admin.createZone({ zone: zone('korenmarkt') });
  await admin.createBollard({ bollard: bollard('vm-north', 'vismarkt') });
  await admin.createBollard({ bollard: bollard('vm-south', 'vismarkt') });
  await admin.createBollard({ bollard: bollard('km-east', 'korenmarkt') });
});

afterAll(async () => {
  await closeNats?.();
  await f?.close();
});

describe('zones and bollards', () => {
  it('refuses invalid input, naming every field', async () => {
    const error = await admin
      .createBollard({
        bollard: {
          ...bollard('bad id', 'nowhere'),
          location: { latitude: 91, longitude: 0 },
          failMode: FailMode.FAIL_MODE_UNSPECIFIED,
        },
      })
      .catch((e: unknown) => e);
    expect(code(error)).toBe(3); // INVALID_ARGUMENT
    const message = (error as Error).message;
    for (const field of ['bollard.id', 'bollard.location.latitude', 'bollard.fail_mode']) {
      expect(message).toContain(field);
    }
    const unknownZone = await admin
      .createBollard({ bollard: bollard('km-west', 'nowhere') })
      .catch((e: unknown) => e);
    expect((unknownZone as Error).message).toContain('zone nowhere does not exist');
    expect(code(await admin.createZone({ zone: zone('vismarkt') }).catch((e) => e))).toBe(6);
  });

  it('lists bollards by zone and shows their live status', async () => {
    const { bollards, page } = await viewer.listBollards({ zoneId: 'vismarkt', page: undefined });
    expect(bollards.map((b) => b.id)).toEqual(['vm-north', 'vm-south']);
    expect(page?.totalSize).toBe(2);
    const { statuses } = await viewer.listBollardStatus({
      zoneId: '',
      page: { pageSize: 2, pageToken: '' },
    });
    expect(statuses.map((s) => s.bollardId)).toEqual(['km-east', 'vm-north']);
    expect(statuses[0]?.state).toBe(BollardState.BOLLARD_STATE_UP);
  });
});

describe('permits', () => {
  it('stores a plate only as a keyed hash, and never returns it', async () => {
    const { permit } = await keeper.createPermit({
      permit: {
        id: '',
        credentialKind: CredentialKind.CREDENTIAL_KIND_PLATE,
        credential: PLATE,
        credentialFingerprint: '',
        vehicleClass: VehicleClass.VEHICLE_CLASS_DELIVERY,
        zoneIds: ['vismarkt'],
        validFrom: new Date('2026-11-01T00:00:00Z'),
        validUntil: new Date('2027-05-01T00:00:00Z'),
        windows: [
          {
            days: [1, 2, 3, 4, 5, 6].map((d) => d as Weekday),
            from: '06:00',
            to: '11:00',
          },
        ],
        oneOff: false,
        reason: 'bakery Vismarkt 3',
        useTime: undefined,
        revokeTime: undefined,
        revokeReason: '',
        createdBy: '',
        createTime: undefined,
      },
    });
    expect(permit?.credential).toBe('');
    expect(permit?.credentialFingerprint).toBe(
      identityHash(IDENTITY_SECRET, 'plate', PLATE).slice(0, 8),
    );
    expect(permit?.createdBy).toBe('jan');
    // Nowhere in the database, in any spelling.
    const dump = await sql<{ t: string }>`
      select string_agg(row_to_json(x)::text, ' ') as t from (
        select * from permit) x`.execute(f.database.db);
    const audit = await sql<{ t: string }>`
      select string_agg(detail, ' ') as t from audit`.execute(f.database.db);
    for (const text of [dump.rows[0]?.t ?? '', audit.rows[0]?.t ?? '']) {
      expect(text.toUpperCase()).not.toContain('VAN042');
      expect(text.toUpperCase()).not.toContain('1-VAN-042');
    }
    // Found again by the plate, however written.
    const { permits } = await keeper.listPermits({
      zoneId: '',
      credentialKind: CredentialKind.CREDENTIAL_KIND_PLATE,
      credential: '1 van 042',
      includeInactive: false,
      page: undefined,
    });
    expect(permits.map((p) => p.id)).toEqual([permit?.id]);
  });

  it('refuses an invalid permit, naming every field', async () => {
    const error = await keeper
      .createPermit({
        permit: {
          id: '',
          credentialKind: CredentialKind.CREDENTIAL_KIND_UNSPECIFIED,
          credential: '',
          credentialFingerprint: '',
          vehicleClass: VehicleClass.VEHICLE_CLASS_DELIVERY,
          zoneIds: ['atlantis'],
          validFrom: new Date('2026-11-01T00:00:00Z'),
          validUntil: new Date('2028-11-01T00:00:00Z'),
          windows: [{ days: [Weekday.WEEKDAY_UNSPECIFIED], from: '22:00', to: '02:00' }],
          oneOff: false,
          reason: '',
          useTime: undefined,
          revokeTime: undefined,
          revokeReason: '',
          createdBy: '',
          createTime: undefined,
        },
      })
      .catch((e: unknown) => e);
    expect(code(error)).toBe(3);
    for (const field of [
      'permit.credential ',
      'permit.credential_kind',
      'permit.zone_ids[0]',
      'permit.valid_until',
      'permit.windows[0].days[0]',
      'permit.windows[0].to',
      'permit.reason',
    ]) {
      expect((error as Error).message).toContain(field);
    }
  });
});

describe('access checks (dry run)', () => {
  const check = (credential: string, at?: string, emergency = false) =>
    keeper.checkAccess({
      bollardId: 'vm-north',
      credentialKind: credential
        ? CredentialKind.CREDENTIAL_KIND_PLATE
        : CredentialKind.CREDENTIAL_KIND_UNSPECIFIED,
      credential,
      emergency,
      at: at ? new Date(at) : undefined,
    });

  it('answers why, naming the rule, and acts on nothing', async () => {
    const before = commands.length;
    const auditBefore = await sql<{ n: number }>`select count(*)::int as n from audit`.execute(
      f.database.db,
    );
    expect((await check(PLATE)).decision).toMatchObject({
      admit: true,
      rule: 'permit-window',
      vehicleClass: VehicleClass.VEHICLE_CLASS_DELIVERY,
    });
    // Monday 14:00 in Brussels.
    expect((await check(PLATE, '2026-11-23T13:00:00Z')).decision).toMatchObject({
      admit: false,
      rule: 'outside-time-window',
    });
    expect((await check('9-XYZ-999')).decision?.rule).toBe('no-permit');
    expect((await check('', undefined, true)).decision?.rule).toBe('emergency-vehicle');
    const auditAfter = await sql<{ n: number }>`select count(*)::int as n from audit`.execute(
      f.database.db,
    );
    expect(auditAfter.rows[0]?.n).toBe(auditBefore.rows[0]?.n);
    await new Promise((r) => setTimeout(r, 100));
    expect(commands.length).toBe(before);
    expect(f.bollards.engine.control.bollard('vm-north')?.machine.pending).toBeUndefined();
  });

  it('follows a revocation at once', async () => {
    const { permits } = await keeper.listPermits({
      zoneId: 'vismarkt',
      credentialKind: CredentialKind.CREDENTIAL_KIND_UNSPECIFIED,
      credential: '',
      includeInactive: false,
      page: undefined,
    });
    const id = permits[0]?.id ?? '';
    expect(code(await keeper.revokePermit({ permitId: id, reason: '' }).catch((e) => e))).toBe(3);
    await keeper.revokePermit({ permitId: id, reason: 'bakery closed' });
    expect((await check(PLATE)).decision?.rule).toBe('permit-revoked');
  });
});

describe('operator actions', () => {
  it('admits a vehicle with a reason: the decision and the lower command are recorded and sent', async () => {
    expect(
      code(await keeper.admitVehicle({ bollardId: 'vm-south', reason: ' ' }).catch((e) => e)),
    ).toBe(3);
    const { decision, status } = await keeper.admitVehicle({
      bollardId: 'vm-south',
      reason: 'removal van at number 7, intercom',
    });
    expect(decision).toMatchObject({ admit: true, rule: 'operator' });
    expect(status?.pendingMotion).toBe('lower');
    await eventually(() =>
      expect(commands.find((c) => c.bollardId === 'vm-south')).toMatchObject({
        motion: Motion.MOTION_LOWER,
        controllerId: 'bc-vm-south',
        failMode: FailMode.FAIL_MODE_SAFE,
      }),
    );
    const { entries } = await keeper.listAuditEntries({
      zoneId: '',
      bollardId: 'vm-south',
      kind: '',
      requestId: '',
      page: undefined,
    });
    // Newest first: the command, then the decision, by the operator, under one request id.
    expect(entries.slice(0, 2).map((e) => [e.kind, e.outcome, e.actor])).toEqual([
      ['command', 'lower', 'system:bollards'],
      ['decision', 'admit:operator', 'jan'],
    ]);
    expect(entries[0]?.requestId).toBe(entries[1]?.requestId);
    expect(entries[1]?.detail).toContain('removal van at number 7');
  });

  it('sets emergency mode for a zone, lowering every bollard, and records who', async () => {
    const { zone: z } = await keeper.setEmergencyMode({
      zoneId: 'korenmarkt',
      active: true,
      reason: 'fire brigade on the way',
    });
    expect(z?.emergencyMode).toBe(true);
    expect(z?.emergencyReason).toContain('jan');
    await eventually(() =>
      expect(
        commands.some((c) => c.bollardId === 'km-east' && c.motion === Motion.MOTION_LOWER),
      ).toBe(true),
    );
    const { zone: stored } = await viewer.getZone({ zoneId: 'korenmarkt' });
    expect(stored?.emergencyMode).toBe(true);
    const { entries } = await keeper.listAuditEntries({
      zoneId: 'korenmarkt',
      bollardId: '',
      kind: 'emergency',
      requestId: '',
      page: undefined,
    });
    expect(entries[0]).toMatchObject({ actor: 'jan', outcome: 'on' });
  });

  const acting: [string, (c: typeof keeper) => Promise<unknown>][] = [
    ['CreatePermit', (c) => c.createPermit({ permit: undefined })],
    ['RevokePermit', (c) => c.revokePermit({ permitId: 'x', reason: 'r' })],
    [
      'ListPermits',
      (c) =>
        c.listPermits({
          zoneId: '',
          credentialKind: 0,
          credential: '',
          includeInactive: true,
          page: undefined,
        }),
    ],
    [
      'CheckAccess',
      (c) =>
        c.checkAccess({
          bollardId: 'vm-north',
          credentialKind: 0,
          credential: '',
          emergency: false,
          at: undefined,
        }),
    ],
    ['AdmitVehicle', (c) => c.admitVehicle({ bollardId: 'vm-north', reason: 'r' })],
    [
      'SetEmergencyMode',
      (c) => c.setEmergencyMode({ zoneId: 'vismarkt', active: true, reason: 'r' }),
    ],
    [
      'SetMaintenance',
      (c) => c.setMaintenance({ bollardId: 'vm-north', active: true, reason: 'r' }),
    ],
    [
      'ListAuditEntries',
      (c) =>
        c.listAuditEntries({ zoneId: '', bollardId: '', kind: '', requestId: '', page: undefined }),
    ],
  ];
  const adminOnly: [string, (c: typeof keeper) => Promise<unknown>][] = [
    ['CreateZone', (c) => c.createZone({ zone: zone('x') })],
    ['CreateBollard', (c) => c.createBollard({ bollard: bollard('x', 'vismarkt') })],
    ['UpdateBollard', (c) => c.updateBollard({ bollard: bollard('vm-north', 'vismarkt') })],
  ];

  it.each(acting)(
    '%s needs the bollard-operator role: a viewer and a general operator are refused',
    async (_, call) => {
      for (const client of [viewer, generalOperator]) {
        expect(code(await call(client).catch((e: unknown) => e))).toBe(7); // PERMISSION_DENIED
      }
    },
  );

  it.each(adminOnly)('%s needs the admin role', async (_, call) => {
    for (const client of [viewer, generalOperator, keeper]) {
      expect(code(await call(client).catch((e: unknown) => e))).toBe(7);
    }
  });

  it('refuses a token that grants no role', async () => {
    const roles: Role[] = [];
    const nobody = await f.api(roles, 'nobody');
    expect(
      code(await nobody.admitVehicle({ bollardId: 'vm-north', reason: 'r' }).catch((e) => e)),
    ).toBe(7);
  });
});

describe('the audit', () => {
  it('is append-only', async () => {
    await expect(sql`update audit set detail = 'nothing'`.execute(f.database.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from audit`.execute(f.database.db)).rejects.toThrow(/append-only/);
  });
});

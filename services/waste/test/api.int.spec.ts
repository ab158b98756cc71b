// The waste API on a real Postgres and NATS: field-level validation of bins and vehicles, role
// checks on every method that changes state (viewer refused, operator for day-to-day work,
// admin for bin and fleet set-up), and the append-only audit of operator actions.
import { type Vehicle, WasteStream } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { isServiceError } from '@slimstad/kit';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeReadings } from '../src/store/topology.repository.js';
import { startWasteFixture, type WasteApi, type WasteFixture } from './support/waste-fixture.js';

const NOW = Date.parse('2026-12-07T04:00:00Z');
const PMD = WasteStream.WASTE_STREAM_PMD;
const bin = (id: string) => ({
  id,
  name: `Bin ${id}`,
  location: { latitude: 51.05, longitude: 3.72 },
  volumeLitres: 240,
  stream: PMD,
  deviceId: `s-${id}`,
  accessWindow: { startMinute: 420, endMinute: 600, soft: true },
  mustVisit: false,
  version: 0n,
  createTime: undefined,
});
const vehicle = (id: string): Vehicle => ({
  id,
  name: `Truck ${id}`,
  streams: [PMD],
  capacityLitres: 10_000,
  capacityKg: 2_000,
  depot: { latitude: 51.04, longitude: 3.7 },
  unloadLocation: undefined,
  shiftStartMinute: 420,
  shiftEndMinute: 900,
  maxRouteMinutes: 0,
  serviceSeconds: 60,
  unloadSeconds: 0,
  version: 0n,
});
const code = (error: unknown) => (isServiceError(error) ? error.code : undefined);
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'allowed',
    (e: unknown) => code(e),
  );
const PERMISSION_DENIED = 7;

let f: WasteFixture;
let admin: WasteApi;
let operator: WasteApi;
let viewer: WasteApi;

beforeAll(async () => {
  f = await startWasteFixture('waste_api', new Date(NOW).toISOString());
  admin = await f.api(['admin'], 'ada');
  operator = await f.api(['operator'], 'otto');
  viewer = await f.api(['viewer'], 'vera');
  await admin.createBin({ bin: bin('pmd-1') });
  await admin.createVehicle({ vehicle: vehicle('pmd-truck') });
});
afterAll(async () => {
  await f?.close();
});

describe('validation', () => {
  it('refuses an invalid bin, naming every field', async () => {
    const error = await admin
      .createBin({
        bin: {
          ...bin('Bad Id'),
          location: { latitude: 91, longitude: 3 },
          volumeLitres: 0,
          stream: WasteStream.WASTE_STREAM_UNSPECIFIED,
          accessWindow: { startMinute: 600, endMinute: 500, soft: false },
        },
      })
      .catch((e: unknown) => e);
    expect(code(error)).toBe(3); // INVALID_ARGUMENT
    const message = (error as Error).message;
    for (const field of [
      'bin.id',
      'bin.location.latitude',
      'bin.volume_litres',
      'bin.stream',
      'bin.access_window.end_minute',
    ])
      expect(message).toContain(field);
  });

  it('refuses an invalid vehicle, a taken id or sensor, and an unknown stream to plan', async () => {
    const error = await admin
      .createVehicle({
        vehicle: { ...vehicle('v2'), capacityKg: 0, shiftEndMinute: 100, depot: undefined },
      })
      .catch((e: unknown) => e);
    expect(code(error)).toBe(3);
    for (const field of ['vehicle.capacity_kg', 'vehicle.shift_end_minute', 'vehicle.depot'])
      expect((error as Error).message).toContain(field);
    expect(code(await admin.createBin({ bin: bin('pmd-1') }).catch((e) => e))).toBe(6); // ALREADY_EXISTS
    const taken = await admin
      .createBin({ bin: { ...bin('pmd-2'), deviceId: 's-pmd-1' } })
      .catch((e) => e);
    expect((taken as Error).message).toContain('bin.device_id is already the sensor of bin pmd-1');
    const noStream = await operator
      .planRoutes({
        stream: WasteStream.WASTE_STREAM_UNSPECIFIED,
        shiftDate: '',
        vehicleIds: [],
        timeLimitMs: 0,
        seed: 0,
      })
      .catch((e) => e);
    expect((noStream as Error).message).toContain('stream is required');
    const noFleet = await operator
      .planRoutes({
        stream: WasteStream.WASTE_STREAM_GLASS,
        shiftDate: '',
        vehicleIds: [],
        timeLimitMs: 0,
        seed: 0,
      })
      .catch((e) => e);
    expect(code(noFleet)).toBe(9); // FAILED_PRECONDITION
    expect((noFleet as Error).message).toContain('no vehicle collects glass');
    const badDate = await viewer
      .listDueBins({ stream: PMD, shiftDate: '2026-13-01' })
      .catch((e) => e);
    expect((badDate as Error).message).toContain('shift_date must be a date YYYY-MM-DD');
  });
});

describe('roles', () => {
  // One call per method that changes state, valid for the bin and truck set up above.
  const changes = (api: WasteApi) => ({
    createBin: () => api.createBin({ bin: bin(`b-${Math.random().toString(36).slice(2, 8)}`) }),
    updateBin: () => api.updateBin({ bin: { ...bin('pmd-1'), volumeLitres: 360 } }),
    createVehicle: () =>
      api.createVehicle({ vehicle: vehicle(`v-${Math.random().toString(36).slice(2, 8)}`) }),
    updateVehicle: () =>
      api.updateVehicle({ vehicle: { ...vehicle('pmd-truck'), capacityKg: 2_500 } }),
    setMustVisit: () => api.setMustVisit({ binId: 'pmd-1', mustVisit: true, reason: 'market day' }),
    planRoutes: () =>
      api.planRoutes({
        stream: PMD,
        shiftDate: '2026-12-07',
        vehicleIds: ['pmd-truck'],
        timeLimitMs: 0,
        seed: 0,
      }),
    recordEmptied: () =>
      api.recordEmptied({ binId: 'pmd-1', vehicleId: 'pmd-truck', emptiedTime: undefined }),
  });
  const ADMIN_ONLY = ['createBin', 'updateBin', 'createVehicle', 'updateVehicle'];

  it('refuses viewers every method that changes state', async () => {
    for (const [name, call] of Object.entries(changes(viewer))) {
      expect([name, await refusal(call())]).toEqual([name, PERMISSION_DENIED]);
    }
    expect([await refusal(viewer.replanRemaining({ planId: 'x', timeLimitMs: 0 }))]).toEqual([
      PERMISSION_DENIED,
    ]);
    expect(await refusal(viewer.listAuditEntries({ target: '', page: undefined }))).toBe(
      PERMISSION_DENIED,
    );
  });

  it('lets operators do day-to-day work but not set up bins and vehicles', async () => {
    for (const [name, call] of Object.entries(changes(operator))) {
      expect([name, await refusal(call())]).toEqual([
        name,
        ADMIN_ONLY.includes(name) ? PERMISSION_DENIED : 'allowed',
      ]);
    }
    // pmd-1 was marked must-visit, so the plan visits it; re-planning it is an operator's call.
    const { plans } = await viewer.listPlans({ stream: PMD, page: undefined });
    expect(plans).toHaveLength(1);
    expect(plans[0]?.routes[0]?.visits.map((v) => (v.unload ? 'unload' : v.binId))).toEqual([
      'pmd-1',
      'unload',
    ]);
    // It was confirmed emptied above: nothing remains to re-plan.
    const nothing = await operator
      .replanRemaining({ planId: plans[0]?.id ?? '', timeLimitMs: 0 })
      .catch((e) => e);
    expect(code(nothing)).toBe(9);
  });

  it('lets admins do everything', async () => {
    for (const [name, call] of Object.entries(changes(admin))) {
      expect([name, await refusal(call())]).toEqual([name, 'allowed']);
    }
  });
});

describe('audit', () => {
  it('records every operator action with who, what and why, and cannot be rewritten', async () => {
    const { entries } = await operator.listAuditEntries({ target: 'pmd-1', page: undefined });
    const actions = entries.map((e) => `${e.actor} ${e.action}`).reverse();
    expect(actions).toEqual([
      'ada bin.create',
      'otto bin.must_visit',
      'otto bin.emptied',
      'ada bin.update',
      'ada bin.must_visit',
      'ada bin.emptied',
    ]);
    expect(entries.find((e) => e.action === 'bin.must_visit')?.detail).toBe('market day');
    const plans = await operator.listAuditEntries({ target: '', page: undefined });
    expect(plans.entries.filter((e) => e.action === 'plan.create').map((e) => e.actor)).toEqual([
      'ada',
      'otto',
    ]);
    await expect(
      sql`update waste.audit set actor = 'mallory'`.execute(f.database.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from waste.audit`.execute(f.database.db)).rejects.toThrow(
      /append-only/,
    );
  });
});

describe('retention', () => {
  it('purges fill readings past their retention, and only those', async () => {
    const day = 86_400_000;
    await f.database.db
      .insertInto('fill_reading')
      .values([
        { bin_id: 'pmd-1', at: new Date(NOW - 100 * day), percent: 10, kg: null },
        { bin_id: 'pmd-1', at: new Date(NOW - day), percent: 20, kg: null },
      ])
      .execute();
    expect(await purgeReadings(f.database.db, NOW, 90)).toBe(1);
    const left = await f.database.db.selectFrom('fill_reading').select('percent').execute();
    expect(left.map((r) => r.percent)).toEqual([20]);
  });
});

// End to end on a real NATS and Postgres: bin readings through NATS (single and batched) feed
// the fill models; a bin about to overflow raises `waste.overflow.risk`; a plan visits exactly
// the due bins plus the must-visit one within the truck's capacity (unloading on the way) and
// is published on `waste.route.planned`; truck confirmations and fill drops mark its visits;
// the rest is re-planned; a restart keeps bins, models, vehicles and plans.
import {
  EmptiedBy,
  type Vehicle,
  VisitStatus,
  WasteStream,
} from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { eventually } from '@slimstad/test-harness';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWasteFixture, type WasteApi, type WasteFixture } from './support/waste-fixture.js';

// Monday 7 December 2026, 05:00 in Brussels; the trucks start at 07:00.
const NOW = Date.parse('2026-12-07T04:00:00Z');
const HOUR = 3_600_000;
const GLASS = WasteStream.WASTE_STREAM_GLASS;

const binAt = (id: string, i: number, stream = GLASS) => ({
  id,
  name: `Bin ${id}`,
  location: { latitude: 51.05 + i * 0.004, longitude: 3.72 + (i % 3) * 0.004 },
  volumeLitres: 1000,
  stream,
  deviceId: `sensor-${id}`,
  accessWindow: undefined,
  mustVisit: false,
  version: 0n,
  createTime: undefined,
});
const truck: Vehicle = {
  id: 'glass-1',
  name: 'Glass truck 1',
  streams: [GLASS],
  capacityLitres: 2500,
  capacityKg: 6000,
  depot: { latitude: 51.04, longitude: 3.7 },
  unloadLocation: { latitude: 51.03, longitude: 3.75 },
  shiftStartMinute: 7 * 60,
  shiftEndMinute: 15 * 60,
  maxRouteMinutes: 0,
  serviceSeconds: 180,
  unloadSeconds: 600,
  version: 0n,
};

let f: WasteFixture;
let admin: WasteApi;
let operator: WasteApi;
let viewer: WasteApi;

/** Hourly readings ending an hour before NOW. */
async function history(device: string, levels: number[]) {
  for (const [i, level] of levels.entries()) {
    await f.reading(device, NOW - (levels.length - i) * HOUR, level);
  }
}

const flat = (level: number) => [level - 1, level, level + 0.5, level, level + 1, level];

beforeAll(async () => {
  f = await startWasteFixture('waste_collection', new Date(NOW).toISOString());
  admin = await f.api(['admin'], 'ada');
  operator = await f.api(['operator'], 'otto');
  viewer = await f.api(['viewer'], 'vera');
  await admin.createVehicle({ vehicle: truck });
  const bins = ['a1', 'a2', 'a3', 'a4', 'c1', 'r1', 'n1', 'n2', 'm1'];
  for (const [i, id] of bins.entries()) await admin.createBin({ bin: binAt(id, i) });
  await admin.createBin({ bin: binAt('p1', 20, WasteStream.WASTE_STREAM_PAPER) });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe('readings → fill models → overflow risk', () => {
  it('follows single and batched readings and raises an overflow risk for the bin that will not wait', async () => {
    for (const id of ['a1', 'a2', 'a3']) await history(`sensor-${id}`, flat(85));
    await history('sensor-c1', [40, 46, 52, 58, 64, 70]); // due: 6 %/h, past 80 before tomorrow
    await history('sensor-r1', [72, 76, 80, 84, 88, 92, 96]); // full within the hour
    await history('sensor-n1', flat(20));
    await history('sensor-m1', flat(10));
    await history('sensor-p1', flat(95));
    // a4 and n2 arrive batched, as LoRaWAN uplinks do.
    await f.batch(
      [6, 5, 4, 3, 2, 1].flatMap((k) => [
        { device: 'sensor-a4', at: NOW - k * HOUR, percent: 88 },
        { device: 'sensor-n2', at: NOW - k * HOUR, percent: 30 },
      ]),
    );
    await f.reading('sensor-unknown', NOW - HOUR, 50);
    await eventually(async () => {
      const { fills } = await viewer.listBins({ stream: GLASS, page: undefined });
      const byId = new Map(fills.map((x) => [x.binId, x]));
      expect(byId.get('a4')?.measuredPercent).toBe(88);
      expect(byId.get('n2')?.lastReadingTime).toEqual(new Date(NOW - HOUR));
      expect(byId.get('r1')?.measuredPercent).toBe(96);
      expect(byId.get('m1')?.lastReadingTime).toEqual(new Date(NOW - HOUR));
    }, 20_000);
    // r1 is full within the hour and the truck comes at 07:00; p1 (paper, 95 %) has no vehicle
    // that collects paper at all, so no visit is in sight.
    await eventually(
      () =>
        expect(
          f
            .overflowRisks()
            .map((r) => r.binId)
            .sort(),
        ).toEqual(['p1', 'r1']),
      10_000,
    );
    const risk = f.overflowRisks().find((r) => r.binId === 'r1');
    expect(
      f.events
        .filter((e) => e.subject.startsWith('waste.overflow.'))
        .map((e) => e.subject)
        .sort(),
    ).toEqual(['waste.overflow.risk.glass.r1', 'waste.overflow.risk.paper.p1']);
    expect(risk?.nextVisitTime).toEqual(new Date(NOW + 2 * HOUR)); // today's 07:00 shift
    expect(risk?.predictedFullTime?.getTime()).toBeLessThan(NOW + 2 * HOUR);
    const { fill } = await viewer.getBin({ binId: 'c1' });
    expect(fill?.ratePercentPerHour).toBeGreaterThan(3.5);
    expect(fill?.overflowRisk).toBe(false);
    // The unknown sensor's reading is kept with its reason.
    const rejected = await f.database.db.selectFrom('rejected_reading').selectAll().execute();
    expect(rejected.map((r) => [r.device_id, r.reason])).toEqual([
      ['sensor-unknown', 'no bin has this device'],
    ]);
    const metrics = await f.metrics.registry.metrics();
    expect(metrics).toMatch(/slimstad_waste_overflow_risks_total\{[^}]*stream="glass"[^}]*\} 1\n/);
  });
});

let planId = '';

describe('planning', () => {
  it('lists exactly the due bins plus the must-visit one', async () => {
    await operator.setMustVisit({
      binId: 'm1',
      mustVisit: true,
      reason: 'resident reported glass shards',
    });
    const { bins } = await viewer.listDueBins({ stream: GLASS, shiftDate: '' });
    expect(bins.map((b) => `${b.binId}:${b.reason}`)).toEqual([
      'a1:threshold',
      'a2:threshold',
      'a3:threshold',
      'a4:threshold',
      'c1:threshold',
      'm1:must-visit',
      'r1:threshold',
    ]);
  });

  it('plans a route over exactly those bins within the truck capacity, and publishes it', async () => {
    const { plan } = await operator.planRoutes({
      stream: GLASS,
      shiftDate: '2026-12-07',
      vehicleIds: [],
      timeLimitMs: 0,
      seed: 0,
    });
    if (!plan) throw new Error('no plan');
    planId = plan.id;
    expect(plan.matrixSource).toBe('great-circle');
    expect(plan.unassigned).toEqual([]);
    const route = plan.routes[0];
    const binIds = route?.visits.filter((v) => !v.unload).map((v) => v.binId);
    expect([...(binIds ?? [])].sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'c1', 'm1', 'r1']);
    // ~6 000 litres on a 2 500 l truck: it unloads at the transfer station on the way.
    expect(route?.visits.some((v) => v.unload)).toBe(true);
    for (const v of route?.visits ?? []) expect(v.loadLitres).toBeLessThanOrEqual(2500 + 1e-6);
    // Not before the 07:00 shift (06:00 UTC); a solver may leave later rather than wait.
    expect(route?.startTime?.getTime()).toBeGreaterThanOrEqual(Date.parse('2026-12-07T06:00:00Z'));
    expect(route?.visits[0]?.arrivalTime?.getTime()).toBeGreaterThan(
      Date.parse('2026-12-07T06:00:00Z'),
    );
    expect(route?.distanceMeters).toBeGreaterThan(1000);
    expect(route?.visits.map((v) => v.sequence)).toEqual(route?.visits.map((_, i) => i + 1));
    await eventually(
      () => expect(f.plansPublished().map((p) => p.plan?.id)).toEqual([planId]),
      10_000,
    );
    expect(f.events.find((e) => e.subject.startsWith('waste.route.'))?.subject).toBe(
      'waste.route.planned.glass',
    );
    expect(f.plansPublished()[0]?.plan?.routes[0]?.visits.length).toBe(route?.visits.length);
    expect(await f.metrics.registry.metrics()).toMatch(
      /slimstad_waste_planned_route_meters_count\{[^}]*stream="glass"[^}]*\} 1\n/,
    );
  });

  it('follows execution: a truck confirmation and a fill drop mark their visits', async () => {
    f.clock.set(NOW + 3 * HOUR);
    const { planId: confirmed } = await operator.recordEmptied({
      binId: 'a1',
      vehicleId: 'glass-1',
      emptiedTime: new Date(NOW + 2.5 * HOUR),
    });
    expect(confirmed).toBe(planId);
    await f.reading('sensor-a2', NOW + 2.8 * HOUR, 3);
    await eventually(async () => {
      const { plan } = await viewer.getPlan({ planId });
      const status = new Map(
        plan?.routes[0]?.visits.filter((v) => v.binId).map((v) => [v.binId, v.status]),
      );
      expect(status.get('a1')).toBe(VisitStatus.VISIT_STATUS_EMPTIED);
      expect(status.get('a2')).toBe(VisitStatus.VISIT_STATUS_EMPTIED);
      expect(status.get('a3')).toBe(VisitStatus.VISIT_STATUS_PLANNED);
    }, 10_000);
    await eventually(() =>
      expect(f.emptiedEvents().map((e) => [e.binId, e.emptiedBy, e.planId])).toEqual([
        ['a1', EmptiedBy.EMPTIED_BY_TRUCK, planId],
        ['a2', EmptiedBy.EMPTIED_BY_FILL_DROP, planId],
      ]),
    );
    const { fill } = await viewer.getBin({ binId: 'a1' });
    expect(fill?.lastEmptiedTime).toEqual(new Date(NOW + 2.5 * HOUR));
    // The sensor then sees the drop the truck confirmed: the same emptying, not a second.
    await f.reading('sensor-a1', NOW + 2.9 * HOUR, 2);
    await eventually(async () => {
      const { fill: after } = await viewer.getBin({ binId: 'a1' });
      expect(after?.measuredPercent).toBe(2);
    });
    expect(f.emptiedEvents()).toHaveLength(2);
  });

  it('re-plans the rest from where the truck is', async () => {
    const { plan } = await operator.replanRemaining({ planId, timeLimitMs: 0 });
    const binIds = plan?.routes.flatMap((r) =>
      r.visits.filter((v) => !v.unload).map((v) => v.binId),
    );
    expect([...(binIds ?? []), ...(plan?.unassigned.map((u) => u.binId) ?? [])].sort()).toEqual([
      'a3',
      'a4',
      'c1',
      'm1',
      'r1',
    ]);
    expect(plan?.replacesPlanId).toBe(planId);
    expect(plan?.routes[0]?.startTime?.getTime()).toBeGreaterThanOrEqual(NOW + 3 * HOUR);
    const { plan: old } = await viewer.getPlan({ planId });
    const statuses = old?.routes[0]?.visits.filter((v) => v.binId).map((v) => v.status);
    expect(statuses?.filter((s) => s === VisitStatus.VISIT_STATUS_REPLANNED)).toHaveLength(5);
    await eventually(() => expect(f.plansPublished()).toHaveLength(2));
    // A later emptying completes the visit of the new plan.
    const { planId: completed } = await operator.recordEmptied({
      binId: 'a3',
      vehicleId: 'glass-1',
      emptiedTime: undefined,
    });
    expect(completed).toBe(plan?.id);
  });
});

describe('restart', () => {
  it('keeps bins, fill models, vehicles, must-visit marks and plans', async () => {
    const before = await viewer.listBins({ stream: GLASS, page: undefined });
    await f.restart();
    const after = await viewer.listBins({ stream: GLASS, page: undefined });
    expect(after).toEqual(before);
    expect((await viewer.listVehicles({ page: undefined })).vehicles.map((v) => v.id)).toEqual([
      'glass-1',
    ]);
    expect((await viewer.listPlans({ stream: GLASS, page: undefined })).plans).toHaveLength(2);
    // The model continues where it was: one more reading is a step, not a first reading.
    const rate = after.fills.find((x) => x.binId === 'c1')?.ratePercentPerHour ?? 0;
    await f.reading('sensor-c1', NOW + 3 * HOUR, 88);
    await eventually(async () => {
      const { fill } = await viewer.getBin({ binId: 'c1' });
      expect(fill?.measuredPercent).toBe(88);
      expect(fill?.ratePercentPerHour).toBeGreaterThan(rate * 0.8);
    });
    // r1's risk stays raised: no second event after the restart.
    await f.reading('sensor-r1', NOW + 3 * HOUR, 99);
    await eventually(async () =>
      expect((await viewer.getBin({ binId: 'r1' })).fill?.measuredPercent).toBe(99),
    );
    expect(f.overflowRisks().filter((r) => r.binId === 'r1')).toHaveLength(1);
  });
});

describe('a write that fails', () => {
  it('marks no overflow risk in memory: the redelivered reading raises it', async () => {
    // The store refuses the first fill state of x1 that carries a raised risk, once: the
    // reading that makes the bin a risk fails, and is redelivered.
    await sql`create sequence waste.refusals`.execute(f.database.db);
    await sql`
      create function waste.refuse_first_risk() returns trigger language plpgsql as $$
      begin
        -- A sequence, not a table: its count survives the rollback the exception causes.
        if new.bin_id = 'x1' and (new.state::jsonb ->> 'riskRaised')::boolean
           and nextval('waste.refusals') = 1 then
          raise exception 'refused for the test';
        end if;
        return new;
      end $$`.execute(f.database.db);
    await sql`
      create trigger refuse_first_risk before insert or update on waste.fill_state
      for each row execute function waste.refuse_first_risk()`.execute(f.database.db);
    const refusals = async () =>
      (
        await sql<{ n: number; called: boolean }>`
          select last_value::int as n, is_called as called from waste.refusals`.execute(
          f.database.db,
        )
      ).rows[0];
    try {
      await admin.createBin({ bin: binAt('x1', 30) });
      for (const [k, level] of [60, 66, 72, 78, 84, 90, 96].entries()) {
        await f.reading('sensor-x1', NOW - (8 - k) * HOUR, level);
      }
      // The first risky write was refused (later ones count on, unrefused).
      await eventually(
        async () => expect(await refusals()).toMatchObject({ called: true }),
        20_000,
      );
      // Redelivered after the failure, the reading is judged again and raises the risk, once.
      await eventually(
        () => expect(f.overflowRisks().filter((r) => r.binId === 'x1')).toHaveLength(1),
        20_000,
      );
      const { fill } = await viewer.getBin({ binId: 'x1' });
      expect(fill?.overflowRisk).toBe(true);
    } finally {
      await sql`drop trigger refuse_first_risk on waste.fill_state`.execute(f.database.db);
    }
  });
});

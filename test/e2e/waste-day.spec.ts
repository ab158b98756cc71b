// Scenario: a waste day in the centre of Brussels. The real ingest, waste and alerting services
// as processes, the demo city's devices imported into ingest and its bins and vehicles seeded
// into waste by the simulator's own seeding, an alert rule on waste's overflow risks created
// through alerting's API, and a city clock at 720× from 00:50 on a working day. Through the
// night the seven demo fill sensors report every half hour through The Things Stack's webhook:
// the Grote Markt's bins fill until they will overflow before the 06:00 round, the
// Beenhouwersstraat's crosses the threshold without risk, the others stay low. Waste raises an
// overflow risk for exactly the two that will overflow and alerting turns each into an alert;
// the morning's plans visit exactly the due bins, the small residual tipper unloading on the
// way; the crew confirms its bins emptied and the PMD bin's sensor sees its drop, after which
// no bin is due and the alerts are resolved.
import { readFileSync } from 'node:fs';
import { AlertState, Severity } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { type Plan, VisitStatus } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { localTime, realDelay } from '@slimstad/kit';
import { parseDevicesCsv, type SimDevice } from '@slimstad/simulator/domain/devices';
import { importDevices } from '@slimstad/simulator/registry';
import {
  DEMO_WASTE_FILE,
  loadWasteLayout,
  STREAMS,
  type StreamName,
} from '@slimstad/simulator/waste/waste-layout';
import { seedWaste } from '@slimstad/simulator/waste/waste-seed';
import { ttsWebhookWay } from '@slimstad/simulator/ways/tts-webhook';
import type { Way } from '@slimstad/simulator/ways/way';
import { eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastLocal, startCity, type TestCity } from './support/city.js';

const csv = readFileSync(
  new URL('../../services/simulator/demo/devices.csv', import.meta.url),
  'utf8',
);
const devices = parseDevicesCsv(csv);
const layout = loadWasteLayout(readFileSync(DEMO_WASTE_FILE, 'utf8'), devices);
const SPEED = 720;
const HOUR = 3_600_000;
/**
 * The city clock starts this long in the past: the clock may run for three real minutes at
 * SPEED before it would pass the real one (ingest refuses readings from the future).
 */
const START = lastLocal('00:50', [1, 2, 3, 4, 5], SPEED * 180_000);
const MIDNIGHT = START - 50 * 60_000; // a working night: no change of summer time
const at = (hhmm: string) => {
  const [h = 0, m = 0] = hhmm.split(':').map(Number);
  return MIDNIGHT + h * HOUR + m * 60_000;
};
const SHIFT_DATE = localTime(START, 'Europe/Brussels').date;
const THRESHOLD = 80; // the waste service's default

/**
 * The night's fill levels, one every half hour from 01:00 to 04:00. The Grote Markt's bins
 * fill after the terraces close: the residual one overflows by 03:30, the PMD one will be
 * full around five, both before the 06:00 round. The Beenhouwersstraat's crosses the
 * threshold at 04:00 but will not be full before noon. The rest fill slowly.
 */
const NIGHT = ['01:00', '01:30', '02:00', '02:30', '03:00', '03:30', '04:00'];
const FILLS: Record<string, number[]> = {
  'bin-grote-markt-1': [92, 94, 95, 97, 98, 100, 100],
  'bin-grote-markt-2': [90, 91, 93, 94, 96, 97, 98],
  'bin-beenhouwers': [72, 73, 75, 76, 78, 79, 81],
  'bin-warandepark-1': [20, 20, 21, 21, 21, 22, 22],
  'bin-warandepark-2': [15, 15, 16, 16, 16, 17, 17],
  'bin-nieuwstraat': [30, 30, 31, 31, 31, 31, 32],
  'bin-sint-goriks': [40, 40, 40, 41, 41, 41, 41],
};
const WILL_OVERFLOW = ['bin-grote-markt-1', 'bin-grote-markt-2'];
const DUE: Record<StreamName, string[]> = {
  residual: ['bin-beenhouwers', 'bin-grote-markt-1'],
  pmd: ['bin-grote-markt-2'],
  paper: [],
  glass: [],
  organic: [],
};
const RULE = 'waste-overflow';

let city: TestCity;
let waste: Awaited<ReturnType<TestCity['waste']>>;
let alerting: Awaited<ReturnType<TestCity['alerting']>>;
let tts: Way;
let sequence = Math.floor(Date.now() / 1000);
const plans = new Map<StreamName, Plan>();

const sensor = (id: string) => devices.find((d) => d.id === id) as SimDevice;
const binOf = (id: string) => layout.bins.find((b) => b.id === id)!;
const vehicleOf = (id: string) => layout.vehicles.find((v) => v.id === id)!;

/** Waits (real time) until the city clock reaches `ms`. */
async function until(ms: number) {
  const wait = realDelay(city.clock, ms - city.clock.now());
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** A fill sensor reports `percent` measured at `ms` (city time, never ahead of the clock). */
async function report(deviceId: string, ms: number, percent: number) {
  await until(ms);
  sequence += 1;
  const result = await tts.send({
    device: sensor(deviceId),
    values: { fill_level: percent },
    observedAt: new Date(ms),
    sequence,
  });
  expect(result, `${deviceId} at ${new Date(ms).toISOString()}`).toEqual({ ok: true });
}

async function alertsOfRule() {
  const { alerts } = await alerting.listAlerts({ states: [], matchers: [] });
  return alerts.filter((a) => a.ruleId === RULE);
}

const byBin = (alerts: Awaited<ReturnType<typeof alertsOfRule>>) =>
  Object.fromEntries(alerts.map((a) => [a.labels.bin, a.state]));

beforeAll(async () => {
  city = await startCity({
    label: 'wasteday',
    services: ['ingest', 'waste', 'alerting'],
    clockStartMs: START,
    speed: SPEED,
  });
  const imported = await importDevices({
    address: city.service('ingest').address,
    csv,
    token: await city.token(['operator']),
  });
  expect(imported.created).toBe(devices.length);
  const seeded = await seedWaste({
    address: city.service('waste').address,
    layout,
    token: await city.token(['admin'], 'simulator'),
  });
  expect(seeded).toEqual({
    vehicles: { created: layout.vehicles.length, updated: 0, unchanged: 0 },
    bins: { created: layout.bins.length, updated: 0, unchanged: 0 },
  });
  // The control room wants an alert for every bin waste says will overflow, resolved when the
  // bin is emptied. The rule's consumers start at new events: it exists before the night.
  const admin = await city.alerting(['admin']);
  try {
    await admin.createRule({
      rule: {
        id: RULE,
        version: 0n,
        name: 'bin will overflow before its round',
        enabled: true,
        severity: Severity.SEVERITY_WARNING,
        scope: {},
        labels: { team: 'waste' },
        annotations: { summary: 'a bin will overflow before the next round comes' },
        condition: {
          $case: 'event',
          value: {
            subject: 'waste.overflow.risk.*.{bin}',
            resolveSubject: 'waste.bin.emptied.{bin}',
          },
        },
        updatedBy: '',
      },
    });
  } finally {
    admin.close();
  }
  const ready = await city.service('ingest').process.logLine('ingest ready', 30_000);
  tts = ttsWebhookWay({
    url: `http://127.0.0.1:${Number(ready.httpPort)}/webhooks/tts`,
    secret: 'e2e-tts-secret',
  });
  waste = await city.waste(['operator']);
  alerting = await city.alerting(['viewer']);
}, 150_000);

afterAll(async () => {
  await tts?.close();
  waste?.close();
  alerting?.close();
  await city?.close();
}, 60_000);

describe('a waste day', () => {
  it('fills the bins through the night, and raises overflow risks and alerts for the two that will overflow', async () => {
    expect(Object.keys(FILLS).sort()).toEqual(layout.bins.map((b) => b.id).sort());
    for (const [i, time] of NIGHT.entries()) {
      for (const [id, levels] of Object.entries(FILLS)) await report(id, at(time), levels[i]!);
    }
    // Waste has every reading: the last one of each bin is its model's latest.
    const fills = await eventually(async () => {
      const { fills } = await waste.listBins({ stream: 0, page: undefined });
      expect(fills.map((f) => [f.binId, f.measuredPercent, f.lastReadingTime?.getTime()])).toEqual(
        Object.entries(FILLS)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([id, levels]) => [id, levels.at(-1), at('04:00')]),
      );
      return fills;
    }, 30_000);
    // Three bins crossed the threshold in the night; the Beenhouwersstraat's without risk.
    expect(
      fills
        .filter((f) => f.measuredPercent >= THRESHOLD)
        .map((f) => f.binId)
        .sort(),
    ).toEqual(['bin-beenhouwers', ...WILL_OVERFLOW]);
    expect(
      fills
        .filter((f) => f.overflowRisk)
        .map((f) => f.binId)
        .sort(),
    ).toEqual(WILL_OVERFLOW);
    // Full before the 06:00 round (or already full, if the clock is past it by now).
    const asked = city.clock.now();
    for (const f of fills.filter((x) => x.overflowRisk)) {
      expect(f.predictedFullTime!.getTime(), f.binId).toBeLessThanOrEqual(
        Math.max(at('06:00'), asked),
      );
    }
    const beenhouwers = fills.find((f) => f.binId === 'bin-beenhouwers')!;
    expect(beenhouwers.predictedFullTime!.getTime()).toBeGreaterThan(at('06:00'));

    // Alerting turned each overflow risk (waste.overflow.risk.<stream>.<bin>) into an alert,
    // and only those.
    await eventually(async () => {
      expect(byBin(await alertsOfRule())).toEqual({
        'bin-grote-markt-1': AlertState.ALERT_STATE_FIRING,
        'bin-grote-markt-2': AlertState.ALERT_STATE_FIRING,
      });
    }, 30_000);
    const alerts = await alertsOfRule();
    for (const a of alerts)
      expect(a.labels).toMatchObject({ team: 'waste', alertname: expect.any(String) });
  }, 90_000);

  it('plans the morning round over exactly the due bins, each trip within its vehicle’s capacity', async () => {
    for (const stream of Object.keys(DUE) as StreamName[]) {
      const { bins } = await waste.listDueBins({ stream: STREAMS[stream], shiftDate: SHIFT_DATE });
      expect(
        bins.map((b) => b.binId),
        stream,
      ).toEqual(DUE[stream]);
      expect(bins.every((b) => b.reason === 'threshold')).toBe(true);
      if (DUE[stream].length === 0) continue;

      const { plan } = await waste.planRoutes({
        stream: STREAMS[stream],
        shiftDate: SHIFT_DATE,
        vehicleIds: [],
        timeLimitMs: 0,
        seed: 0,
      });
      if (!plan) throw new Error(`no ${stream} plan`);
      plans.set(stream, plan);
      expect(plan.shiftDate).toBe(SHIFT_DATE);
      expect(plan.unassigned).toEqual([]);
      const visited = plan.routes.flatMap((r) =>
        r.visits.filter((v) => !v.unload).map((v) => v.binId),
      );
      expect(visited.sort()).toEqual(DUE[stream]);

      // What the due bins hold when the round starts, against what one trip can carry.
      const demand = bins.reduce(
        (sum, b) => sum + (binOf(b.binId).volumeLitres * Math.min(100, b.predictedPercent)) / 100,
        0,
      );
      for (const route of plan.routes) {
        const vehicle = vehicleOf(route.vehicleId);
        expect(vehicle.streams).toContain(stream);
        expect(route.startTime!.getTime()).toBeGreaterThanOrEqual(at(vehicle.shift.from));
        expect(route.visits.map((v) => v.sequence)).toEqual(route.visits.map((_, i) => i + 1));
        // Trips end at an unload or back at the depot; the load only grows within a trip.
        const trips: number[][] = [[]];
        for (const visit of route.visits) {
          if (visit.unload) {
            expect(visit.loadLitres).toBe(0);
            trips.push([]);
          } else trips.at(-1)!.push(visit.loadLitres);
          expect(visit.loadLitres).toBeLessThanOrEqual(vehicle.capacityLitres + 1e-6);
          expect(visit.loadKg).toBeLessThanOrEqual(vehicle.capacityKg + 1e-6);
        }
        for (const trip of trips) {
          expect(trip).toEqual([...trip].sort((a, b) => a - b));
          expect(trip.at(-1) ?? 0).toBeLessThanOrEqual(vehicle.capacityLitres + 1e-6);
        }
        // A due demand beyond one load needs an unload on the way.
        if (stream === 'residual') {
          expect(demand).toBeGreaterThan(vehicle.capacityLitres);
          expect(trips.filter((t) => t.length > 0).length).toBeGreaterThanOrEqual(2);
        }
      }
    }
    expect([...plans.keys()].sort()).toEqual(['pmd', 'residual']);
  }, 60_000);

  it('empties the bins on the round, after which none is due and the alerts are resolved', async () => {
    const residual = plans.get('residual')!;
    const pmd = plans.get('pmd')!;
    // The tipper's crew confirms each bin as it leaves it; the sensor reads it empty after.
    for (const route of residual.routes) {
      for (const visit of route.visits.filter((v) => !v.unload)) {
        const left = visit.departureTime!.getTime();
        await until(left);
        const { planId } = await waste.recordEmptied({
          binId: visit.binId,
          vehicleId: route.vehicleId,
          emptiedTime: new Date(left),
        });
        expect(planId).toBe(residual.id);
        await report(visit.binId, left + 5 * 60_000, 2);
      }
    }
    // The crane truck's crew confirms nothing: the PMD bin's sensor sees the drop.
    for (const route of pmd.routes) {
      for (const visit of route.visits.filter((v) => !v.unload)) {
        await report(visit.binId, visit.departureTime!.getTime() + 60_000, 3);
      }
    }

    await eventually(async () => {
      for (const plan of [residual, pmd]) {
        const { plan: now } = await waste.getPlan({ planId: plan.id });
        const statuses = now!.routes.flatMap((r) =>
          r.visits.filter((v) => !v.unload).map((v) => [v.binId, v.status]),
        );
        expect(statuses.filter(([, s]) => s !== VisitStatus.VISIT_STATUS_EMPTIED)).toEqual([]);
      }
    }, 30_000);
    for (const id of [...DUE.residual, ...DUE.pmd]) {
      const { fill } = await waste.getBin({ binId: id });
      expect(fill?.lastEmptiedTime, id).toBeDefined();
      expect(fill?.overflowRisk, id).toBe(false);
      expect(fill?.measuredPercent, id).toBeLessThan(5);
    }
    for (const stream of Object.keys(DUE) as StreamName[]) {
      const { bins } = await waste.listDueBins({ stream: STREAMS[stream], shiftDate: SHIFT_DATE });
      expect(
        bins.map((b) => b.binId),
        stream,
      ).toEqual([]);
    }
    // Each emptying (waste.bin.emptied.<bin>) resolved its bin's alert.
    await eventually(async () => {
      expect(byBin(await alertsOfRule())).toEqual({
        'bin-grote-markt-1': AlertState.ALERT_STATE_RESOLVED,
        'bin-grote-markt-2': AlertState.ALERT_STATE_RESOLVED,
      });
    }, 30_000);
  }, 90_000);
});

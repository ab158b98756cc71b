// Planning, pure: which bins are due, the routing problem built for them (and solved by the
// solver behind the routing interface), and the answer mapped back to clock time.
import { describe, expect, it } from 'vitest';
import { greatCircleMatrix } from '../matrix/distance-matrix.js';
import { solve, validateSolution } from '../routing/index.js';
import { DEFAULT_FILL_SETTINGS, newFillState, type Slotter } from './fill-model.js';
import type { BinSpec, VehicleSpec } from './model.js';
import {
  type BinView,
  demandOf,
  dueBins,
  layoutProblem,
  routesFromSolution,
  shiftOf,
} from './planning.js';

const HOUR = 3_600_000;
const DAY0 = Date.parse('2026-12-07T00:00:00Z'); // a Monday, UTC slots
const utc: Slotter = (ms) => ({
  weekday: new Date(ms).getUTCDay(),
  hour: new Date(ms).getUTCHours(),
});

const bin = (id: string, lat: number, stream: BinSpec['stream'] = 'glass'): BinSpec => ({
  id,
  name: id,
  location: { latitude: lat, longitude: 3.72 },
  volumeLitres: 1000,
  stream,
  deviceId: id,
});
const view = (spec: BinSpec, level: number | undefined, rate = 1, mustVisit = false): BinView => ({
  spec,
  mustVisit,
  fill:
    level === undefined
      ? undefined
      : { ...newFillState(DAY0, level, DEFAULT_FILL_SETTINGS), base: rate },
});
const truck: VehicleSpec = {
  id: 't1',
  name: 'T1',
  streams: ['glass'],
  capacityLitres: 2500,
  capacityKg: 10_000,
  depot: { latitude: 51.0, longitude: 3.72 },
  shiftStartMinute: 6 * 60,
  shiftEndMinute: 14 * 60,
  maxRouteMinutes: 0,
  serviceSeconds: 120,
  unloadSeconds: 600,
};

describe('due bins', () => {
  const shift = shiftOf([truck], DAY0, 1) as NonNullable<ReturnType<typeof shiftOf>>;
  it('takes bins over the threshold at the shift, or past it before the next, and must-visit ones', () => {
    const due = dueBins({
      bins: [
        view(bin('a-full', 51.01), 85),
        view(bin('b-soon', 51.02), 60, 1), // 60 + 1 %/h × 30 h ≥ 80 by the next shift
        view(bin('c-slow', 51.03), 20, 0.5), // 20 + 0.5 × 30 = 35: not due
        view(bin('d-ask', 51.04), 10, 0.1, true),
        view(bin('e-silent', 51.05), undefined),
        view(bin('f-paper', 51.06, 'paper'), 99),
      ],
      stream: 'glass',
      shiftStart: shift.start,
      nextShiftStart: shift.nextStart,
      threshold: 80,
      slotOf: utc,
    });
    expect(due.map((d) => [d.binId, d.reason])).toEqual([
      ['a-full', 'threshold'],
      ['b-soon', 'threshold'],
      ['d-ask', 'must-visit'],
    ]);
    expect(due[1]?.predictedPercent).toBeCloseTo(66, 6); // 60 + 6 h at 1 %/h
  });

  it('spans the shifts of the stream’s vehicles', () => {
    expect(
      shiftOf([truck, { ...truck, shiftStartMinute: 300, shiftEndMinute: 900 }], DAY0, 2),
    ).toEqual({
      start: DAY0 + 5 * HOUR,
      end: DAY0 + 15 * HOUR,
      nextStart: DAY0 + 5 * HOUR + 2 * 86_400_000,
    });
    expect(shiftOf([], DAY0, 1)).toBeUndefined();
  });
});

describe('problem and routes', () => {
  it('routes every due bin within capacity, unloading when full (multi-trip)', () => {
    const bins = [1, 2, 3, 4, 5].map((i) => view(bin(`b${i}`, 51 + i / 100), 90));
    const stops = bins.map((b) => demandOf(b, DAY0 + 6 * HOUR, utc));
    expect(stops[0]).toMatchObject({ litres: 960, kg: 960 * 0.3 }); // 90 + 6 h at 1 %/h of 1000 l
    const layout = layoutProblem(stops, [{ spec: truck }], {
      dayStart: DAY0,
      latePenaltyPerSecond: 0,
    });
    // depot + 5 bins; the depot doubles as the unload place.
    expect(layout.points).toHaveLength(6);
    const problem = layout.build(
      greatCircleMatrix(layout.points, { roadFactor: 1.3, speedKmh: 25 }),
    );
    expect(problem.vehicles[0]).toMatchObject({
      capacity: [2500, 10_000],
      unloadLocations: [0],
      shift: { start: 21_600, end: 50_400 },
    });
    const solution = solve(problem, { seed: 1, timeLimitMs: 2_000 });
    expect(validateSolution(problem, solution)).toEqual([]);
    expect(solution.unassigned).toEqual([]);
    const { routes } = routesFromSolution(solution, DAY0);
    const visits = routes[0]?.visits ?? [];
    expect(
      visits
        .filter((v) => v.binId)
        .map((v) => v.binId)
        .sort(),
    ).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
    // 5 × 960 l on a 2500 l truck: at least one unload on the way.
    expect(visits.filter((v) => v.unload).length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...visits.map((v) => v.loadLitres))).toBeLessThanOrEqual(2500);
    expect(visits[0]?.arrival).toBeGreaterThan(DAY0 + 6 * HOUR);
  });

  it('honours hard access windows and reports what no vehicle can serve', () => {
    const early = {
      ...bin('early', 51.2),
      accessWindow: { startMinute: 0, endMinute: 300, soft: false },
    };
    const late = {
      ...bin('late', 51.02),
      accessWindow: { startMinute: 600, endMinute: 660, soft: false },
    };
    const soft = {
      ...bin('soft', 51.2),
      accessWindow: { startMinute: 0, endMinute: 300, soft: true },
    };
    const stops = [early, late, soft].map((b) => demandOf(view(b, 50), DAY0 + 6 * HOUR, utc));
    const layout = layoutProblem(stops, [{ spec: truck }], {
      dayStart: DAY0,
      latePenaltyPerSecond: 1,
    });
    const problem = layout.build(
      greatCircleMatrix(layout.points, { roadFactor: 1.3, speedKmh: 25 }),
    );
    const solution = solve(problem, { seed: 1, timeLimitMs: 2_000 });
    expect(validateSolution(problem, solution)).toEqual([]);
    expect(solution.unassigned.map((u) => u.stopId)).toEqual(['early']);
    const { routes } = routesFromSolution(solution, DAY0);
    const byBin = new Map(routes[0]?.visits.map((v) => [v.binId, v]));
    expect(byBin.get('late')?.departure).toBeGreaterThanOrEqual(DAY0 + 10 * HOUR + 120_000);
    expect(byBin.get('soft')?.lateSeconds).toBeGreaterThan(3600);
  });

  it('starts a re-plan where the truck is, with what it carries', () => {
    const stops = [demandOf(view(bin('x', 51.05), 50), DAY0 + 9 * HOUR, utc)];
    const layout = layoutProblem(
      stops,
      [
        {
          spec: truck,
          start: { point: { latitude: 51.1, longitude: 3.72 }, at: DAY0 + 9 * HOUR },
          onBoard: { litres: 2000, kg: 100 },
        },
      ],
      { dayStart: DAY0, latePenaltyPerSecond: 0 },
    );
    const problem = layout.build(
      greatCircleMatrix(layout.points, { roadFactor: 1.3, speedKmh: 25 }),
    );
    expect(problem.vehicles[0]).toMatchObject({
      capacity: [2500, 10_000],
      startLocation: 0,
      endLocation: 1,
      shift: { start: 32_400 },
    });
    // The load on board is a stop where the truck stands, due at once.
    expect(problem.stops[0]).toEqual({
      id: 'on-board:t1',
      location: 0,
      demand: [2000, 100],
      serviceSeconds: 0,
      window: { start: 32_400, end: 32_400, soft: false },
    });
    const solution = solve(problem, { seed: 1, timeLimitMs: 2_000 });
    expect(validateSolution(problem, solution)).toEqual([]);
    const { routes, unassigned } = routesFromSolution(solution, DAY0);
    expect(unassigned).toEqual([]);
    // 2000 l on board + 540 l of x > 2500 l: it unloads before x, and again before going home
    // (trucks return empty); the carried stop is not shown.
    expect(routes[0]?.visits.map((v) => [v.sequence, v.unload, v.binId])).toEqual([
      [1, true, undefined],
      [2, false, 'x'],
      [3, true, undefined],
    ]);
  });
});

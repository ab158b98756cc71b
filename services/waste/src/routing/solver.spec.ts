import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { euclidean } from './fixtures/geometry.js';
import { solve } from './solver.js';
import type { RoutingProblem, RoutingSolution } from './types.js';
import { validateSolution } from './validator.js';
import { type CvrpInstance, cvrpCost, cvrpToProblem } from './vrp-file.js';

const budget = (seed: number, maxIterations: number) => ({
  seed,
  timeLimitMs: 60_000,
  maxIterations,
});
const withoutStats = ({ stats: _stats, ...rest }: RoutingSolution) => rest;

const point = fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }));

/** Waste-like problems: two capacity dimensions, windows hard or soft, shifts, durations, unloads. */
const richProblem: fc.Arbitrary<RoutingProblem> = fc
  .record({
    depot: point,
    site: point,
    stops: fc.array(
      fc.record({
        at: point,
        litres: fc.integer({ min: 0, max: 60 }),
        kg: fc.integer({ min: 0, max: 500 }),
        service: fc.integer({ min: 0, max: 300 }),
        window: fc.option(
          fc.record({
            start: fc.integer({ min: 0, max: 6000 }),
            width: fc.integer({ min: 0, max: 6000 }),
            soft: fc.boolean(),
          }),
        ),
      }),
      { minLength: 1, maxLength: 14 },
    ),
    vehicles: fc.array(
      fc.record({
        litres: fc.integer({ min: 30, max: 150 }),
        kg: fc.integer({ min: 300, max: 1500 }),
        shiftStart: fc.integer({ min: 0, max: 1800 }),
        shiftLength: fc.integer({ min: 1800, max: 14_400 }),
        maxDuration: fc.option(fc.integer({ min: 1800, max: 10_000 })),
        multiTrip: fc.boolean(),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    latePenalty: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ depot, site, stops, vehicles, latePenalty }) => ({
    ...euclidean([depot, site, ...stops.map((s) => s.at)], 5),
    latePenaltyPerSecond: latePenalty,
    stops: stops.map((s, i) => ({
      id: `bin${i}`,
      location: i + 2,
      demand: [s.litres, s.kg],
      serviceSeconds: s.service,
      ...(s.window
        ? {
            window: {
              start: s.window.start,
              end: s.window.start + s.window.width,
              soft: s.window.soft,
            },
          }
        : {}),
    })),
    vehicles: vehicles.map((v, k) => ({
      id: `truck${k}`,
      capacity: [v.litres, v.kg],
      startLocation: 0,
      endLocation: 0,
      shift: { start: v.shiftStart, end: v.shiftStart + v.shiftLength },
      ...(v.maxDuration !== null ? { maxDurationSeconds: v.maxDuration } : {}),
      ...(v.multiTrip ? { unloadLocations: [1], unloadSeconds: 600 } : {}),
    })),
  }));

function randomCvrp(points: [number, number][], demands: number[], capacity: number): CvrpInstance {
  return {
    name: 'random',
    dimension: points.length,
    capacity,
    coords: Float64Array.from(points.flat()),
    demands: Int32Array.from([0, ...demands]),
    depot: 0,
  };
}

const cvrpArb = (maxCustomers: number) =>
  fc
    .record({
      capacity: fc.integer({ min: 10, max: 40 }),
      customers: fc.array(fc.tuple(point, fc.integer({ min: 1, max: 10 })), {
        minLength: 1,
        maxLength: maxCustomers,
      }),
      depot: point,
    })
    .map(({ capacity, customers, depot }) =>
      randomCvrp(
        [depot, ...customers.map((c) => c[0])],
        customers.map((c) => c[1]),
        capacity,
      ),
    );

/** One small van for an hour. */
const van = {
  id: 'van',
  capacity: [10],
  startLocation: 0,
  endLocation: 0,
  shift: { start: 0, end: 3600 },
};

const routesOf = (s: RoutingSolution) => s.routes.map((r) => r.visits.map((v) => Number(v.stopId)));

/** Exact CVRP optimum by dynamic programming over subsets (Held-Karp per route, then
 *  set partitioning); for up to ~10 customers. */
function bruteForce(inst: CvrpInstance): number {
  const n = inst.dimension - 1;
  const full = 1 << n;
  const d = (a: number, b: number) =>
    Math.round(
      Math.hypot(
        inst.coords[2 * a]! - inst.coords[2 * b]!,
        inst.coords[2 * a + 1]! - inst.coords[2 * b + 1]!,
      ),
    );
  // path[S][j]: shortest depot -> all of S ending at customer j (bit j-1 in S).
  const path = new Float64Array(full * n).fill(Number.POSITIVE_INFINITY);
  for (let j = 0; j < n; j++) path[(1 << j) * n + j] = d(0, j + 1);
  for (let S = 1; S < full; S++)
    for (let j = 0; j < n; j++) {
      const v = path[S * n + j]!;
      if (!(S & (1 << j)) || v === Number.POSITIVE_INFINITY) continue;
      for (let k = 0; k < n; k++)
        if (!(S & (1 << k))) {
          const T = S | (1 << k);
          path[T * n + k] = Math.min(path[T * n + k]!, v + d(j + 1, k + 1));
        }
    }
  const route = new Float64Array(full).fill(Number.POSITIVE_INFINITY);
  for (let S = 1; S < full; S++) {
    let load = 0;
    for (let j = 0; j < n; j++) if (S & (1 << j)) load += inst.demands[j + 1]!;
    if (load > inst.capacity) continue;
    for (let j = 0; j < n; j++)
      if (S & (1 << j)) route[S] = Math.min(route[S]!, path[S * n + j]! + d(j + 1, 0));
  }
  const best = new Float64Array(full).fill(Number.POSITIVE_INFINITY);
  best[0] = 0;
  for (let S = 1; S < full; S++) {
    const low = S & -S;
    for (let T = S; T > 0; T = (T - 1) & S)
      if (T & low) best[S] = Math.min(best[S]!, route[T]! + best[S ^ T]!);
  }
  return best[full - 1]!;
}

describe('solve on pure CVRP', () => {
  it('visits every customer exactly once within capacity, costed by the CVRPLIB convention', () => {
    fc.assert(
      fc.property(cvrpArb(40), fc.integer({ min: 0, max: 1000 }), (inst, seed) => {
        const problem = cvrpToProblem(inst);
        const s = solve(problem, budget(seed, 300));
        expect(validateSolution(problem, s)).toEqual([]);
        expect(s.unassigned).toEqual([]);
        expect(cvrpCost(inst, routesOf(s))).toBe(s.distance); // throws on a missing/repeated customer or overload
        expect(s.cost).toBeLessThanOrEqual(s.stats!.constructionCost * (1 + 1e-12)); // summation order
      }),
      { numRuns: 60, seed: 42 },
    );
  });

  it('finds the brute-force optimum of small instances', () => {
    fc.assert(
      fc.property(cvrpArb(8), (inst) => {
        const s = solve(cvrpToProblem(inst), budget(7, 3000));
        expect(s.distance).toBe(bruteForce(inst));
      }),
      { numRuns: 25, seed: 7 },
    );
  });

  it('brute force itself agrees with a hand-checked optimum', () => {
    // Depot (0,0); (3,4) q4, (6,8) q3, (-5,0) q4, (-5,-3) q3; capacity 7: 20 + 14 = 34.
    const inst = randomCvrp(
      [
        [0, 0],
        [3, 4],
        [6, 8],
        [-5, 0],
        [-5, -3],
      ],
      [4, 3, 4, 3],
      7,
    );
    expect(bruteForce(inst)).toBe(34);
  });
});

describe('solve on waste-collection problems', () => {
  it('keeps every constraint: stops at most once, capacities between unloads, windows, shifts, durations', () => {
    fc.assert(
      fc.property(richProblem, fc.integer({ min: 0, max: 1000 }), (problem, seed) => {
        const s = solve(problem, budget(seed, 200));
        expect(validateSolution(problem, s)).toEqual([]);
        const placed = [
          ...s.routes.flatMap((r) => r.visits.flatMap((v) => (v.stopId ? [v.stopId] : []))),
          ...s.unassigned.map((u) => u.stopId),
        ];
        expect(placed.sort()).toEqual(problem.stops.map((x) => x.id).sort());
        for (const r of s.routes) {
          const cap = problem.vehicles.find((v) => v.id === r.vehicleId)!.capacity;
          for (const v of r.visits)
            for (const [d, q] of v.loadAfter.entries()) expect(q).toBeLessThanOrEqual(cap[d]!);
        }
        expect(s.cost).toBeLessThanOrEqual(s.stats!.constructionCost * (1 + 1e-12)); // summation order
      }),
      { numRuns: 150, seed: 1 },
    );
  });

  it('is deterministic for a seed and an iteration budget', () => {
    fc.assert(
      fc.property(richProblem, fc.integer({ min: 0, max: 1000 }), (problem, seed) => {
        expect(withoutStats(solve(problem, budget(seed, 150)))).toEqual(
          withoutStats(solve(problem, budget(seed, 150))),
        );
      }),
      { numRuns: 40, seed: 2 },
    );
  });

  it('plans several trips when the loads need it', () => {
    const problem: RoutingProblem = {
      ...euclidean(
        [
          [0, 0],
          [1000, 0],
          ...Array.from({ length: 10 }, (_, i): [number, number] => [100 * i, 200]),
        ],
        10,
      ),
      stops: Array.from({ length: 10 }, (_, i) => ({
        id: `bin${i}`,
        location: i + 2,
        demand: [40, 100],
        serviceSeconds: 60,
      })),
      vehicles: [
        {
          id: 'truck',
          capacity: [100, 1000],
          startLocation: 0,
          endLocation: 0,
          shift: { start: 0, end: 36_000 },
          unloadLocations: [1],
          unloadSeconds: 300,
        },
      ],
    };
    const s = solve(problem, budget(1, 500));
    expect(validateSolution(problem, s)).toEqual([]);
    expect(s.unassigned).toEqual([]);
    // 400 l of waste in a 100 l truck: at least four unloads (the last before going home).
    expect(s.routes[0]!.visits.filter((v) => v.kind === 'unload').length).toBeGreaterThanOrEqual(4);
  });

  it('reports the stops it cannot serve, with the reason', () => {
    const problem: RoutingProblem = {
      ...euclidean(
        [
          [0, 0],
          [100, 0],
          [200, 0],
          [300, 0],
          [50_000, 0],
        ],
        10,
      ),
      stops: [
        { id: 'heavy', location: 1, demand: [500], serviceSeconds: 0 },
        { id: 'far', location: 4, demand: [1], serviceSeconds: 0, window: { start: 0, end: 100 } },
        { id: 'a', location: 2, demand: [8], serviceSeconds: 0 },
        { id: 'b', location: 3, demand: [8], serviceSeconds: 0 },
      ],
      vehicles: [van],
    };
    const s = solve(problem, budget(1, 100));
    expect(validateSolution(problem, s)).toEqual([]);
    const reasons = Object.fromEntries(s.unassigned.map((u) => [u.stopId, u.reason]));
    expect(reasons.heavy).toMatch(/exceeds the capacity of every vehicle/);
    expect(reasons.far).toMatch(/time window, shift and maximum route duration/);
    // a and b each fit alone but not together: one of them waits for another day.
    expect(Object.keys(reasons)).toHaveLength(3);
    expect(reasons.a ?? reasons.b).toMatch(/no vehicle has room left/);
  });

  it('prefers lateness on a soft window to leaving a stop out', () => {
    const problem: RoutingProblem = {
      ...euclidean(
        [
          [0, 0],
          [1000, 0],
        ],
        10,
      ),
      latePenaltyPerSecond: 1,
      stops: [
        {
          id: 'late',
          location: 1,
          demand: [1],
          serviceSeconds: 0,
          window: { start: 0, end: 40, soft: true },
        },
      ],
      vehicles: [van],
    };
    const s = solve(problem, budget(1, 10));
    expect(s.unassigned).toEqual([]);
    expect(s.routes[0]!.lateSeconds).toBe(60);
    expect(s.cost).toBe(2000 + 60);
    expect(validateSolution(problem, s)).toEqual([]);
  });

  it('leaves the depot late rather than wait out a window against the duration limit', () => {
    const problem: RoutingProblem = {
      ...euclidean(
        [
          [0, 0],
          [1000, 0],
        ],
        10,
      ),
      stops: [
        {
          id: 'later',
          location: 1,
          demand: [1],
          serviceSeconds: 60,
          window: { start: 5000, end: 5100 },
        },
      ],
      vehicles: [{ ...van, shift: { start: 0, end: 10_000 }, maxDurationSeconds: 1000 }],
    };
    const s = solve(problem, budget(1, 10));
    expect(validateSolution(problem, s)).toEqual([]);
    expect(s.unassigned).toEqual([]);
    expect(s.routes[0]).toMatchObject({ start: 4900, end: 5160, duration: 260 });
  });

  it('stops at its time limit without an iteration budget', () => {
    const problem = cvrpToProblem(
      randomCvrp(
        Array.from({ length: 201 }, (_, i): [number, number] => [
          (i * 7919) % 1000,
          (i * 104_729) % 997,
        ]),
        Array.from({ length: 200 }, (_, i) => 1 + (i % 9)),
        50,
      ),
    );
    const s = solve(problem, { seed: 1, timeLimitMs: 300 });
    expect(validateSolution(problem, s)).toEqual([]);
    expect(s.stats!.elapsedMs).toBeLessThan(10_000); // generous: the machine is shared
    expect(s.stats!.iterations).toBeGreaterThan(0);
  });

  it('stops early once nothing better turns up for the stall budget, with the same plan', () => {
    const problem = cvrpToProblem(
      randomCvrp(
        [
          [0, 0],
          [10, 0],
          [0, 10],
          [10, 10],
        ],
        [1, 1, 1],
        2,
      ),
    );
    // An hour's limit, but three customers settle at once: the stall ends the search.
    const s = solve(problem, { seed: 1, timeLimitMs: 3_600_000, stallIterations: 200 });
    expect(s.stats!.iterations).toBeLessThanOrEqual(200);
    expect(s.cost).toBe(solve(problem, budget(1, 5_000)).cost);
    expect(() => solve(problem, { seed: 1, timeLimitMs: 10, stallIterations: 0 })).toThrow(
      /stallIterations must be >= 1/,
    );
  });

  it('names what is wrong with a bad problem', () => {
    const base: RoutingProblem = {
      ...euclidean(
        [
          [0, 0],
          [1, 1],
        ],
        1,
      ),
      stops: [{ id: 's', location: 1, demand: [1], serviceSeconds: 0 }],
      vehicles: [
        { id: 'v', capacity: [5], startLocation: 0, endLocation: 0, shift: { start: 0, end: 100 } },
      ],
    };
    const opts = budget(1, 1);
    expect(() => solve({ ...base, locationCount: 3 }, opts)).toThrow(/must be 3x3/);
    expect(() => solve({ ...base, stops: [{ ...base.stops[0]!, location: 7 }] }, opts)).toThrow(
      /stop s: location 7 outside/,
    );
    expect(() => solve({ ...base, stops: [{ ...base.stops[0]!, demand: [1, 2] }] }, opts)).toThrow(
      /2 dimensions, vehicles have 1/,
    );
    expect(() => solve({ ...base, stops: [base.stops[0]!, base.stops[0]!] }, opts)).toThrow(
      /stop id s is used twice/,
    );
    expect(() => solve({ ...base, vehicles: [] }, opts)).toThrow(/no vehicles/);
    expect(() => solve(base, { seed: 1, timeLimitMs: 0 })).toThrow(/timeLimitMs must be positive/);
  });
});

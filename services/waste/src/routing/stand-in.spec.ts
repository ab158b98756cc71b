// The stand-in solver (to be replaced with the routing branch's): its solutions pass the
// independent validator on random problems, the validator catches broken solutions, and the
// worker thread returns what the in-process solver does.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RoutingProblem, solve, solveInWorker, validateSolution } from './index.js';

function problemOf(
  points: [number, number][],
  demands: number[],
  capacity: number,
  unload: boolean,
): RoutingProblem {
  const n = points.length;
  const distances = new Float64Array(n * n);
  const durations = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const [xi, yi] = points[i] as [number, number];
      const [xj, yj] = points[j] as [number, number];
      distances[i * n + j] = Math.hypot(xi - xj, yi - yj);
      durations[i * n + j] = distances[i * n + j] as number;
    }
  return {
    durations,
    distances,
    locationCount: n,
    stops: demands.map((d, i) => ({
      id: `s${i + 1}`,
      location: i + 1,
      demand: [d],
      serviceSeconds: 10,
    })),
    vehicles: [
      {
        id: 'v1',
        capacity: [capacity],
        startLocation: 0,
        endLocation: 0,
        shift: { start: 0, end: 5_000 },
        unloadLocations: unload ? [0] : [],
        unloadSeconds: 30,
      },
      {
        id: 'v2',
        capacity: [capacity],
        startLocation: 0,
        endLocation: 0,
        shift: { start: 0, end: 3_000 },
        maxDurationSeconds: 2_000,
      },
    ],
  };
}

const arbitraryProblem = fc
  .integer({ min: 1, max: 12 })
  .chain((k) =>
    fc.tuple(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 })), {
        minLength: k + 1,
        maxLength: k + 1,
      }),
      fc.array(fc.integer({ min: 1, max: 60 }), { minLength: k, maxLength: k }),
      fc.integer({ min: 40, max: 150 }),
      fc.boolean(),
    ),
  )
  .map(([points, demands, capacity, unload]) => problemOf(points, demands, capacity, unload));

describe('stand-in solver', () => {
  it('returns solutions the independent validator accepts (property)', () => {
    fc.assert(
      fc.property(
        arbitraryProblem,
        (problem) =>
          validateSolution(problem, solve(problem, { seed: 1, timeLimitMs: 1_000 })).length === 0,
      ),
      { numRuns: 100 },
    );
  });

  it('the validator catches a double visit, an overload and a wrong distance', () => {
    const problem = problemOf(
      [
        [0, 0],
        [10, 0],
        [20, 0],
      ],
      [30, 30],
      100,
      false,
    );
    const good = solve(problem, { seed: 1, timeLimitMs: 1_000 });
    expect(validateSolution(problem, good)).toEqual([]);
    const route = good.routes[0] as (typeof good.routes)[number];
    const twice = {
      ...good,
      routes: [
        { ...route, visits: [...route.visits, route.visits[0] as (typeof route.visits)[number]] },
      ],
    };
    expect(validateSolution(problem, twice).join('\n')).toMatch(/visited more than once/);
    const small = { ...problem, vehicles: problem.vehicles.map((v) => ({ ...v, capacity: [40] })) };
    expect(validateSolution(small, good).join('\n')).toMatch(/over capacity/);
    expect(validateSolution(problem, { ...good, distance: good.distance + 5 }).join('\n')).toMatch(
      /solution distance/,
    );
  });

  it('solves in a worker thread with the same answer', async () => {
    const problem = problemOf(
      [
        [0, 0],
        [10, 0],
        [20, 5],
        [5, 30],
      ],
      [30, 30, 50],
      100,
      true,
    );
    // An iteration budget, not the clock, bounds the search: deterministic for any solver.
    const options = { seed: 1, timeLimitMs: 30_000, maxIterations: 200 };
    expect(await solveInWorker(problem, options)).toEqual(solve(problem, options));
  });
});

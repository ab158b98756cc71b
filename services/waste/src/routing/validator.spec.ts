import { describe, expect, it } from 'vitest';
import { euclidean } from './fixtures/geometry.js';
import { solve } from './solver.js';
import type { RoutingProblem, RoutingSolution } from './types.js';
import { validateSolution } from './validator.js';

// A street on a line: locations at x = 0 (depot), 100, 200, 300 (transfer station); 10 m/s.
const street = euclidean(
  [0, 100, 200, 300].map((x): [number, number] => [x, 0]),
  10,
);
const problem: RoutingProblem = {
  ...street,
  latePenaltyPerSecond: 2,
  stops: [
    { id: 'a', location: 1, demand: [6, 50], serviceSeconds: 10, window: { start: 0, end: 100 } },
    {
      id: 'b',
      location: 2,
      demand: [6, 40],
      serviceSeconds: 10,
      window: { start: 0, end: 60, soft: true },
    },
  ],
  vehicles: [
    {
      id: 'truck',
      capacity: [10, 100],
      startLocation: 0,
      endLocation: 0,
      shift: { start: 0, end: 1000 },
      maxDurationSeconds: 900,
      unloadLocations: [3],
      unloadSeconds: 20,
    },
  ],
};

// By hand: a at 10 (load 6/50), unload at 3 (arrive 40, leave 60), b at 70 (10 s late on its
// soft window; load 6/40), unload at 90-110, home at 140. 100+200+100+100+300 = 800 m.
const valid: RoutingSolution = {
  routes: [
    {
      vehicleId: 'truck',
      start: 0,
      end: 140,
      distance: 800,
      duration: 140,
      lateSeconds: 10,
      visits: [
        {
          kind: 'stop',
          stopId: 'a',
          location: 1,
          arrival: 10,
          start: 10,
          departure: 20,
          loadAfter: [6, 50],
          lateSeconds: 0,
        },
        {
          kind: 'unload',
          location: 3,
          arrival: 40,
          start: 40,
          departure: 60,
          loadAfter: [0, 0],
          lateSeconds: 0,
        },
        {
          kind: 'stop',
          stopId: 'b',
          location: 2,
          arrival: 70,
          start: 70,
          departure: 80,
          loadAfter: [6, 40],
          lateSeconds: 10,
        },
        {
          kind: 'unload',
          location: 3,
          arrival: 90,
          start: 90,
          departure: 110,
          loadAfter: [0, 0],
          lateSeconds: 0,
        },
      ],
    },
  ],
  unassigned: [],
  cost: 820,
  distance: 800,
};

/** A deep copy of the valid solution changed by `edit`. */
function broken(edit: (s: RoutingSolution) => void): RoutingSolution {
  const s = structuredClone(valid);
  edit(s);
  return s;
}
const route = (s: RoutingSolution) => s.routes[0]!;
const visit = (s: RoutingSolution, i: number) => s.routes[0]!.visits[i]!;

describe('validateSolution', () => {
  it('accepts the hand-checked plan, which is also what the solver plans', () => {
    expect(validateSolution(problem, valid)).toEqual([]);
    const { stats: _stats, ...solved } = solve(problem, {
      seed: 3,
      timeLimitMs: 10_000,
      maxIterations: 50,
    });
    expect(solved).toEqual(valid);
  });

  it.each<[string, (s: RoutingSolution) => void, RegExp]>([
    [
      'a stop served twice',
      (s) => route(s).visits.push(structuredClone(visit(s, 0))),
      /served more than once/,
    ],
    [
      'a stop neither served nor unassigned',
      (s) => route(s).visits.splice(2, 1),
      /stop b is neither served nor unassigned/,
    ],
    [
      'a stop served and unassigned',
      (s) => s.unassigned.push({ stopId: 'a', reason: 'x' }),
      /both served and unassigned/,
    ],
    [
      'an unassigned stop without reason',
      (s) => {
        route(s).visits.splice(2, 1);
        s.unassigned.push({ stopId: 'b', reason: '' });
      },
      /without a reason/,
    ],
    [
      'an unknown stop',
      (s) => {
        visit(s, 0).stopId = 'zz';
      },
      /unknown stop zz/,
    ],
    [
      'an unknown vehicle',
      (s) => {
        route(s).vehicleId = 'bus';
      },
      /unknown vehicle/,
    ],
    [
      'a vehicle used twice',
      (s) => s.routes.push({ ...structuredClone(route(s)), visits: [] }),
      /more than one route/,
    ],
    [
      'over capacity between unloads',
      (s) => {
        route(s).visits.splice(1, 1);
      },
      /over capacity 10/,
    ],
    [
      'a wrong reported load',
      (s) => {
        visit(s, 0).loadAfter = [5, 50];
      },
      /reports load 5\/50/,
    ],
    [
      'arriving faster than the matrix allows',
      (s) => {
        visit(s, 0).arrival = 5;
      },
      /arrives at 5, cannot before 10/,
    ],
    [
      'serving before the window opens',
      () => {
        problem.stops[0]!.window = { start: 15, end: 100 };
      },
      /before its window opens/,
    ],
    [
      'a hard window missed',
      (s) => {
        for (const v of route(s).visits) {
          v.arrival += 100;
          v.start += 100;
          v.departure += 100;
        }
        route(s).end += 100;
      },
      /after its hard window closed/,
    ],
    [
      'wrong late seconds',
      (s) => {
        visit(s, 2).lateSeconds = 0;
      },
      /reports 0 s late, replay gives 10/,
    ],
    [
      'a short service',
      (s) => {
        visit(s, 0).departure = 15;
      },
      /leaves before the service of a is done/,
    ],
    [
      'unloading somewhere else',
      (s) => {
        visit(s, 1).location = 2;
      },
      /not one of the vehicle's unload locations/,
    ],
    [
      'a short unload',
      (s) => {
        visit(s, 1).departure = 50;
      },
      /leaves before unloading is done/,
    ],
    [
      'coming home loaded',
      (s) => {
        route(s).visits.pop();
      },
      /returns loaded/,
    ],
    [
      'coming home after the shift',
      (s) => {
        route(s).end = 1001;
        route(s).duration = 1001;
      },
      /after the shift ends/,
    ],
    [
      'a route longer than allowed',
      (s) => {
        route(s).end = 950;
        route(s).duration = 950;
      },
      /more than 900/,
    ],
    [
      'leaving before the shift',
      (s) => {
        route(s).start = -5;
        route(s).duration = 145;
      },
      /before its shift starts/,
    ],
    [
      'a wrong route distance',
      (s) => {
        route(s).distance = 700;
      },
      /reports 700 m, replay gives 800/,
    ],
    [
      'a wrong total distance',
      (s) => {
        s.distance = 700;
      },
      /solution reports 700 m/,
    ],
    [
      'a cost that omits the late penalty',
      (s) => {
        s.cost = 800;
      },
      /does not match/,
    ],
  ])('catches %s', (_name, edit, message) => {
    const before = structuredClone(problem.stops[0]!.window);
    try {
      const errors = validateSolution(problem, broken(edit));
      expect(errors.join('\n')).toMatch(message);
    } finally {
      problem.stops[0]!.window = before;
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { polish } from './local-search.js';
import { compile } from './model.js';
import { cvrpCost, cvrpToProblem } from './vrp-file.js';

const point = fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }));

describe('polish (2-opt, 2-opt*, swap, relocate)', () => {
  it('never worsens a solution, keeps every customer once and every route within capacity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(point, fc.integer({ min: 1, max: 10 })), { minLength: 2, maxLength: 40 }),
        point,
        fc.integer({ min: 10, max: 40 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (customers, depot, capacity, shuffleSeed) => {
          const inst = {
            name: 'random',
            dimension: customers.length + 1,
            capacity,
            coords: Float64Array.from([depot, ...customers.map((c) => c[0])].flat()),
            demands: Int32Array.from([0, ...customers.map((c) => c[1])]),
            depot: 0,
          };
          // A poor but feasible start: customers in a scrambled order, cut when full.
          const order = customers.map((_, i) => i + 1);
          let x = shuffleSeed;
          for (let i = order.length - 1; i > 0; i--) {
            x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
            const j = x % (i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          const routes: number[][] = [];
          let load = capacity + 1;
          for (const c of order) {
            if (load + inst.demands[c]! > capacity) {
              routes.push([]);
              load = 0;
            }
            routes.at(-1)!.push(c);
            load += inst.demands[c]!;
          }
          const before = cvrpCost(inst, routes);
          const m = compile(cvrpToProblem(inst));
          expect(m.fast).toBe(true);
          polish(m, routes, Number.POSITIVE_INFINITY);
          const after = cvrpCost(
            inst,
            routes.filter((r) => r.length > 0),
          ); // throws if broken
          expect(after).toBeLessThanOrEqual(before);
        },
      ),
      { numRuns: 150, seed: 5 },
    );
  });

  it('untangles a crossing route', () => {
    // Depot (0,0), then (0,100), (100,0), (100,100) in that order crosses itself; 2-opt makes
    // it the square's perimeter.
    const inst = {
      name: 'square',
      dimension: 4,
      capacity: 10,
      coords: Float64Array.from([0, 0, 0, 100, 100, 0, 100, 100]),
      demands: Int32Array.from([0, 1, 1, 1]),
      depot: 0,
    };
    const routes = [[1, 2, 3]];
    expect(cvrpCost(inst, routes)).toBe(100 + 141 + 100 + 141);
    polish(compile(cvrpToProblem(inst)), routes, Number.POSITIVE_INFINITY);
    expect(cvrpCost(inst, routes)).toBe(400);
  });
});

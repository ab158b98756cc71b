import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { solve } from './solver.js';
import { cvrpCost, cvrpDistance, cvrpToProblem, parseVrp } from './vrp-file.js';

// fixtures/tiny.vrp, by hand: depot (0,0); customers 1 (3,4) q4, 2 (6,8) q3, 3 (-5,0) q4,
// 4 (-5,-3) q3; capacity 7. Only {1,2}+{3,4}, {1,4}+{2,3} and splits into more routes fit:
//   {1,2}: 5 + 5 + 10 = 20    {3,4}: 5 + 3 + round(√34 = 5.83) = 6 -> 14    total 34
//   {1,4}: 5 + round(√113 = 10.63) = 11 + 6 = 22    {2,3}: 10 + round(√185 = 13.60) = 14 + 5 = 29
// so the optimum is 34 (33 if distances were truncated instead of rounded).
const tinyText = readFileSync(new URL('./fixtures/tiny.vrp', import.meta.url), 'utf8');

describe('parseVrp', () => {
  it('reads name, dimension, capacity, coordinates, demands and depot', () => {
    const inst = parseVrp(tinyText);
    expect(inst.name).toBe('tiny-n5-k2');
    expect(inst.dimension).toBe(5);
    expect(inst.capacity).toBe(7);
    expect(inst.depot).toBe(0);
    expect(Array.from(inst.demands)).toEqual([0, 4, 3, 4, 3]);
    expect(Array.from(inst.coords)).toEqual([0, 0, 3, 4, 6, 8, -5, 0, -5, -3]);
  });

  it('rounds Euclidean distances to the nearest integer (CVRPLIB)', () => {
    const inst = parseVrp(tinyText);
    expect(cvrpDistance(inst, 0, 4)).toBe(6); // √34 = 5.83
    expect(cvrpDistance(inst, 1, 4)).toBe(11); // √113 = 10.63
    expect(cvrpDistance(inst, 2, 3)).toBe(14); // √185 = 13.60
    expect(cvrpDistance(inst, 0, 1)).toBe(5);
  });

  it('costs routes by the convention and matches the hand-checked optimum', () => {
    const inst = parseVrp(tinyText);
    expect(
      cvrpCost(inst, [
        [1, 2],
        [3, 4],
      ]),
    ).toBe(34);
    expect(
      cvrpCost(inst, [
        [1, 4],
        [2, 3],
      ]),
    ).toBe(51);
    const solution = solve(cvrpToProblem(inst), {
      seed: 1,
      timeLimitMs: 10_000,
      maxIterations: 200,
    });
    expect(solution.distance).toBe(34);
    expect(solution.routes.map((r) => r.visits.map((v) => Number(v.stopId)).sort())).toEqual(
      expect.arrayContaining([
        [1, 2],
        [3, 4],
      ]),
    );
  });

  it('refuses routes that break the instance', () => {
    const inst = parseVrp(tinyText);
    expect(() =>
      cvrpCost(inst, [
        [1, 3],
        [2, 4],
      ]),
    ).toThrow(/load 8 > 7/);
    expect(() => cvrpCost(inst, [[1, 2], [3]])).toThrow(/customer 4 is not visited/);
    expect(() =>
      cvrpCost(inst, [
        [1, 2],
        [3, 4, 1],
      ]),
    ).toThrow(/visited twice/);
    expect(() =>
      cvrpCost(inst, [
        [1, 2, 0],
        [3, 4],
      ]),
    ).toThrow(/not a customer/);
  });

  it('names what is wrong in a bad file', () => {
    expect(() => parseVrp(tinyText.replace('EUC_2D', 'GEO'))).toThrow(/EDGE_WEIGHT_TYPE GEO/);
    expect(() => parseVrp(tinyText.replace('5 -5 -3', '5 -5 x'))).toThrow(/line 12: not a number/);
    expect(() => parseVrp(tinyText.replace('5 3\nDEPOT', 'DEPOT'))).toThrow(
      /DEMAND_SECTION has 4 nodes/,
    );
    expect(() => parseVrp(tinyText.replace('CAPACITY : 7', 'CAPACITY : 2'))).toThrow(
      /demands more than the capacity/,
    );
    expect(() => parseVrp(tinyText.replace(' 1\n -1', ' -1'))).toThrow(/DEPOT_SECTION missing/);
    expect(() => parseVrp(tinyText.replace('2 3 4', '9 3 4'))).toThrow(
      /expected "<id 1..5> <x> <y>"/,
    );
  });

  it('builds a problem with one identical vehicle per customer and stop ids as in .sol files', () => {
    const p = cvrpToProblem(parseVrp(tinyText));
    expect(p.stops.map((s) => s.id)).toEqual(['1', '2', '3', '4']);
    expect(p.vehicles).toHaveLength(4);
    expect(new Set(p.vehicles.map((v) => v.capacity[0]))).toEqual(new Set([7]));
    expect(p.distances[0 * 5 + 4]).toBe(6);
  });
});

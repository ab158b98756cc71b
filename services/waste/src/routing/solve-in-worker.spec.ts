import { describe, expect, it } from 'vitest';
import { euclidean } from './fixtures/geometry.js';
import { solveInWorker } from './solve-in-worker.js';
import { solve } from './solver.js';
import type { RoutingProblem, RoutingSolution } from './types.js';

const withoutStats = ({ stats: _stats, ...rest }: RoutingSolution) => rest;

function problem(): RoutingProblem {
  // 60 bins on a deterministic scatter, two trucks with a transfer station, some windows.
  const pts: [number, number][] = [
    [500, 500],
    [900, 100],
  ];
  for (let i = 0; i < 60; i++) pts.push([(i * 7919) % 1000, (i * 104_729) % 997]);
  return {
    ...euclidean(pts, 8),
    latePenaltyPerSecond: 1,
    stops: Array.from({ length: 60 }, (_, i) => ({
      id: `bin${i}`,
      location: i + 2,
      demand: [10 + (i % 7) * 5, 50 + (i % 5) * 20],
      serviceSeconds: 60,
      ...(i % 4 === 0 ? { window: { start: 0, end: 3600 + i * 60, soft: i % 8 === 0 } } : {}),
    })),
    vehicles: ['t1', 't2'].map((id) => ({
      id,
      capacity: [200, 1200],
      startLocation: 0,
      endLocation: 0,
      shift: { start: 0, end: 8 * 3600 },
      unloadLocations: [1],
      unloadSeconds: 900,
    })),
  };
}

describe('solveInWorker', () => {
  it('returns what solve returns in-process for the same seed and iteration budget', async () => {
    const options = { seed: 11, timeLimitMs: 60_000, maxIterations: 400 };
    const inWorker = await solveInWorker(problem(), options);
    const inProcess = solve(problem(), options);
    expect(withoutStats(inWorker)).toEqual(withoutStats(inProcess));
    expect(inWorker.stats!.iterations).toBe(400);
    expect(inWorker.routes.length).toBeGreaterThan(0);
  });

  it('keeps the event loop free while it solves', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await solveInWorker(problem(), { seed: 1, timeLimitMs: 400 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
  });

  it('rejects with the solver error for a bad problem', async () => {
    const bad = { ...problem(), locationCount: 3 };
    await expect(solveInWorker(bad, { seed: 1, timeLimitMs: 100 })).rejects.toThrow(
      /routing solver: .*must be 3x3/,
    );
  });
});

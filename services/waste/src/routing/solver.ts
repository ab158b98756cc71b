// solve(): checks and compiles the problem, sets aside stops no vehicle can serve on its own
// (with the reason), runs the search and turns its best routes into timed plans.
import { compile, type Model, type SimResult, simulate } from './model.js';
import { Search } from './search.js';
import type { PlannedRoute, RoutingProblem, RoutingSolution, SolveOptions } from './types.js';

export function solve(problem: RoutingProblem, options: SolveOptions): RoutingSolution {
  const started = performance.now();
  if (!Number.isInteger(options.seed)) throw new Error('seed must be an integer');
  if (!(options.timeLimitMs > 0)) throw new Error('timeLimitMs must be positive');
  if (options.maxIterations !== undefined && !(options.maxIterations >= 0))
    throw new Error('maxIterations must be >= 0');
  if (options.stallIterations !== undefined && !(options.stallIterations >= 1))
    throw new Error('stallIterations must be >= 1');
  const m = compile(problem);
  const excluded = new Uint8Array(m.n + 1);
  const reasons = new Map<number, string>();
  for (let c = 1; c <= m.n; c++) {
    const why = aloneReason(m, c);
    if (why) {
      excluded[c] = 1;
      reasons.set(c, why);
    }
  }
  const search = new Search(m, excluded, options.seed);
  const found = search.run({
    seed: options.seed,
    // 1 % of the limit is kept for checking the problem and writing out the plans.
    timeLimitMs: Math.max(1, options.timeLimitMs * 0.99 - (performance.now() - started)),
    ...(options.maxIterations !== undefined ? { maxIterations: options.maxIterations } : {}),
    ...(options.stallIterations !== undefined ? { stallIterations: options.stallIterations } : {}),
  });
  for (const c of found.unassigned)
    reasons.set(
      c,
      'no vehicle has room left: capacity, shifts or time windows of the fleet are used up',
    );
  const routes: PlannedRoute[] = [];
  let distance = 0;
  let cost = 0;
  for (const [v, nodes] of found.routes.entries()) {
    if (nodes.length === 0) continue;
    const out: SimResult = { distance: 0, late: 0, start: 0, end: 0, visits: [] };
    const seq = Int32Array.from(nodes);
    const c = simulate(m, v, seq, 0, seq.length, 0, 0, out);
    if (!Number.isFinite(c))
      throw new Error(`internal: route of vehicle ${problem.vehicles[v]!.id} is infeasible`);
    let k = 0;
    for (const visit of out.visits)
      if (visit.kind === 'stop') visit.stopId = problem.stops[nodes[k++]! - 1]!.id;
    routes.push({
      vehicleId: problem.vehicles[v]!.id,
      visits: out.visits,
      start: out.start,
      end: out.end,
      distance: out.distance,
      duration: out.end - out.start,
      lateSeconds: out.late,
    });
    distance += out.distance;
    cost += c;
  }
  const unassigned = [...reasons.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([c, reason]) => ({ stopId: problem.stops[c - 1]!.id, reason }));
  cost += unassigned.length * m.unassignedPenalty;
  return {
    routes,
    unassigned,
    cost,
    distance,
    stats: {
      iterations: found.iterations,
      constructionCost: found.constructionCost + excludedPenalty(m, excluded),
      elapsedMs: performance.now() - started,
    },
  };
}

function excludedPenalty(m: Model, excluded: Uint8Array): number {
  let k = 0;
  for (let c = 1; c <= m.n; c++) k += excluded[c]!;
  return k * m.unassignedPenalty;
}

/** Why no vehicle can serve stop c even as its only stop, or undefined if one can. */
function aloneReason(m: Model, c: number): string | undefined {
  let fits = false;
  const seq = Int32Array.of(c);
  for (let v = 0; v < m.V; v++) {
    let ok = true;
    for (let d = 0; d < m.dims; d++)
      if (m.demand[c * m.dims + d]! > m.vCap[v * m.dims + d]!) ok = false;
    if (!ok) continue;
    fits = true;
    if (Number.isFinite(simulate(m, v, seq, 0, 1, 0, 0))) return undefined;
  }
  return fits
    ? 'no vehicle can reach it within its time window, shift and maximum route duration'
    : 'its demand exceeds the capacity of every vehicle';
}

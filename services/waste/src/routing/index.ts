// STAND-IN — to be replaced by the real solver from the routing branch (services/waste/src/
// routing/, see /ROUTING-INTERFACE.md). It exports exactly that interface so the waste service
// and its tests run meanwhile: a cheapest-feasible-insertion construction (no improvement
// phase) that respects capacities, hard and soft windows, shifts, maximum durations and
// multi-trip unloads, an independent `validateSolution`, and `solveInWorker` on
// node:worker_threads. Nothing outside this folder may depend on more than the interface.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Times are seconds from the start of the planning day; distances metres; demands in the
 *  vehicle's capacity dimensions (e.g. [litres, kg]); every array of a problem is aligned. */
export interface RoutingProblem {
  durations: Float64Array;
  distances: Float64Array;
  locationCount: number;
  stops: RoutingStop[];
  vehicles: RoutingVehicle[];
  latePenaltyPerSecond?: number;
}
export interface RoutingStop {
  id: string;
  location: number;
  demand: number[];
  serviceSeconds: number;
  window?: { start: number; end: number; soft?: boolean };
}
export interface RoutingVehicle {
  id: string;
  capacity: number[];
  startLocation: number;
  endLocation: number;
  shift: { start: number; end: number };
  maxDurationSeconds?: number;
  unloadLocations?: number[];
  unloadSeconds?: number;
}
export interface SolveOptions {
  seed: number;
  timeLimitMs: number;
  maxIterations?: number;
}
export interface PlannedVisit {
  kind: 'stop' | 'unload';
  stopId?: string;
  location: number;
  arrival: number;
  start: number;
  departure: number;
  loadAfter: number[];
  lateSeconds: number;
}
export interface PlannedRoute {
  vehicleId: string;
  visits: PlannedVisit[];
  start: number;
  end: number;
  distance: number;
  duration: number;
  lateSeconds: number;
}
export interface RoutingSolution {
  routes: PlannedRoute[];
  unassigned: { stopId: string; reason: string }[];
  cost: number;
  distance: number;
}

const UNASSIGNED_PENALTY = 1e7;

/** Simulates a vehicle driving `order` (stop indices), unloading when the next stop would not fit. */
function simulate(
  p: RoutingProblem,
  v: RoutingVehicle,
  order: readonly number[],
): { route: PlannedRoute; cost: number } | string {
  const n = p.locationCount;
  const dims = v.capacity.length;
  const load = new Array<number>(dims).fill(0);
  const visits: PlannedVisit[] = [];
  let at = v.startLocation;
  let t = v.shift.start;
  let distance = 0;
  let late = 0;
  const drive = (to: number) => {
    t += p.durations[at * n + to] ?? 0;
    distance += p.distances[at * n + to] ?? 0;
    at = to;
  };
  for (const index of order) {
    const stop = p.stops[index] as RoutingStop;
    for (let d = 0; d < dims; d++) {
      if ((stop.demand[d] ?? 0) > (v.capacity[d] ?? 0)) return 'demand exceeds vehicle capacity';
    }
    const fits = () => load.every((l, d) => l + (stop.demand[d] ?? 0) <= (v.capacity[d] ?? 0));
    if (!fits()) {
      const unloads = v.unloadLocations ?? [];
      if (unloads.length === 0) return 'capacity';
      let best = unloads[0] as number;
      for (const u of unloads) {
        if ((p.durations[at * n + u] ?? 0) < (p.durations[at * n + best] ?? 0)) best = u;
      }
      drive(best);
      const arrival = t;
      t += v.unloadSeconds ?? 0;
      load.fill(0);
      visits.push({
        kind: 'unload',
        location: best,
        arrival,
        start: arrival,
        departure: t,
        loadAfter: [...load],
        lateSeconds: 0,
      });
    }
    drive(stop.location);
    const arrival = t;
    let start = arrival;
    let lateSeconds = 0;
    if (stop.window) {
      if (arrival < stop.window.start) start = stop.window.start;
      if (arrival > stop.window.end) {
        if (!stop.window.soft) return 'time window';
        lateSeconds = arrival - stop.window.end;
        late += lateSeconds;
      }
    }
    t = start + stop.serviceSeconds;
    for (let d = 0; d < dims; d++) load[d] = (load[d] ?? 0) + (stop.demand[d] ?? 0);
    visits.push({
      kind: 'stop',
      stopId: stop.id,
      location: stop.location,
      arrival,
      start,
      departure: t,
      loadAfter: [...load],
      lateSeconds,
    });
  }
  drive(v.endLocation);
  if (t > v.shift.end) return 'shift end';
  const duration = t - v.shift.start;
  if (v.maxDurationSeconds !== undefined && duration > v.maxDurationSeconds)
    return 'maximum route duration';
  const route: PlannedRoute = {
    vehicleId: v.id,
    visits,
    start: v.shift.start,
    end: t,
    distance,
    duration,
    lateSeconds: late,
  };
  return { route, cost: distance + late * (p.latePenaltyPerSecond ?? 0) };
}

export function solve(problem: RoutingProblem, options: SolveOptions): RoutingSolution {
  const deadline = Date.now() + options.timeLimitMs;
  const orders: number[][] = problem.vehicles.map(() => []);
  const costs: number[] = problem.vehicles.map(() => 0);
  const unassigned: { stopId: string; reason: string }[] = [];
  // Tight windows and far-away stops first: they have the fewest places to go.
  const n = problem.locationCount;
  const depot = problem.vehicles[0]?.startLocation ?? 0;
  const pending = problem.stops
    .map((_, i) => i)
    .sort((a, b) => {
      const sa = problem.stops[a] as RoutingStop;
      const sb = problem.stops[b] as RoutingStop;
      const wa =
        sa.window?.soft === false || (sa.window && !sa.window.soft) ? sa.window.end : Infinity;
      const wb =
        sb.window?.soft === false || (sb.window && !sb.window.soft) ? sb.window.end : Infinity;
      if (wa !== wb) return wa - wb;
      const da = problem.distances[depot * n + sa.location] ?? 0;
      const db = problem.distances[depot * n + sb.location] ?? 0;
      return db - da || sa.id.localeCompare(sb.id);
    });
  let iterations = 0;
  for (const stop of pending) {
    const id = (problem.stops[stop] as RoutingStop).id;
    if (
      Date.now() > deadline ||
      (options.maxIterations !== undefined && iterations >= options.maxIterations)
    ) {
      unassigned.push({
        stopId: id,
        reason: 'solver time limit reached before this stop was placed',
      });
      continue;
    }
    iterations++;
    let best: { v: number; pos: number; delta: number; cost: number } | undefined;
    const reasons = new Set<string>();
    problem.vehicles.forEach((vehicle, v) => {
      const order = orders[v] as number[];
      for (let pos = 0; pos <= order.length; pos++) {
        const candidate = [...order.slice(0, pos), stop, ...order.slice(pos)];
        const result = simulate(problem, vehicle, candidate);
        if (typeof result === 'string') {
          reasons.add(result);
          continue;
        }
        const delta = result.cost - (costs[v] as number);
        if (!best || delta < best.delta - 1e-9) best = { v, pos, delta, cost: result.cost };
      }
    });
    if (!best) {
      unassigned.push({
        stopId: id,
        reason: `no vehicle can take it feasibly (${[...reasons].sort().join(', ') || 'no vehicles'})`,
      });
      continue;
    }
    (orders[best.v] as number[]).splice(best.pos, 0, stop);
    costs[best.v] = best.cost;
  }
  const routes: PlannedRoute[] = [];
  problem.vehicles.forEach((vehicle, v) => {
    const order = orders[v] as number[];
    if (order.length === 0) return;
    const result = simulate(problem, vehicle, order);
    if (typeof result !== 'string') routes.push(result.route);
  });
  const distance = routes.reduce((s, r) => s + r.distance, 0);
  const late = routes.reduce((s, r) => s + r.lateSeconds, 0);
  return {
    routes,
    unassigned,
    distance,
    cost:
      distance +
      late * (problem.latePenaltyPerSecond ?? 0) +
      unassigned.length * UNASSIGNED_PENALTY,
  };
}

/** tsx's ESM register API (a dev dependency of the workspace, present wherever sources run). */
function tsxEsmApi(): string {
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(`${pkg.slice(0, -'package.json'.length)}dist/esm/api/index.mjs`).href;
}

/** Same, in a worker thread so the service's event loop stays free. */
export function solveInWorker(
  problem: RoutingProblem,
  options: SolveOptions,
): Promise<RoutingSolution> {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
  return new Promise((resolve, reject) => {
    // Sources (tests, benchmarks) run through tsx, registered inside the worker first; the
    // build runs plain JavaScript.
    const worker = fromSource
      ? new Worker(
          `(async () => {
            const { register } = await import(${JSON.stringify(tsxEsmApi())});
            register();
            await import(${JSON.stringify(file.href)});
          })();`,
          { eval: true, workerData: { problem, options } },
        )
      : new Worker(file, { workerData: { problem, options } });
    const guard = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`solver worker did not answer within ${options.timeLimitMs + 30_000} ms`));
    }, options.timeLimitMs + 30_000);
    worker.once('message', (solution: RoutingSolution) => {
      clearTimeout(guard);
      resolve(solution);
      void worker.terminate();
    });
    worker.once('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    worker.once('exit', (code) => {
      clearTimeout(guard);
      if (code !== 0) reject(new Error(`solver worker exited with code ${code}`));
    });
  });
}

/** An independent check: every stop at most once, capacities, hard windows, shift and duration
 *  limits respected, distances recomputed. */
export function validateSolution(problem: RoutingProblem, solution: RoutingSolution): string[] {
  const errors: string[] = [];
  const n = problem.locationCount;
  const stops = new Map(problem.stops.map((s) => [s.id, s]));
  const seen = new Set<string>();
  let total = 0;
  for (const route of solution.routes) {
    const v = problem.vehicles.find((x) => x.id === route.vehicleId);
    if (!v) {
      errors.push(`route of unknown vehicle ${route.vehicleId}`);
      continue;
    }
    let at = v.startLocation;
    let distance = 0;
    let time = route.start;
    if (route.start < v.shift.start) errors.push(`${v.id} leaves before its shift`);
    let load = v.capacity.map(() => 0);
    for (const visit of route.visits) {
      distance += problem.distances[at * n + visit.location] ?? 0;
      const earliest = time + (problem.durations[at * n + visit.location] ?? 0);
      if (visit.arrival + 1e-6 < earliest)
        errors.push(`${v.id} arrives at location ${visit.location} sooner than travel allows`);
      at = visit.location;
      if (visit.kind === 'unload') {
        if (!(v.unloadLocations ?? []).includes(visit.location))
          errors.push(`${v.id} unloads at ${visit.location}, not an unload location`);
        load = load.map(() => 0);
      } else {
        const stop = visit.stopId === undefined ? undefined : stops.get(visit.stopId);
        if (!stop) {
          errors.push(`${v.id} visits unknown stop ${visit.stopId}`);
          continue;
        }
        if (seen.has(stop.id)) errors.push(`stop ${stop.id} visited more than once`);
        seen.add(stop.id);
        if (stop.location !== visit.location) errors.push(`stop ${stop.id} at the wrong location`);
        if (stop.window && !stop.window.soft && visit.arrival > stop.window.end + 1e-6)
          errors.push(`stop ${stop.id} reached after its hard window`);
        if (stop.window && visit.start + 1e-6 < stop.window.start)
          errors.push(`stop ${stop.id} served before its window opens`);
        if (visit.departure + 1e-6 < visit.start + stop.serviceSeconds)
          errors.push(`stop ${stop.id} left before its service was done`);
        load = load.map((l, d) => l + (stop.demand[d] ?? 0));
        load.forEach((l, d) => {
          if (l > (v.capacity[d] ?? 0) + 1e-6)
            errors.push(`${v.id} over capacity (dimension ${d}) at stop ${stop.id}`);
        });
      }
      time = visit.departure;
    }
    distance += problem.distances[at * n + v.endLocation] ?? 0;
    const back = time + (problem.durations[at * n + v.endLocation] ?? 0);
    if (route.end + 1e-6 < back) errors.push(`${v.id} ends sooner than travel allows`);
    if (route.end > v.shift.end + 1e-6) errors.push(`${v.id} ends after its shift`);
    if (v.maxDurationSeconds !== undefined && route.end - route.start > v.maxDurationSeconds + 1e-6)
      errors.push(`${v.id} exceeds its maximum duration`);
    if (Math.abs(distance - route.distance) > 1e-3)
      errors.push(`${v.id} distance ${route.distance} but recomputed ${distance}`);
    total += distance;
  }
  for (const u of solution.unassigned) {
    if (seen.has(u.stopId)) errors.push(`stop ${u.stopId} both routed and unassigned`);
    seen.add(u.stopId);
  }
  for (const s of problem.stops)
    if (!seen.has(s.id)) errors.push(`stop ${s.id} neither routed nor unassigned`);
  if (Math.abs(total - solution.distance) > 1e-3)
    errors.push(`solution distance ${solution.distance} but recomputed ${total}`);
  return errors;
}

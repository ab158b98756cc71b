// The problem compiled to typed arrays for the search, and the one route simulation the solver
// uses for the rich constraints (windows, shift, duration, multi-trip). Stops are nodes 1..n;
// node 0 stands for the depot in the pure-CVRP fast path.
import type { PlannedVisit, RoutingProblem } from './types.js';

export interface Model {
  /** Number of stops; nodes are 1..n. */
  n: number;
  dims: number;
  L: number;
  dist: Float64Array;
  dur: Float64Array;
  nodeLoc: Int32Array;
  /** (n+1) * dims */
  demand: Float64Array;
  service: Float64Array;
  hasWindow: Uint8Array;
  softWindow: Uint8Array;
  twStart: Float64Array;
  twEnd: Float64Array;
  latePenalty: number;
  V: number;
  /** V * dims */
  vCap: Float64Array;
  vStart: Int32Array;
  vEnd: Int32Array;
  vShiftStart: Float64Array;
  vShiftEnd: Float64Array;
  vMaxDur: Float64Array;
  vUnloadSec: Float64Array;
  vUnloads: Int32Array[];
  /** Vehicles with identical characteristics share a class (one empty one is tried per class). */
  vClass: Int32Array;
  classCount: number;
  /** Pure capacitated VRP: identical vehicles, one depot, no windows, duration or unloads. */
  fast: boolean;
  /** Fast path: node matrix (n+1)^2, node 0 = depot. */
  D: Float64Array;
  /** K nearest other stops per node (row-major, node c at c*K), nearest first. */
  K: number;
  neighbours: Int32Array;
  /** Penalty per unassigned stop: more than any set of routes can cost. */
  unassignedPenalty: number;
  /** Scratch for simulations. */
  load: Float64Array;
}

/** Validates the problem (throwing an error that names the fault) and compiles it. */
export function compile(p: RoutingProblem): Model {
  const L = p.locationCount;
  if (!Number.isInteger(L) || L < 1) throw new Error('locationCount must be a positive integer');
  if (p.distances.length !== L * L || p.durations.length !== L * L)
    throw new Error(`distances and durations must be ${L}x${L} (${L * L} entries)`);
  for (let i = 0; i < L * L; i++) {
    if (!(p.distances[i]! >= 0) || !Number.isFinite(p.distances[i]!))
      throw new Error(`distances[${i}] is not a finite non-negative number`);
    if (!(p.durations[i]! >= 0) || !Number.isFinite(p.durations[i]!))
      throw new Error(`durations[${i}] is not a finite non-negative number`);
  }
  if (p.vehicles.length === 0 && p.stops.length > 0) throw new Error('no vehicles');
  const dims = p.vehicles[0]?.capacity.length ?? p.stops[0]?.demand.length ?? 1;
  const locOk = (x: number) => Number.isInteger(x) && x >= 0 && x < L;
  const n = p.stops.length;
  const ids = new Set<string>();
  const nodeLoc = new Int32Array(n + 1);
  const demand = new Float64Array((n + 1) * dims);
  const service = new Float64Array(n + 1);
  const hasWindow = new Uint8Array(n + 1);
  const softWindow = new Uint8Array(n + 1);
  const twStart = new Float64Array(n + 1);
  const twEnd = new Float64Array(n + 1);
  p.stops.forEach((s, i) => {
    const c = i + 1;
    if (ids.has(s.id)) throw new Error(`stop id ${s.id} is used twice`);
    ids.add(s.id);
    if (!locOk(s.location))
      throw new Error(`stop ${s.id}: location ${s.location} outside 0..${L - 1}`);
    if (s.demand.length !== dims)
      throw new Error(
        `stop ${s.id}: demand has ${s.demand.length} dimensions, vehicles have ${dims}`,
      );
    for (let d = 0; d < dims; d++) {
      if (!(s.demand[d]! >= 0)) throw new Error(`stop ${s.id}: demand must be >= 0`);
      demand[c * dims + d] = s.demand[d]!;
    }
    if (!(s.serviceSeconds >= 0)) throw new Error(`stop ${s.id}: serviceSeconds must be >= 0`);
    nodeLoc[c] = s.location;
    service[c] = s.serviceSeconds;
    if (s.window) {
      if (!(s.window.start <= s.window.end))
        throw new Error(`stop ${s.id}: window start after its end`);
      hasWindow[c] = 1;
      softWindow[c] = s.window.soft ? 1 : 0;
      twStart[c] = s.window.start;
      twEnd[c] = s.window.end;
    }
  });
  const V = p.vehicles.length;
  const vCap = new Float64Array(V * dims);
  const vStart = new Int32Array(V);
  const vEnd = new Int32Array(V);
  const vShiftStart = new Float64Array(V);
  const vShiftEnd = new Float64Array(V);
  const vMaxDur = new Float64Array(V);
  const vUnloadSec = new Float64Array(V);
  const vUnloads: Int32Array[] = [];
  const vClass = new Int32Array(V);
  const classes = new Map<string, number>();
  const vids = new Set<string>();
  p.vehicles.forEach((v, k) => {
    if (vids.has(v.id)) throw new Error(`vehicle id ${v.id} is used twice`);
    vids.add(v.id);
    if (v.capacity.length !== dims)
      throw new Error(
        `vehicle ${v.id}: capacity has ${v.capacity.length} dimensions, expected ${dims}`,
      );
    for (let d = 0; d < dims; d++) {
      if (!(v.capacity[d]! >= 0)) throw new Error(`vehicle ${v.id}: capacity must be >= 0`);
      vCap[k * dims + d] = v.capacity[d]!;
    }
    if (!locOk(v.startLocation) || !locOk(v.endLocation))
      throw new Error(`vehicle ${v.id}: start or end location outside 0..${L - 1}`);
    if (!(v.shift.start <= v.shift.end))
      throw new Error(`vehicle ${v.id}: shift starts after it ends`);
    for (const u of v.unloadLocations ?? [])
      if (!locOk(u)) throw new Error(`vehicle ${v.id}: unload location ${u} outside 0..${L - 1}`);
    vStart[k] = v.startLocation;
    vEnd[k] = v.endLocation;
    vShiftStart[k] = v.shift.start;
    vShiftEnd[k] = v.shift.end;
    vMaxDur[k] = v.maxDurationSeconds ?? Number.POSITIVE_INFINITY;
    vUnloadSec[k] = v.unloadSeconds ?? 0;
    vUnloads.push(Int32Array.from(v.unloadLocations ?? []));
    const key = JSON.stringify([
      v.capacity,
      v.startLocation,
      v.endLocation,
      v.shift,
      v.maxDurationSeconds,
      v.unloadLocations,
      v.unloadSeconds,
    ]);
    if (!classes.has(key)) classes.set(key, classes.size);
    vClass[k] = classes.get(key)!;
  });
  const dist = p.distances;
  const dur = p.durations;

  // Fast path when only capacity binds: one vehicle class at one depot, nothing timed.
  let fast = classes.size === 1 && vStart[0] === vEnd[0] && vMaxDur[0] === Number.POSITIVE_INFINITY;
  fast &&= vUnloads[0]!.length === 0;
  for (let c = 1; c <= n && fast; c++) if (hasWindow[c]) fast = false;
  if (fast && V > 0) {
    let maxDur = 0;
    for (let i = 0; i < L * L; i++) if (dur[i]! > maxDur) maxDur = dur[i]!;
    let bound = 0;
    for (let c = 1; c <= n; c++) bound += service[c]! + maxDur;
    bound += maxDur;
    if (vShiftEnd[0]! - vShiftStart[0]! < bound) fast = false;
  }
  let D = new Float64Array(0);
  if (fast && V > 0) {
    const N = n + 1;
    D = new Float64Array(N * N);
    const loc = (i: number) => (i === 0 ? vStart[0]! : nodeLoc[i]!);
    for (let a = 0; a < N; a++) {
      const la = loc(a) * L;
      for (let b = 0; b < N; b++) D[a * N + b] = dist[la + loc(b)]!;
    }
  }

  // Neighbour lists by the shorter of the two directions.
  const K = Math.min(100, Math.max(0, n - 1));
  const neighbours = new Int32Array((n + 1) * K);
  const keys = new Float64Array(n + 1);
  const order: number[] = [];
  for (let c = 1; c <= n; c++) {
    order.length = 0;
    const lc = nodeLoc[c]!;
    for (let o = 1; o <= n; o++) {
      if (o === c) continue;
      const lo = nodeLoc[o]!;
      keys[o] = Math.min(dist[lc * L + lo]!, dist[lo * L + lc]!);
      order.push(o);
    }
    order.sort((x, y) => keys[x]! - keys[y]! || x - y);
    for (let k = 0; k < K; k++) neighbours[c * K + k] = order[k]!;
  }

  let maxRoundTrip = 0;
  for (let c = 1; c <= n; c++) {
    let worst = 0;
    for (let k = 0; k < V; k++) {
      const t = dist[vStart[k]! * L + nodeLoc[c]!]! + dist[nodeLoc[c]! * L + vEnd[k]!]!;
      if (t > worst) worst = t;
    }
    maxRoundTrip += worst;
  }
  return {
    n,
    dims,
    L,
    dist,
    dur,
    nodeLoc,
    demand,
    service,
    hasWindow,
    softWindow,
    twStart,
    twEnd,
    latePenalty: p.latePenaltyPerSecond ?? 0,
    V,
    vCap,
    vStart,
    vEnd,
    vShiftStart,
    vShiftEnd,
    vMaxDur,
    vUnloadSec,
    vUnloads,
    vClass,
    classCount: classes.size,
    fast,
    D,
    K,
    neighbours,
    unassignedPenalty: 10 * maxRoundTrip + 1e6,
    load: new Float64Array(dims),
  };
}

/** What a simulation found besides its cost (valid after `simulate` returns a finite cost). */
export interface SimResult {
  distance: number;
  late: number;
  start: number;
  end: number;
  visits: PlannedVisit[];
}

/**
 * Runs vehicle v through `seq[base..base+len)` (with `ins` inserted before position `insPos`
 * when ins > 0) and returns distance + late penalty, or Infinity if a hard constraint breaks.
 * Multi-trip: before a stop that would overload the truck it unloads at the unload location
 * that adds the least distance, and it unloads its last load before going home.
 * When `out` is given the schedule is recorded in it (not on the search's hot path).
 */
export function simulate(
  m: Model,
  v: number,
  seq: Int32Array,
  base: number,
  len: number,
  ins: number,
  insPos: number,
  out?: SimResult,
): number {
  const { dims, L, dist, dur, load } = m;
  const unloads = m.vUnloads[v]!;
  const nu = unloads.length;
  const capBase = v * dims;
  load.fill(0);
  let loc = m.vStart[v]!;
  const total = ins > 0 ? len + 1 : len;
  // Leave late enough not to wait at the first stop's window: the rest of the day is the
  // same, and the route's duration (limited by maxDurationSeconds) is shorter.
  let t = m.vShiftStart[v]!;
  if (total > 0) {
    const first = ins > 0 && insPos === 0 ? ins : seq[base]!;
    if (m.hasWindow[first]) t = Math.max(t, m.twStart[first]! - dur[loc * L + m.nodeLoc[first]!]!);
  }
  const departure = t;
  let distance = 0;
  let late = 0;
  let loaded = false;
  for (let i = 0; i < total; i++) {
    const c =
      ins > 0
        ? i < insPos
          ? seq[base + i]!
          : i === insPos
            ? ins
            : seq[base + i - 1]!
        : seq[base + i]!;
    const cl = m.nodeLoc[c]!;
    const db = c * dims;
    let over = false;
    for (let d = 0; d < dims; d++)
      if (load[d]! + m.demand[db + d]! > m.vCap[capBase + d]!) over = true;
    if (over) {
      if (nu === 0 || !loaded) return Number.POSITIVE_INFINITY;
      const bu = bestUnload(m, unloads, loc, cl);
      const arrival = t + dur[loc * L + bu]!;
      distance += dist[loc * L + bu]!;
      t = arrival + m.vUnloadSec[v]!;
      load.fill(0);
      loaded = false;
      loc = bu;
      out?.visits.push(unloadVisit(bu, arrival, t, dims));
      for (let d = 0; d < dims; d++)
        if (m.demand[db + d]! > m.vCap[capBase + d]!) return Number.POSITIVE_INFINITY;
    }
    const arrival = t + dur[loc * L + cl]!;
    distance += dist[loc * L + cl]!;
    t = arrival;
    let lateHere = 0;
    if (m.hasWindow[c]) {
      if (t < m.twStart[c]!) t = m.twStart[c]!;
      if (arrival > m.twEnd[c]!) {
        if (!m.softWindow[c]) return Number.POSITIVE_INFINITY;
        lateHere = arrival - m.twEnd[c]!;
        late += lateHere;
      }
    }
    const start = t;
    t += m.service[c]!;
    for (let d = 0; d < dims; d++) load[d] = load[d]! + m.demand[db + d]!;
    loaded = true;
    loc = cl;
    if (out)
      out.visits.push({
        kind: 'stop',
        location: cl,
        arrival,
        start,
        departure: t,
        loadAfter: Array.from(load),
        lateSeconds: lateHere,
      });
  }
  const end = m.vEnd[v]!;
  if (nu > 0 && loaded) {
    const bu = bestUnload(m, unloads, loc, end);
    const arrival = t + dur[loc * L + bu]!;
    distance += dist[loc * L + bu]!;
    t = arrival + m.vUnloadSec[v]!;
    loc = bu;
    out?.visits.push(unloadVisit(bu, arrival, t, dims));
  }
  t += dur[loc * L + end]!;
  distance += dist[loc * L + end]!;
  if (t > m.vShiftEnd[v]! || t - departure > m.vMaxDur[v]!) return Number.POSITIVE_INFINITY;
  if (out) {
    out.distance = distance;
    out.late = late;
    out.start = departure;
    out.end = t;
  }
  return distance + m.latePenalty * late;
}

/** The unload location that adds the least distance between `from` and `to`. */
function bestUnload(m: Model, unloads: Int32Array, from: number, to: number): number {
  const { dist, L } = m;
  let best = unloads[0]!;
  let bestDist = Number.POSITIVE_INFINITY;
  for (let j = 0; j < unloads.length; j++) {
    const u = unloads[j]!;
    const x = dist[from * L + u]! + dist[u * L + to]!;
    if (x < bestDist) {
      bestDist = x;
      best = u;
    }
  }
  return best;
}

function unloadVisit(
  location: number,
  arrival: number,
  departure: number,
  dims: number,
): PlannedVisit {
  return {
    kind: 'unload',
    location,
    arrival,
    start: arrival,
    departure,
    loadAfter: new Array<number>(dims).fill(0),
    lateSeconds: 0,
  };
}

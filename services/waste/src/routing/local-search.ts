// A descent that polishes the annealing's best pure-CVRP solution with the moves ruin and
// recreate does not make by itself: 2-opt inside a route, 2-opt* between routes (tail
// exchange), swaps, and relocation next to a neighbour (granular: the customer's nearest
// neighbours only). First improvement, until no move improves or the deadline passes.
import type { Model } from './model.js';

/** How many nearest neighbours each customer's moves look at. */
const NEIGHBOURS = 20;
const EPS = 1e-9;

/** Improves `routes` (stop nodes per vehicle) in place; fast-path models only. */
export function polish(m: Model, routes: number[][], deadline: number): void {
  const n = m.n;
  const N = n + 1;
  const D = m.D;
  const dims = m.dims;
  const K = Math.min(m.K, NEIGHBOURS);
  const routeOf = new Int32Array(N).fill(-1);
  const pos = new Int32Array(N);
  const load = new Float64Array(routes.length * dims);
  const cap = (r: number, d: number) => m.vCap[r * dims + d]!;
  const q = (c: number, d: number) => m.demand[c * dims + d]!;
  const index = (r: number) => {
    const route = routes[r]!;
    for (let d = 0; d < dims; d++) load[r * dims + d] = 0;
    for (let p = 0; p < route.length; p++) {
      const c = route[p]!;
      routeOf[c] = r;
      pos[c] = p;
      for (let d = 0; d < dims; d++) load[r * dims + d] = load[r * dims + d]! + q(c, d);
    }
  };
  for (let r = 0; r < routes.length; r++) index(r);
  const prev = (c: number) => (pos[c]! > 0 ? routes[routeOf[c]!]![pos[c]! - 1]! : 0);
  const next = (c: number) => {
    const route = routes[routeOf[c]!]!;
    return pos[c]! < route.length - 1 ? route[pos[c]! + 1]! : 0;
  };
  const fits = (r: number, add: number, remove: number) => {
    for (let d = 0; d < dims; d++)
      if (
        load[r * dims + d]! + (add ? q(add, d) : 0) - (remove ? q(remove, d) : 0) >
        cap(r, d) + EPS
      )
        return false;
    return true;
  };
  /** Load of route r's first `count` customers in dimension d. */
  const prefix = (r: number, count: number, d: number) => {
    let s = 0;
    const route = routes[r]!;
    for (let p = 0; p < count; p++) s += q(route[p]!, d);
    return s;
  };

  const twoOpt = (r: number): boolean => {
    const route = routes[r]!;
    const len = route.length;
    let any = false;
    let improved = true;
    while (improved) {
      improved = false;
      for (let i = 0; i < len - 1; i++) {
        const a = i === 0 ? 0 : route[i - 1]!;
        const b = route[i]!;
        for (let j = i + 1; j < len; j++) {
          const c = route[j]!;
          const e = j === len - 1 ? 0 : route[j + 1]!;
          if (D[a * N + c]! + D[b * N + e]! - D[a * N + b]! - D[c * N + e]! < -EPS) {
            for (let x = i, y = j; x < y; x++, y--) {
              const t = route[x]!;
              route[x] = route[y]!;
              route[y] = t;
            }
            improved = any = true;
            break;
          }
        }
        if (improved) break;
      }
    }
    if (any) index(r);
    return any;
  };

  /** Tries the moves of customer u with its neighbours; applies the first that improves. */
  const improveAround = (u: number): boolean => {
    const ru = routeOf[u]!;
    const pu = prev(u);
    const nu = next(u);
    for (let k = 0; k < K; k++) {
      const v = m.neighbours[u * m.K + k]!;
      const rv = routeOf[v]!;
      if (rv < 0) continue;
      const pv = prev(v);
      const nv = next(v);
      const removeGain = D[pu * N + u]! + D[u * N + nu]! - D[pu * N + nu]!;
      // Relocate u after v, then before v.
      if (rv !== ru ? fits(rv, u, 0) : true) {
        if (nv !== u && D[v * N + u]! + D[u * N + nv]! - D[v * N + nv]! - removeGain < -EPS) {
          moveAfter(u, v);
          return true;
        }
        if (pv !== u && D[pv * N + u]! + D[u * N + v]! - D[pv * N + v]! - removeGain < -EPS) {
          moveBefore(u, v);
          return true;
        }
      }
      // Swap u and v (not adjacent).
      if (nu !== v && nv !== u && (rv === ru || (fits(rv, u, v) && fits(ru, v, u)))) {
        const delta =
          D[pu * N + v]! +
          D[v * N + nu]! +
          D[pv * N + u]! +
          D[u * N + nv]! -
          (D[pu * N + u]! + D[u * N + nu]! + D[pv * N + v]! + D[v * N + nv]!);
        if (delta < -EPS) {
          const a = routes[ru]!;
          const b = routes[rv]!;
          const iu = pos[u]!;
          const iv = pos[v]!;
          a[iu] = v;
          b[iv] = u;
          index(ru);
          if (rv !== ru) index(rv);
          return true;
        }
      }
      // 2-opt*: u's route keeps its head to u then takes v's tail; v's the reverse.
      if (rv !== ru) {
        const delta = D[u * N + nv]! + D[v * N + nu]! - D[u * N + nu]! - D[v * N + nv]!;
        if (delta < -EPS) {
          const a = routes[ru]!;
          const b = routes[rv]!;
          const cu = pos[u]! + 1;
          const cv = pos[v]! + 1;
          let ok = true;
          for (let d = 0; d < dims && ok; d++) {
            const ha = prefix(ru, cu, d);
            const hb = prefix(rv, cv, d);
            const ta = load[ru * dims + d]! - ha;
            const tb = load[rv * dims + d]! - hb;
            ok = ha + tb <= cap(ru, d) + EPS && hb + ta <= cap(rv, d) + EPS;
          }
          if (ok) {
            routes[ru] = [...a.slice(0, cu), ...b.slice(cv)];
            routes[rv] = [...b.slice(0, cv), ...a.slice(cu)];
            index(ru);
            index(rv);
            return true;
          }
        }
      }
    }
    return false;
  };

  const moveAfter = (u: number, v: number) => place(u, v, 1);
  const moveBefore = (u: number, v: number) => place(u, v, 0);
  const place = (u: number, v: number, after: number) => {
    const ru = routeOf[u]!;
    const rv = routeOf[v]!;
    routes[ru]!.splice(pos[u]!, 1);
    if (ru !== rv) index(ru);
    const b = routes[rv]!;
    b.splice(b.indexOf(v) + after, 0, u);
    index(rv);
    if (ru === rv) index(ru);
  };

  let improved = true;
  while (improved && performance.now() < deadline) {
    improved = false;
    for (let r = 0; r < routes.length; r++) if (routes[r]!.length > 2 && twoOpt(r)) improved = true;
    for (let u = 1; u <= n; u++) {
      if (routeOf[u]! < 0) continue;
      if ((u & 63) === 0 && performance.now() >= deadline) return;
      while (improveAround(u)) improved = true;
    }
  }
}

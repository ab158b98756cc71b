// The search: Slack Induction by String Removals (SISR, Christiaens & Vanden Berghe 2020) —
// ruin adjacent strings of customers across nearby routes, recreate by best insertion with
// blinks, accept by simulated annealing — with granular insertion (only routes holding one of
// a customer's nearest neighbours, plus one empty vehicle per class). Everything is typed
// arrays and index loops: the inner loops allocate nothing.

import { polish } from './local-search.js';
import { type Model, simulate } from './model.js';
import { Rng } from './rng.js';

/** SISR's published parameters (c̄, L_max, split rate, blink rate); temperatures scale with
 *  the instance (see `temperatures`). */
const AVG_REMOVED = 10;
const MAX_STRING = 10;
const SPLIT_RATE = 0.5;
const SPLIT_DEPTH = 0.5;
const BLINK_RATE = 0.01;
/** Routes examined per insertion: those of the customer's nearest neighbours. */
const INSERTION_NEIGHBOURS = 40;
/** Share of a time limit kept for the final descent (pure CVRP). */
const POLISH_SHARE = 0.03;

export interface SearchOptions {
  seed: number;
  timeLimitMs: number;
  maxIterations?: number;
  stallIterations?: number;
}

export interface SearchResult {
  /** Stop nodes (1..n) per vehicle, in visiting order; empty for unused vehicles. */
  routes: number[][];
  /** Servable stops the search could not fit. */
  unassigned: number[];
  cost: number;
  constructionCost: number;
  iterations: number;
}

export class Search {
  private readonly m: Model;
  private readonly rng: Rng;
  private readonly n: number;
  private readonly R: number;
  private readonly stride: number;
  private readonly nodes: Int32Array;
  private readonly len: Int32Array;
  private readonly load: Float64Array;
  private readonly rcost: Float64Array;
  private readonly routeOf: Int32Array;
  private readonly pool: Int32Array;
  private poolSize = 0;
  /** Stops no vehicle can serve on its own: never part of the search. */
  private readonly excluded: Uint8Array;

  // Undo log of one iteration.
  private iter = 0;
  private readonly touchedAt: Int32Array;
  private readonly touched: Int32Array;
  private touchedCount = 0;
  private readonly bNodes: Int32Array;
  private readonly bLen: Int32Array;
  private readonly bLoad: Float64Array;
  private readonly bCost: Float64Array;
  private readonly bPool: Int32Array;
  private bPoolSize = 0;

  // Scratch.
  private readonly removed: Int32Array;
  private removedCount = 0;
  private readonly ruinedAt: Int32Array;
  private readonly seenAt: Int32Array;
  private seenStamp = 0;
  private readonly sortKey: Float64Array;
  private readonly demandKey: Float64Array;
  private readonly depotKey: Float64Array;
  private readonly emptyHint: Int32Array;
  private readonly classRoutes: Int32Array[];
  private blink = BLINK_RATE;
  /** Evaluate only positions beside one of the customer's marked neighbours. */
  private granular = false;
  private readonly nearMark: Int32Array;
  private searching = false;
  private insR = -1;
  private insP = -1;

  constructor(m: Model, excluded: Uint8Array, seed: number) {
    this.m = m;
    this.rng = new Rng(seed);
    this.n = m.n;
    this.R = m.V;
    this.stride = m.n + 1;
    this.nodes = new Int32Array(this.R * this.stride);
    this.len = new Int32Array(this.R);
    this.load = new Float64Array(this.R * m.dims);
    this.rcost = new Float64Array(this.R);
    this.routeOf = new Int32Array(this.n + 1).fill(-1);
    this.pool = new Int32Array(this.n + 1);
    this.excluded = excluded;
    this.touchedAt = new Int32Array(this.R).fill(-1);
    this.touched = new Int32Array(this.R);
    this.bNodes = new Int32Array(this.R * this.stride);
    this.bLen = new Int32Array(this.R);
    this.bLoad = new Float64Array(this.R * m.dims);
    this.bCost = new Float64Array(this.R);
    this.bPool = new Int32Array(this.n + 1);
    this.removed = new Int32Array(this.n + 1);
    this.ruinedAt = new Int32Array(this.R).fill(-1);
    this.seenAt = new Int32Array(this.R);
    this.nearMark = new Int32Array(this.n + 1);
    this.sortKey = new Float64Array(this.n + 1);
    this.demandKey = new Float64Array(this.n + 1);
    this.depotKey = new Float64Array(this.n + 1);
    const depot = m.vStart[0] ?? 0;
    for (let c = 1; c <= this.n; c++) {
      let q = 0;
      for (let d = 0; d < m.dims; d++) {
        const cap = m.vCap[d]!;
        q += cap > 0 ? m.demand[c * m.dims + d]! / cap : 0;
      }
      this.demandKey[c] = q;
      this.depotKey[c] = m.dist[depot * m.L + m.nodeLoc[c]!]!;
    }
    const byClass: number[][] = Array.from({ length: m.classCount }, () => []);
    for (let r = 0; r < this.R; r++) byClass[m.vClass[r]!]!.push(r);
    this.classRoutes = byClass.map((rs) => Int32Array.from(rs));
    this.emptyHint = new Int32Array(m.classCount);
  }

  run(opts: SearchOptions): SearchResult {
    const t0 = performance.now();
    const maxIt = opts.maxIterations ?? Number.POSITIVE_INFINITY;
    // Construction: best insertion, farthest customers first, no blinks.
    this.removedCount = 0;
    for (let c = 1; c <= this.n; c++) if (!this.excluded[c]) this.removed[this.removedCount++] = c;
    for (let i = 0; i < this.removedCount; i++)
      this.sortKey[this.removed[i]!] = -this.depotKey[this.removed[i]!]!;
    this.sortRemoved();
    this.blink = 0;
    this.iter = 0;
    this.recreate();
    this.blink = BLINK_RATE;
    this.searching = true;
    const constructionCost = this.total();
    let best = constructionCost;
    let bestRoutes = this.snapshot();
    const progress = (it: number): number =>
      Number.isFinite(maxIt) ? it / maxIt : (performance.now() - t0) / opts.timeLimitMs;
    let it = 0;
    let lastBetter = 0;
    const stall = opts.stallIterations ?? Number.POSITIVE_INFINITY;
    let cur = constructionCost;
    const { t0: T0, tf: Tf } = this.temperatures();
    // Under a time limit the pure-CVRP polish gets the last few per cent of it.
    const end = this.m.fast && !Number.isFinite(maxIt) ? 1 - POLISH_SHARE : 1;
    if (this.n > 0)
      while (it < maxIt) {
        const p = progress(it) / end;
        if (p >= 1 || it - lastBetter >= stall) break;
        const T = T0 * (Tf / T0) ** p;
        it++;
        this.beginIteration(it);
        this.ruin();
        this.recreate();
        const cand = this.total();
        if (cand < cur - T * Math.log(this.rng.next())) {
          cur = cand;
          if (cand < best) {
            best = cand;
            lastBetter = it;
            bestRoutes = this.snapshot();
          }
        } else this.undo();
      }
    if (this.m.fast && this.n > 0) {
      polish(this.m, bestRoutes.routes, t0 + opts.timeLimitMs);
      best = bestRoutes.unassigned.length * this.m.unassignedPenalty;
      for (const route of bestRoutes.routes) best += this.distanceOf(route);
    }
    return {
      routes: bestRoutes.routes,
      unassigned: bestRoutes.unassigned,
      cost: best,
      constructionCost,
      iterations: it,
    };
  }

  private distanceOf(route: number[]): number {
    const N = this.n + 1;
    const D = this.m.D;
    let prev = 0;
    let s = 0;
    for (const c of route) {
      s += D[prev * N + c]!;
      prev = c;
    }
    return route.length > 0 ? s + D[prev * N]! : 0;
  }

  private beginIteration(it: number): void {
    this.iter = it;
    this.touchedCount = 0;
    this.bPool.set(this.pool.subarray(0, this.poolSize));
    this.bPoolSize = this.poolSize;
  }

  private temperatures(): { t0: number; tf: number } {
    // Temperatures in the problem's own units: T0 = 10 x the mean nearest-neighbour distance,
    // Tf = T0 / 100. SISR uses T0 = 100, Tf = 1 on the X instances (about 3x at 200
    // customers) with far longer runs; at 100k iterations on 8 X instances the factor gave
    // 3: 1.59 %, 6: 1.46 %, 10: 1.32 %, 15: 1.6 % average gap.
    const m = this.m;
    let sum = 0;
    let count = 0;
    for (let c = 1; c <= this.n; c++) {
      if (this.excluded[c] || m.K === 0) continue;
      const o = m.neighbours[c * m.K]!;
      sum += m.dist[m.nodeLoc[c]! * m.L + m.nodeLoc[o]!]!;
      count++;
    }
    const t0 = Math.max(1e-6, count > 0 ? (10 * sum) / count : 1);
    return { t0, tf: t0 / 100 };
  }

  private total(): number {
    let s = 0;
    for (let r = 0; r < this.R; r++) if (this.len[r]! > 0) s += this.rcost[r]!;
    return s + this.poolSize * this.m.unassignedPenalty;
  }

  private snapshot(): { routes: number[][]; unassigned: number[] } {
    const routes: number[][] = [];
    for (let r = 0; r < this.R; r++) {
      const b = r * this.stride;
      routes.push(Array.from(this.nodes.subarray(b, b + this.len[r]!)));
    }
    return { routes, unassigned: Array.from(this.pool.subarray(0, this.poolSize)) };
  }

  private touch(r: number): void {
    if (this.touchedAt[r] === this.iter) return;
    this.touchedAt[r] = this.iter;
    this.touched[this.touchedCount++] = r;
    const b = r * this.stride;
    const l = this.len[r]!;
    this.bNodes.set(this.nodes.subarray(b, b + l), b);
    this.bLen[r] = l;
    const dims = this.m.dims;
    for (let d = 0; d < dims; d++) this.bLoad[r * dims + d] = this.load[r * dims + d]!;
    this.bCost[r] = this.rcost[r]!;
  }

  private undo(): void {
    const dims = this.m.dims;
    for (let i = 0; i < this.touchedCount; i++) {
      const r = this.touched[i]!;
      const b = r * this.stride;
      const l = this.bLen[r]!;
      this.nodes.set(this.bNodes.subarray(b, b + l), b);
      this.len[r] = l;
      for (let d = 0; d < dims; d++) this.load[r * dims + d] = this.bLoad[r * dims + d]!;
      this.rcost[r] = this.bCost[r]!;
      for (let p = 0; p < l; p++) this.routeOf[this.nodes[b + p]!] = r;
      if (l === 0) this.noteEmpty(r);
    }
    for (let i = 0; i < this.poolSize; i++) this.routeOf[this.pool[i]!] = -1;
    this.pool.set(this.bPool.subarray(0, this.bPoolSize));
    this.poolSize = this.bPoolSize;
    for (let i = 0; i < this.poolSize; i++) this.routeOf[this.pool[i]!] = -1;
  }

  private noteEmpty(r: number): void {
    const cls = this.m.vClass[r]!;
    const routes = this.classRoutes[cls]!;
    // Routes of a class are in increasing order: keep the hint at the lowest empty one.
    const h = this.emptyHint[cls]!;
    if (h >= routes.length || routes[h]! > r) this.emptyHint[cls] = routes.indexOf(r);
  }

  private findEmpty(cls: number): number {
    const routes = this.classRoutes[cls]!;
    let h = this.emptyHint[cls]!;
    while (h < routes.length && this.len[routes[h]!]! > 0) h++;
    this.emptyHint[cls] = h;
    return h < routes.length ? routes[h]! : -1;
  }

  private routeCost(r: number): number {
    const l = this.len[r]!;
    if (l === 0) return 0;
    const b = r * this.stride;
    const m = this.m;
    if (m.fast) {
      const N = this.n + 1;
      const D = m.D;
      let prev = 0;
      let s = 0;
      for (let p = 0; p < l; p++) {
        const c = this.nodes[b + p]!;
        s += D[prev * N + c]!;
        prev = c;
      }
      return s + D[prev * N]!;
    }
    return simulate(m, r, this.nodes, b, l, 0, 0);
  }

  // ---- Ruin ----

  /** Removes strings around a random seed customer, then adds the pool (customers that did
   *  not fit so far, retried every iteration) and orders the lot for recreation. */
  private ruin(): void {
    this.removedCount = 0;
    this.removeStrings();
    for (let i = 0; i < this.poolSize; i++) this.removed[this.removedCount++] = this.pool[i]!;
    this.poolSize = 0;
    this.orderRemoved();
  }

  private removeStrings(): void {
    let assigned = 0;
    let used = 0;
    for (let r = 0; r < this.R; r++)
      if (this.len[r]! > 0) {
        assigned += this.len[r]!;
        used++;
      }
    if (used === 0) return;
    const lsMax = Math.min(MAX_STRING, assigned / used);
    const ksMax = (4 * AVG_REMOVED) / (1 + lsMax) - 1;
    const ks = Math.floor(this.rng.next() * ksMax) + 1;
    const m = this.m;
    const K = m.K;
    // Seed: a random assigned customer.
    let seed = 1 + this.rng.int(this.n);
    for (let tries = 0; this.routeOf[seed]! < 0 && tries < this.n; tries++)
      seed = (seed % this.n) + 1;
    if (this.routeOf[seed]! < 0) return;
    let ruined = 0;
    for (let k = -1; k < K && ruined < ks; k++) {
      const c = k < 0 ? seed : m.neighbours[seed * K + k]!;
      const r = this.routeOf[c]!;
      if (r < 0 || this.ruinedAt[r] === this.iter) continue;
      const l = this.len[r]!;
      const lt = Math.floor(this.rng.next() * Math.min(l, lsMax)) + 1;
      this.touch(r);
      if (lt < l && this.rng.next() < SPLIT_RATE) this.removeSplitString(r, c, lt);
      else this.removeString(r, c, lt);
      this.ruinedAt[r] = this.iter;
      ruined++;
    }
  }

  private posOf(r: number, c: number): number {
    const b = r * this.stride;
    const l = this.len[r]!;
    for (let p = 0; p < l; p++) if (this.nodes[b + p] === c) return p;
    return -1;
  }

  private removeString(r: number, c: number, lt: number): void {
    const l = this.len[r]!;
    const pos = this.posOf(r, c);
    const lo = Math.max(0, pos - lt + 1);
    const hi = Math.min(pos, l - lt);
    const s = lo + this.rng.int(hi - lo + 1);
    this.removeRange(r, s, lt, 0, 0);
  }

  private removeSplitString(r: number, c: number, lt: number): void {
    const l = this.len[r]!;
    // m customers in the middle of the string are preserved.
    let keep = 1;
    while (lt + keep < l && this.rng.next() > SPLIT_DEPTH) keep++;
    const span = lt + keep;
    const pos = this.posOf(r, c);
    const lo = Math.max(0, pos - span + 1);
    const hi = Math.min(pos, l - span);
    const s = lo + this.rng.int(hi - lo + 1);
    const keepAt = this.rng.int(lt + 1);
    this.removeRange(r, s, span, keepAt, keep);
  }

  /** Removes positions [s, s+span) of route r except `keep` of them from offset `keepAt`. */
  private removeRange(r: number, s: number, span: number, keepAt: number, keep: number): void {
    const b = r * this.stride;
    const l = this.len[r]!;
    const dims = this.m.dims;
    let w = s;
    for (let p = s; p < l; p++) {
      const c = this.nodes[b + p]!;
      const off = p - s;
      if (off < span && !(off >= keepAt && off < keepAt + keep)) {
        this.removed[this.removedCount++] = c;
        this.routeOf[c] = -1;
        for (let d = 0; d < dims; d++)
          this.load[r * dims + d] = this.load[r * dims + d]! - this.m.demand[c * dims + d]!;
      } else this.nodes[b + w++] = c;
    }
    this.len[r] = w;
    this.rcost[r] = this.routeCost(r);
    if (w === 0) {
      for (let d = 0; d < dims; d++) this.load[r * dims + d] = 0;
      this.noteEmpty(r);
    }
  }

  // ---- Recreate ----

  private orderRemoved(): void {
    const x = this.rng.next() * 11;
    const cnt = this.removedCount;
    const rm = this.removed;
    if (x < 4) {
      for (let i = cnt - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        const t = rm[i]!;
        rm[i] = rm[j]!;
        rm[j] = t;
      }
      return;
    }
    for (let i = 0; i < cnt; i++) {
      const c = rm[i]!;
      this.sortKey[c] =
        x < 8 ? -this.demandKey[c]! : x < 10 ? -this.depotKey[c]! : this.depotKey[c]!;
    }
    this.sortRemoved();
  }

  /** Insertion sort by sortKey (the lists are short). */
  private sortRemoved(): void {
    const rm = this.removed;
    const key = this.sortKey;
    for (let i = 1; i < this.removedCount; i++) {
      const c = rm[i]!;
      const k = key[c]!;
      let j = i - 1;
      while (j >= 0 && key[rm[j]!]! > k) {
        rm[j + 1] = rm[j]!;
        j--;
      }
      rm[j + 1] = c;
    }
  }

  private recreate(): void {
    const m = this.m;
    const K = Math.min(m.K, INSERTION_NEIGHBOURS);
    for (let i = 0; i < this.removedCount; i++) {
      const c = this.removed[i]!;
      this.seenStamp++;
      const stamp = this.seenStamp;
      let best = Number.POSITIVE_INFINITY;
      this.insR = -1;
      // Rich problems: first only positions next to a neighbour (or a route's ends).
      this.granular = !m.fast;
      for (let k = 0; k < K; k++) this.nearMark[m.neighbours[c * m.K + k]!] = stamp;
      for (let k = 0; k < K; k++) {
        const r = this.routeOf[m.neighbours[c * m.K + k]!]!;
        if (r < 0 || this.seenAt[r] === stamp) continue;
        this.seenAt[r] = stamp;
        best = this.evalRoute(r, c, best);
      }
      if (this.insR < 0 && (this.searching || !m.fast)) {
        // Capacity or rich constraints can rule out every neighbour's route: try all used
        // routes at every position (not while building pure-CVRP routes: far-fetched
        // insertions make a poor start).
        this.granular = false;
        for (let r = 0; r < this.R; r++) {
          if (this.len[r] === 0 || (this.seenAt[r] === stamp && m.fast)) continue;
          this.seenAt[r] = stamp;
          best = this.evalRoute(r, c, best);
        }
      }
      for (let cls = 0; cls < m.classCount; cls++) {
        const r = this.findEmpty(cls);
        if (r >= 0) best = this.evalRoute(r, c, best);
      }
      if (this.insR < 0) {
        this.pool[this.poolSize++] = c;
        continue;
      }
      this.insert(this.insR, this.insP, c);
    }
    this.removedCount = 0;
  }

  /** Tries every position of route r for c; updates insR/insP and returns the best delta. */
  private evalRoute(r: number, c: number, best: number): number {
    const m = this.m;
    const dims = m.dims;
    for (let d = 0; d < dims; d++)
      if (
        this.load[r * dims + d]! + m.demand[c * dims + d]! > m.vCap[r * dims + d]! &&
        m.vUnloads[r]!.length === 0
      )
        return best;
    const b = r * this.stride;
    const l = this.len[r]!;
    if (m.fast) {
      const N = this.n + 1;
      const D = m.D;
      const cN = c * N;
      let prev = 0;
      for (let p = 0; p <= l; p++) {
        const next = p < l ? this.nodes[b + p]! : 0;
        const delta = D[prev * N + c]! + D[cN + next]! - D[prev * N + next]!;
        if (delta < best && (this.blink === 0 || this.rng.next() >= this.blink)) {
          best = delta;
          this.insR = r;
          this.insP = p;
        }
        prev = next;
      }
      return best;
    }
    const L = m.L;
    const dist = m.dist;
    const cl = m.nodeLoc[c]!;
    const base = l === 0 ? 0 : this.rcost[r]!;
    let prevLoc = m.vStart[r]!;
    for (let p = 0; p <= l; p++) {
      const nextLoc = p < l ? m.nodeLoc[this.nodes[b + p]!]! : m.vEnd[r]!;
      // Cheap bound first: the detour alone (a lower bound without unloads when travel times
      // obey the triangle inequality; with unloads a heuristic filter).
      const detour =
        dist[prevLoc * L + cl]! + dist[cl * L + nextLoc]! - dist[prevLoc * L + nextLoc]!;
      prevLoc = nextLoc;
      if (detour >= best) continue;
      if (this.granular && p > 0 && p < l) {
        const mark = this.seenStamp;
        if (
          this.nearMark[this.nodes[b + p - 1]!] !== mark &&
          this.nearMark[this.nodes[b + p]!] !== mark
        )
          continue;
      }
      const delta = simulate(m, r, this.nodes, b, l, c, p) - base;
      if (delta < best && (this.blink === 0 || this.rng.next() >= this.blink)) {
        best = delta;
        this.insR = r;
        this.insP = p;
      }
    }
    return best;
  }

  private insert(r: number, p: number, c: number): void {
    this.touch(r);
    const b = r * this.stride;
    const l = this.len[r]!;
    this.nodes.copyWithin(b + p + 1, b + p, b + l);
    this.nodes[b + p] = c;
    this.len[r] = l + 1;
    this.routeOf[c] = r;
    const dims = this.m.dims;
    for (let d = 0; d < dims; d++)
      this.load[r * dims + d] = this.load[r * dims + d]! + this.m.demand[c * dims + d]!;
    this.rcost[r] = this.routeCost(r);
  }
}

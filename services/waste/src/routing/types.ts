// The routing solver's public types: the contract in ROUTING-INTERFACE.md, shared with the
// waste service. Fields may be added (optional), never changed.

/** Times are seconds from the start of the planning day; distances metres; demands in the
 *  vehicle's capacity dimensions (e.g. [litres, kg]); every array of a problem is aligned. */
export interface RoutingProblem {
  /** Square matrices over locations (index 0..L-1), row-major: travel time (s) and distance (m). */
  durations: Float64Array;
  distances: Float64Array;
  locationCount: number;
  stops: RoutingStop[];
  vehicles: RoutingVehicle[];
  /** Soft windows: cost per second late (in the objective's distance units). Default 0. */
  latePenaltyPerSecond?: number;
}

export interface RoutingStop {
  id: string;
  /** Index into the matrices. */
  location: number;
  /** Same length as every vehicle's capacity. */
  demand: number[];
  serviceSeconds: number;
  /** Hard: arrival must be <= end (wait until start if early). Soft: late allowed at a penalty. */
  window?: { start: number; end: number; soft?: boolean };
}

export interface RoutingVehicle {
  id: string;
  capacity: number[];
  /** Depot. */
  startLocation: number;
  /** Usually the same depot. */
  endLocation: number;
  shift: { start: number; end: number };
  maxDurationSeconds?: number;
  /** Multi-trip: places where the truck may unload during the shift and continue. A truck
   *  with unload locations also unloads its last load before returning to its end location. */
  unloadLocations?: number[];
  unloadSeconds?: number;
}

export interface SolveOptions {
  /** Deterministic for a given seed (and iteration budget). */
  seed: number;
  timeLimitMs: number;
  /** For deterministic tests independent of machine speed. */
  maxIterations?: number;
  /**
   * Stops once this many iterations in a row found nothing better (a small day's plan is
   * settled long before its time limit; operators should not wait for the clock).
   */
  stallIterations?: number;
}

export interface PlannedVisit {
  kind: 'stop' | 'unload';
  /** For kind 'stop'. */
  stopId?: string;
  location: number;
  /** s */
  arrival: number;
  /** Service start (after waiting for a window). */
  start: number;
  departure: number;
  /** Load on board after this visit. */
  loadAfter: number[];
  lateSeconds: number;
}

export interface PlannedRoute {
  vehicleId: string;
  /** Excludes the start and end depot. */
  visits: PlannedVisit[];
  /** Leaves the depot. */
  start: number;
  /** Back at the end location. */
  end: number;
  /** m */
  distance: number;
  /** s */
  duration: number;
  lateSeconds: number;
}

export interface RoutingSolution {
  /** Only vehicles that are used. */
  routes: PlannedRoute[];
  /** Stops no vehicle can serve feasibly. */
  unassigned: { stopId: string; reason: string }[];
  /** Distance + late penalties (+ a large penalty per unassigned). */
  cost: number;
  distance: number;
  /** How the search went (optional, for benchmarks and tests). */
  stats?: SolveStats;
}

export interface SolveStats {
  iterations: number;
  /** Cost of the initial construction, before the search. */
  constructionCost: number;
  elapsedMs: number;
}

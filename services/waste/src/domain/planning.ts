// Planning a collection shift, pure: which bins are due, the routing problem for them (stops,
// vehicles, locations), and the solver's answer as routes in clock time. Talks to the solver
// only through the routing interface's types.
import type {
  RoutingProblem,
  RoutingSolution,
  RoutingStop,
  RoutingVehicle,
} from '../routing/index.js';
import { estimateAt, type FillState, type Slotter } from './fill-model.js';
import {
  type BinSpec,
  BULK_DENSITY_KG_PER_L,
  type GeoPoint,
  type VehicleSpec,
  type WasteStreamName,
} from './model.js';

export interface BinView {
  spec: BinSpec;
  fill?: FillState;
  mustVisit: boolean;
}

export interface DueBin {
  binId: string;
  reason: 'threshold' | 'must-visit';
  /** Predicted fill at the shift's start, percent. */
  predictedPercent: number;
}

/**
 * The bins a shift must visit: at or predicted past the threshold before the next shift (a
 * bin left now would be over it by then), plus must-visit bins. Bins that never reported are
 * due only when an operator says so.
 */
export function dueBins(input: {
  bins: readonly BinView[];
  stream: WasteStreamName;
  shiftStart: number;
  nextShiftStart: number;
  threshold: number;
  slotOf: Slotter;
}): DueBin[] {
  const out: DueBin[] = [];
  for (const bin of input.bins) {
    if (bin.spec.stream !== input.stream) continue;
    const atStart = bin.fill ? estimateAt(bin.fill, input.shiftStart, input.slotOf) : 0;
    const atNext = bin.fill ? estimateAt(bin.fill, input.nextShiftStart, input.slotOf) : 0;
    if (bin.fill && (atStart >= input.threshold || atNext >= input.threshold)) {
      out.push({ binId: bin.spec.id, reason: 'threshold', predictedPercent: atStart });
    } else if (bin.mustVisit) {
      out.push({ binId: bin.spec.id, reason: 'must-visit', predictedPercent: atStart });
    }
  }
  return out.sort((a, b) => a.binId.localeCompare(b.binId));
}

/** The shift of a stream on a day: from the earliest to the latest shift of its vehicles. */
export function shiftOf(
  vehicles: readonly VehicleSpec[],
  dayStart: number,
  daysBetweenShifts: number,
): { start: number; end: number; nextStart: number } | undefined {
  if (vehicles.length === 0) return undefined;
  const startMinute = Math.min(...vehicles.map((v) => v.shiftStartMinute));
  const endMinute = Math.max(...vehicles.map((v) => v.shiftEndMinute));
  const start = dayStart + startMinute * 60_000;
  return {
    start,
    end: dayStart + endMinute * 60_000,
    nextStart: start + daysBetweenShifts * 86_400_000,
  };
}

export interface PlanStop {
  bin: BinSpec;
  litres: number;
  kg: number;
}

/** What a bin will hold when the truck comes: its predicted fill (at most full) of its volume. */
export function demandOf(bin: BinView, at: number, slotOf: Slotter): PlanStop {
  const percent = bin.fill ? Math.min(100, estimateAt(bin.fill, at, slotOf)) : 100;
  const litres = (bin.spec.volumeLitres * Math.max(percent, 1)) / 100;
  const kg =
    bin.fill?.measuredKg !== undefined
      ? bin.fill.measuredKg
      : litres * BULK_DENSITY_KG_PER_L[bin.spec.stream];
  return { bin: bin.spec, litres, kg };
}

export interface PlanVehicle {
  spec: VehicleSpec;
  /** Where and when it starts instead of the depot at shift start (a re-plan mid-shift). */
  start?: { point: GeoPoint; at: number };
  /** Load already on board (capacity left is reduced by it). */
  onBoard?: { litres: number; kg: number };
}

/** Id prefix of the stop that stands for a truck's load on board. */
export const ON_BOARD = 'on-board:';

const keyOf = (p: GeoPoint) => `${p.latitude.toFixed(6)},${p.longitude.toFixed(6)}`;

/** The locations of a problem (deduplicated) and a builder once their matrix is known. */
export function layoutProblem(
  stops: readonly PlanStop[],
  vehicles: readonly PlanVehicle[],
  options: { dayStart: number; latePenaltyPerSecond: number },
): {
  points: GeoPoint[];
  build(matrix: { durations: Float64Array; distances: Float64Array }): RoutingProblem;
} {
  const points: GeoPoint[] = [];
  const index = new Map<string, number>();
  const at = (p: GeoPoint) => {
    const key = keyOf(p);
    let i = index.get(key);
    if (i === undefined) {
      i = points.length;
      points.push({ latitude: p.latitude, longitude: p.longitude });
      index.set(key, i);
    }
    return i;
  };
  const seconds = (ms: number) => Math.round((ms - options.dayStart) / 1000);
  const carried: RoutingStop[] = [];
  const routingVehicles: RoutingVehicle[] = vehicles.map(({ spec, start, onBoard }) => {
    const shiftStart = spec.shiftStartMinute * 60;
    const begin = start ? Math.max(shiftStart, seconds(start.at)) : shiftStart;
    const startLocation = at(start?.point ?? spec.depot);
    // What a truck already carries is a stop where it stands, due at once: only that truck
    // can take it, first, and an unload empties it like any load (the routing interface has
    // no initial load).
    if (onBoard && (onBoard.litres > 0 || onBoard.kg > 0)) {
      carried.push({
        id: `${ON_BOARD}${spec.id}`,
        location: startLocation,
        demand: [onBoard.litres, onBoard.kg],
        serviceSeconds: 0,
        window: { start: begin, end: begin, soft: false },
      });
    }
    return {
      id: spec.id,
      capacity: [spec.capacityLitres, spec.capacityKg],
      startLocation,
      endLocation: at(spec.depot),
      shift: { start: begin, end: spec.shiftEndMinute * 60 },
      maxDurationSeconds:
        spec.maxRouteMinutes > 0
          ? Math.max(0, spec.maxRouteMinutes * 60 - (begin - shiftStart))
          : undefined,
      unloadLocations: [at(spec.unloadLocation ?? spec.depot)],
      unloadSeconds: spec.unloadSeconds,
    };
  });
  const routingStops: RoutingStop[] = [
    ...carried,
    ...stops.map((s) => ({
      id: s.bin.id,
      location: at(s.bin.location),
      demand: [s.litres, s.kg],
      serviceSeconds: Math.max(...vehicles.map((v) => v.spec.serviceSeconds), 0),
      window: s.bin.accessWindow && {
        start: s.bin.accessWindow.startMinute * 60,
        end: s.bin.accessWindow.endMinute * 60,
        soft: s.bin.accessWindow.soft,
      },
    })),
  ];
  return {
    points,
    build: (matrix) => ({
      durations: matrix.durations,
      distances: matrix.distances,
      locationCount: points.length,
      stops: routingStops,
      vehicles: routingVehicles,
      latePenaltyPerSecond: options.latePenaltyPerSecond,
    }),
  };
}

export interface PlannedStopVisit {
  sequence: number;
  binId?: string;
  unload: boolean;
  arrival: number;
  departure: number;
  loadLitres: number;
  loadKg: number;
  lateSeconds: number;
}

export interface PlannedVehicleRoute {
  vehicleId: string;
  visits: PlannedStopVisit[];
  start: number;
  end: number;
  distanceMeters: number;
}

/** The solver's answer in clock time (ms) with loads in litres and kg. */
export function routesFromSolution(
  solution: RoutingSolution,
  dayStart: number,
): { routes: PlannedVehicleRoute[]; unassigned: { binId: string; reason: string }[] } {
  const ms = (s: number) => dayStart + Math.round(s * 1000);
  const real = (id: string | undefined) => !id?.startsWith(ON_BOARD);
  return {
    routes: solution.routes.map((r) => ({
      vehicleId: r.vehicleId,
      start: ms(r.start),
      end: ms(r.end),
      distanceMeters: r.distance,
      visits: r.visits
        .filter((v) => v.kind === 'unload' || real(v.stopId))
        .map((v, i) => ({
          sequence: i + 1,
          binId: v.kind === 'stop' ? v.stopId : undefined,
          unload: v.kind === 'unload',
          arrival: ms(v.arrival),
          departure: ms(v.departure),
          loadLitres: v.loadAfter[0] ?? 0,
          loadKg: v.loadAfter[1] ?? 0,
          lateSeconds: Math.round(v.lateSeconds),
        })),
    })),
    unassigned: solution.unassigned
      .filter((u) => real(u.stopId))
      .map((u) => ({ binId: u.stopId, reason: u.reason })),
  };
}

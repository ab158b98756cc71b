// pnpm bench:collection — a simulated month of waste collection in a city district: a few
// hundred street bins of five streams, each with its own fill rate and a weekday/hour rhythm
// of its stream and place (a market square fills on Saturdays, an office street at lunch, a
// residential street in the evening), measured hourly by noisy sensors. Two strategies:
// - fill-level driven: every other working day (Mon–Sat, streams staggered) each stream's
//   truck visits the bins the service's fill models say are due (at or predicted past 80 %
//   before that stream's next shift);
// - a fixed weekly round: every bin once a week, on its area's weekday (Mon–Fri).
// Both use the same solver (through the routing interface) and the same trucks; it prints
// kilometres driven, bins visited and overflow-hours (hours a bin's true fill is at 100 %).
//
// It drives the domain (fill models, due bins, problem building) and the solver directly,
// in-process, on a simulated clock rather than through NATS and Postgres: the month takes
// seconds, and what is compared is the planning, not the plumbing (which the integration
// tests cover).
import { slotterFor } from '../../src/domain/calendar.js';
import {
  DEFAULT_FILL_SETTINGS,
  type FillState,
  newFillState,
  updateFill,
} from '../../src/domain/fill-model.js';
import type { BinSpec, VehicleSpec, WasteStreamName } from '../../src/domain/model.js';
import {
  type BinView,
  demandOf,
  dueBins,
  layoutProblem,
  routesFromSolution,
} from '../../src/domain/planning.js';
import { greatCircleMatrix } from '../../src/matrix/distance-matrix.js';
import { solve, validateSolution } from '../../src/routing/index.js';
import { gaussian, seededRandom } from '../support/random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TZ = 'Europe/Brussels';
const START = Date.parse('2026-11-01T23:00:00Z'); // Monday 2 November 2026, 00:00 local
const DAYS = Number(process.env.BENCH_DAYS ?? 28);
const BINS = Number(process.env.BENCH_BINS ?? 300);
const SEED = Number(process.env.BENCH_SEED ?? 42);
const THRESHOLD = 80;
const NOISE = 3; // percent, one standard deviation
/** Fill-level driven: each stream's truck goes out every this many working days (staggered). */
const EVERY = Number(process.env.BENCH_FILL_EVERY_DAYS ?? 2);
const slotOf = slotterFor(TZ);

const random = seededRandom(SEED);
const gauss = () => gaussian(random);

type Place = 'residential' | 'market' | 'office';
/** Relative fill speed by place, weekday (0 = Sunday) and hour. */
function rhythm(place: Place, stream: WasteStreamName, weekday: number, hour: number): number {
  const weekend = weekday === 0 || weekday === 6;
  let f: number;
  if (place === 'market')
    f = (weekday === 6 ? 3.5 : weekday === 3 ? 1.8 : 0.6) * (hour >= 7 && hour < 15 ? 2 : 0.3);
  else if (place === 'office')
    f = (weekend ? 0.2 : 1.3) * (hour >= 11 && hour < 14 ? 3 : hour >= 8 && hour < 18 ? 1.2 : 0.2);
  else
    f =
      (weekend ? 1.4 : 0.9) * (hour >= 17 && hour < 22 ? 2.2 : hour >= 7 && hour < 17 ? 0.9 : 0.25);
  // Bottles after the weekend, paper after the Saturday papers.
  if (stream === 'glass' && (weekday === 0 || weekday === 1)) f *= 1.8;
  if (stream === 'paper' && weekday === 0) f *= 1.5;
  return f;
}

interface SimBin {
  spec: BinSpec;
  place: Place;
  /** Mean fill rate, percent per hour (the rhythm averages to about 1). */
  rate: number;
  level: number;
  fill?: FillState;
  fixedWeekday: number;
}

const STREAMS: { stream: WasteStreamName; share: number; litres: number }[] = [
  { stream: 'residual', share: 0.4, litres: 1100 },
  { stream: 'pmd', share: 0.2, litres: 1100 },
  { stream: 'paper', share: 0.15, litres: 2500 },
  { stream: 'glass', share: 0.15, litres: 2500 },
  { stream: 'organic', share: 0.1, litres: 240 },
];
// A 3 × 3 km district (Ghent's centre); depot and transfer station at its edge.
const ORIGIN = { latitude: 51.04, longitude: 3.7 };
const DEPOT = { latitude: 51.035, longitude: 3.69 };
const TRANSFER = { latitude: 51.07, longitude: 3.745 };

function makeBins(): SimBin[] {
  const bins: SimBin[] = [];
  for (const { stream, share, litres } of STREAMS) {
    const count = Math.round(BINS * share);
    for (let i = 0; i < count; i++) {
      const latitude = ORIGIN.latitude + random() * 0.027;
      const longitude = ORIGIN.longitude + random() * 0.043;
      const u = random();
      const place: Place = u < 0.12 ? 'market' : u < 0.35 ? 'office' : 'residential';
      // Days from empty to full: log-normal around twelve days, 2.5 to 40 — bins are sized
      // for a weekly round with a margin, so many are half empty when it comes and a few
      // (by a market, on a busy corner) are too small for it.
      const days = Math.min(40, Math.max(2.5, Math.exp(Math.log(12) + 0.6 * gauss())));
      bins.push({
        spec: {
          id: `${stream}-${String(i).padStart(3, '0')}`,
          name: `${stream} ${i}`,
          location: { latitude, longitude },
          volumeLitres: litres,
          stream,
          deviceId: `s-${stream}-${i}`,
        },
        place,
        rate: 100 / (days * 24) / 1.05,
        level: random() * 50,
        // The fixed round visits each area on one weekday: west to east, Monday to Friday.
        fixedWeekday: 1 + Math.min(4, Math.floor(((longitude - ORIGIN.longitude) / 0.043) * 5)),
      });
    }
  }
  return bins;
}

const truck = (stream: WasteStreamName): VehicleSpec => ({
  id: `${stream}-truck`,
  name: `${stream} truck`,
  streams: [stream],
  capacityLitres: stream === 'organic' ? 8_000 : 20_000,
  capacityKg: 9_000,
  depot: DEPOT,
  unloadLocation: TRANSFER,
  shiftStartMinute: 7 * 60,
  shiftEndMinute: 15 * 60,
  maxRouteMinutes: 0,
  serviceSeconds: stream === 'glass' || stream === 'paper' ? 240 : 90,
  unloadSeconds: 900,
});

interface Outcome {
  meters: number;
  visits: number;
  overflowHours: number;
  unassigned: number;
  /** Sum of the true fill of the bins emptied (for the mean). */
  levelAtVisit: number;
}

/** Plans one stream's shift over `bins` and returns the visits (bin id → arrival). */
function runShift(
  stream: WasteStreamName,
  views: BinView[],
  dayStart: number,
): { meters: number; arrivals: Map<string, number>; unassigned: number } {
  const shiftStart = dayStart + 7 * HOUR;
  const stops = views.map((v) => demandOf(v, shiftStart, slotOf));
  const layout = layoutProblem(stops, [{ spec: truck(stream) }], {
    dayStart,
    latePenaltyPerSecond: 0,
  });
  const problem = layout.build(greatCircleMatrix(layout.points, { roadFactor: 1.3, speedKmh: 25 }));
  // As the service plans: a time limit, and a stall budget so a settled plan stops early.
  const solution = solve(problem, {
    seed: 1,
    timeLimitMs: 5_000,
    stallIterations: 5_000 + 100 * problem.stops.length,
  });
  const errors = validateSolution(problem, solution);
  if (errors.length > 0) throw new Error(`infeasible solution: ${errors[0]}`);
  const { routes, unassigned } = routesFromSolution(solution, dayStart);
  const arrivals = new Map<string, number>();
  for (const r of routes) for (const v of r.visits) if (v.binId) arrivals.set(v.binId, v.departure);
  return { meters: solution.distance, arrivals, unassigned: unassigned.length };
}

/** Working days (Mon–Sat) since START. */
function workdayIndex(dayStart: number): number {
  let n = 0;
  for (let d = START; d < dayStart - HOUR; d += DAY) if (slotOf(d + 12 * HOUR).weekday !== 0) n++;
  return n;
}

/** The local midnight `every` working days after `dayStart` (Sundays skipped). */
function nextShiftOf(dayStart: number, every: number): number {
  let d = dayStart;
  for (let n = 0; n < every; ) {
    d += DAY;
    if (slotOf(d + 12 * HOUR).weekday !== 0) n++;
  }
  return d;
}

function simulate(strategy: 'fill' | 'fixed'): Outcome {
  const bins = makeBins(); // same seed → the same district and fills for both
  const out: Outcome = { meters: 0, visits: 0, overflowHours: 0, unassigned: 0, levelAtVisit: 0 };
  const byStream = new Map<WasteStreamName, SimBin[]>();
  for (const b of bins) byStream.set(b.spec.stream, [...(byStream.get(b.spec.stream) ?? []), b]);
  const mustVisit = new Set<string>();
  let pending = new Map<string, number>(); // bin → emptied at (today's routes)
  for (let h = 0; h < DAYS * 24; h++) {
    const t = START + h * HOUR;
    const slot = slotOf(t);
    // Plan at 06:00 local for a 07:00 shift, Monday to Saturday (fixed: Monday to Friday).
    if (slot.hour === 6 && slot.weekday !== 0 && (strategy === 'fill' || slot.weekday !== 6)) {
      const dayStart = t - 6 * HOUR;
      const workday = workdayIndex(dayStart);
      pending = new Map();
      [...byStream.entries()].forEach(([stream, list], s) => {
        if (strategy === 'fill' && (workday + s) % EVERY !== 0) return;
        const views: BinView[] = list.map((b) => ({
          spec: b.spec,
          fill: b.fill,
          mustVisit: mustVisit.has(b.spec.id),
        }));
        let chosen: BinView[];
        if (strategy === 'fill') {
          const due = new Set(
            dueBins({
              bins: views,
              stream,
              shiftStart: dayStart + 7 * HOUR,
              nextShiftStart: nextShiftOf(dayStart, EVERY) + 7 * HOUR,
              threshold: THRESHOLD,
              slotOf,
            }).map((d) => d.binId),
          );
          chosen = views.filter((v) => due.has(v.spec.id));
        } else {
          const today = new Set(
            list.filter((b) => b.fixedWeekday === slot.weekday).map((b) => b.spec.id),
          );
          chosen = views.filter((v) => today.has(v.spec.id));
        }
        for (const v of chosen) mustVisit.delete(v.spec.id);
        if (chosen.length === 0) return;
        const shift = runShift(stream, chosen, dayStart);
        out.meters += shift.meters;
        out.unassigned += shift.unassigned;
        for (const [id, at] of shift.arrivals) pending.set(id, at);
        // What could not be routed is a must-visit next time.
        for (const v of chosen) if (!shift.arrivals.has(v.spec.id)) mustVisit.add(v.spec.id);
      });
    }
    for (const b of bins) {
      // Truth: the bin fills by its rhythm; a truck empties it when it passes.
      const emptiedAt = pending.get(b.spec.id);
      if (emptiedAt !== undefined && emptiedAt <= t + HOUR) {
        out.levelAtVisit += b.level;
        b.level = 0;
        out.visits++;
        pending.delete(b.spec.id);
      }
      b.level += b.rate * rhythm(b.place, b.spec.stream, slot.weekday, slot.hour);
      if (b.level >= 100) {
        b.level = 100;
        out.overflowHours++;
      }
      // The sensor reads it at the end of the hour, with noise.
      const measured = Math.max(0, Math.min(100, b.level + NOISE * gauss()));
      const at = t + HOUR;
      if (!b.fill) b.fill = newFillState(at, measured, DEFAULT_FILL_SETTINGS);
      else {
        const u = updateFill(b.fill, at, measured, slotOf, DEFAULT_FILL_SETTINGS);
        if (u.kind !== 'stale') b.fill = u.state;
      }
    }
  }
  return out;
}

const started = performance.now();
const fill = simulate('fill');
const fixed = simulate('fixed');
const km = (m: number) => (m / 1000).toFixed(1);
console.log(
  `district: ${BINS} bins, ${DAYS} days, sensor noise ±${NOISE} %, threshold ${THRESHOLD} %, seed ${SEED}`,
);
console.log(
  `fill-level driven: ${km(fill.meters)} km, ${fill.visits} bins emptied (mean fill ${(fill.levelAtVisit / Math.max(1, fill.visits)).toFixed(0)} %), ${fill.overflowHours} overflow-hours, ${fill.unassigned} due bins left for the next day`,
);
console.log(
  `fixed weekly round: ${km(fixed.meters)} km, ${fixed.visits} bins emptied (mean fill ${(fixed.levelAtVisit / Math.max(1, fixed.visits)).toFixed(0)} %), ${fixed.overflowHours} overflow-hours, ${fixed.unassigned} bins left for the next day`,
);
console.log(`simulated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const saving = fixed.meters > 0 ? (100 * (fixed.meters - fill.meters)) / fixed.meters : 0;
console.log(
  `km_saving_pct=${saving.toFixed(1)} overflow_hours=${fill.overflowHours} fixed_overflow_hours=${fixed.overflowHours}`,
);

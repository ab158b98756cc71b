// When a bin will overflow before anyone can come: the next possible visit is a planned visit
// still to come, or else the next start of a shift of a vehicle that collects its stream. Pure.
import { type FillState, predictReach, type Slotter } from './fill-model.js';
import type { VehicleSpec } from './model.js';

const DAY_MS = 86_400_000;

/** The first shift start (of these vehicles) at or after `now`; undefined without vehicles. */
export function nextShiftStart(
  vehicles: readonly VehicleSpec[],
  now: number,
  dayStartOf: (ms: number) => number,
): number | undefined {
  let best: number | undefined;
  for (const day of [dayStartOf(now), dayStartOf(now + DAY_MS)]) {
    for (const v of vehicles) {
      const start = day + v.shiftStartMinute * 60_000;
      if (start >= now && (best === undefined || start < best)) best = start;
    }
  }
  return best;
}

/**
 * The predicted overflow time when it comes before `nextVisit` and no risk was raised in this
 * fill cycle yet; otherwise undefined.
 */
export function newOverflowRisk(
  fill: FillState,
  now: number,
  nextVisit: number,
  slotOf: Slotter,
): number | undefined {
  if (fill.riskRaised) return undefined;
  const full = predictReach(fill, 100, now, slotOf, Math.max(1, (nextVisit - now) / 3_600_000));
  return full !== undefined && full < nextVisit ? full : undefined;
}

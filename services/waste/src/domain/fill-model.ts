// A bin's fill-rate model, from noisy `fill_level` readings. Pure.
//
// The fill rises at `base` percent per hour on average, modulated by a weekly rhythm that is
// the product of a weekday factor and an hour-of-day factor: a street bin near a market fills
// on Saturday mornings, one by an office on weekday lunchtimes. Every figure is a ratio of
// sums of increments over sums of hours (decayed with a four-week memory so the model follows
// the seasons), never a single step:
// - within a fill cycle the increments telescope, so the mean rate carries the sensor noise
//   (ultrasonic sensors read ± several percent) of the cycle's two ends only;
// - each slot's factor is its own rate over the mean rate, shrunk towards 1 by how little the
//   slot's hours can tell through the noise (empirical Bayes: the sensor's noise variance,
//   estimated from the residuals, over the squared mean rate: a slow bin read by a noisy
//   sensor needs weeks before its rhythm shows; a busy one, days), then renormalised to a
//   mean of 1 so the rhythm moves fill between hours and days but never adds any;
// - single steps are clipped (a bag dropped on the sensor, a bird) and steps at saturation
//   (an overflowing bin stops rising) are left out;
// - the level used for predictions is a filtered estimate (a fixed-gain Kalman-style update
//   of the profile's forecast with the measurement).
// An emptying is a fall of at least `emptyDrop` points below the filtered level (noise never
// falls that far); a truck's confirmation resets the cycle the same way.

export interface Slot {
  weekday: number; // 0 = Sunday
  hour: number; // 0-23
}
/** Local weekday and hour of an instant (the caller knows the city's time zone). */
export type Slotter = (ms: number) => Slot;

export interface FillState {
  /** Filtered level, percent, at `lastAt`. */
  level: number;
  lastMeasured: number;
  lastAt: number;
  /** Mean fill rate, percent per hour. */
  base: number;
  /** Weekday (0 = Sunday) and hour-of-day factors, derived from the sums below. */
  hour: number[];
  day: number[];
  /** Decayed sums of increments (percent) and hours, overall and per slot. */
  totalRise: number;
  totalHours: number;
  riseByHour: number[];
  hoursByHour: number[];
  riseByDay: number[];
  hoursByDay: number[];
  /** Variance of a reading around the forecast, percent² (sensor noise and model error). */
  noiseVariance: number;
  cycleStartAt: number;
  cycleStartLevel: number;
  lastEmptiedAt?: number;
  /** An overflow risk has been raised in this fill cycle. */
  riskRaised: boolean;
  measuredKg?: number;
}

export interface FillSettings {
  /** Fall (percentage points) below the filtered level read as an emptying. */
  emptyDrop: number;
  /** Rate assumed before anything is learnt, percent per hour. */
  defaultRate: number;
}

export const DEFAULT_FILL_SETTINGS: FillSettings = { emptyDrop: 20, defaultRate: 0.5 };

const GAIN = 0.5;
/** Memory of the sums: four weeks. */
const MEMORY_HOURS = 28 * 24;
/** Hours of the default rate the mean starts from; a slot's factor is shrunk by this many hours. */
const PRIOR_HOURS = 1;
/** Noise variance assumed before residuals are seen (±2 %), and how fast it follows them. */
const PRIOR_NOISE_VARIANCE = 4;
const NOISE_STEP = 0.05;
/** Largest single step learnt from, percentage points (more is clipped). */
const MAX_STEP = 30;
const SATURATED = 97;
const HOUR_MS = 3_600_000;

export function newFillState(at: number, measured: number, settings: FillSettings): FillState {
  return {
    level: measured,
    lastMeasured: measured,
    lastAt: at,
    base: settings.defaultRate,
    hour: new Array(24).fill(1),
    day: new Array(7).fill(1),
    totalRise: 0,
    totalHours: 0,
    riseByHour: new Array(24).fill(0),
    hoursByHour: new Array(24).fill(0),
    riseByDay: new Array(7).fill(0),
    hoursByDay: new Array(7).fill(0),
    noiseVariance: PRIOR_NOISE_VARIANCE,
    cycleStartAt: at,
    cycleStartLevel: measured,
    riskRaised: false,
  };
}

const factor = (s: FillState, slot: Slot) => (s.day[slot.weekday] ?? 1) * (s.hour[slot.hour] ?? 1);

/** ∫ profile dt over [from, to], in hours (1 per hour for a flat profile). */
export function profileHours(s: FillState, from: number, to: number, slotOf: Slotter): number {
  let total = 0;
  let t = from;
  while (t < to) {
    const next = Math.min(to, (Math.floor(t / HOUR_MS) + 1) * HOUR_MS);
    total += ((next - t) / HOUR_MS) * factor(s, slotOf(t));
    t = next;
  }
  return total;
}

/** The model's estimate of the level at `at` (≥ lastAt), percent, at most 100. */
export function estimateAt(s: FillState, at: number, slotOf: Slotter): number {
  if (at <= s.lastAt) return s.level;
  return Math.min(100, s.level + s.base * profileHours(s, s.lastAt, at, slotOf));
}

/**
 * When the level is predicted to reach `target` percent, searching up to `horizonHours`
 * after `from`; undefined when not within the horizon (or the rate is zero).
 */
export function predictReach(
  s: FillState,
  target: number,
  from: number,
  slotOf: Slotter,
  horizonHours = 14 * 24,
): number | undefined {
  let level = estimateAt(s, Math.max(from, s.lastAt), slotOf);
  let t = Math.max(from, s.lastAt);
  if (level >= target) return t;
  if (s.base <= 0) return undefined;
  const end = t + horizonHours * HOUR_MS;
  while (t < end) {
    const next = (Math.floor(t / HOUR_MS) + 1) * HOUR_MS;
    const perHour = s.base * factor(s, slotOf(t));
    const rise = (perHour * (next - t)) / HOUR_MS;
    if (level + rise >= target) return t + ((target - level) / perHour) * HOUR_MS;
    level += rise;
    t = next;
  }
  return undefined;
}

const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export type FillUpdate =
  | { kind: 'stale' }
  | { kind: 'updated'; state: FillState }
  | { kind: 'emptied'; state: FillState; fillBefore: number };

/** Starts a new fill cycle at `at` with level `measured` (after an emptying). */
export function resetCycle(s: FillState, at: number, measured: number): FillState {
  return {
    ...s,
    level: measured,
    lastMeasured: measured,
    lastAt: Math.max(at, s.lastAt),
    cycleStartAt: at,
    cycleStartLevel: measured,
    lastEmptiedAt: at,
    riskRaised: false,
  };
}

/**
 * Slot factors: each slot's rate over the mean rate, shrunk towards 1 by `shrink` hours, then
 * renormalised to a mean of 1.
 */
function factors(rise: number[], hours: number[], mean: number, shrink: number): number[] {
  if (mean <= 0) return rise.map(() => 1);
  const raw = rise.map((r, i) => {
    const h = hours[i] ?? 0;
    return clip((Math.max(0, r) + shrink * mean) / ((h + shrink) * mean), 0.02, 24);
  });
  const average = raw.reduce((a, b) => a + b, 0) / raw.length;
  return raw.map((f) => clip(f / average, 0.02, 24));
}

/** Folds one reading (percent at `at`) into the model. Readings not newer than the last are stale. */
export function updateFill(
  s: FillState,
  at: number,
  measured: number,
  slotOf: Slotter,
  settings: FillSettings,
): FillUpdate {
  if (!(at > s.lastAt)) return { kind: 'stale' };
  const value = clip(measured, 0, 100);
  const predicted = estimateAt(s, at, slotOf);
  if (value <= s.level - settings.emptyDrop) {
    return { kind: 'emptied', state: resetCycle(s, at, value), fillBefore: s.level };
  }
  const dtHours = (at - s.lastAt) / HOUR_MS;
  const next: FillState = {
    ...s,
    level: clip(predicted + GAIN * (value - predicted), 0, 100),
    lastMeasured: value,
    lastAt: at,
  };
  // Steps at saturation teach nothing (an overflowing bin stops rising); long gaps neither
  // (a sensor away for a day says nothing about which hours filled the bin).
  if (value < SATURATED && s.lastMeasured < SATURATED && dtHours <= 6) {
    const keep = Math.exp(-dtHours / MEMORY_HOURS);
    const rise = clip(value - s.lastMeasured, -MAX_STEP, MAX_STEP);
    const slot = slotOf(s.lastAt + (at - s.lastAt) / 2);
    next.totalRise = s.totalRise * keep + rise;
    next.totalHours = s.totalHours * keep + dtHours;
    const decay = (values: number[], index: number, add: number) =>
      values.map((v, i) => v * keep + (i === index ? add : 0));
    next.riseByHour = decay(s.riseByHour, slot.hour, rise);
    next.hoursByHour = decay(s.hoursByHour, slot.hour, dtHours);
    next.riseByDay = decay(s.riseByDay, slot.weekday, rise);
    next.hoursByDay = decay(s.hoursByDay, slot.weekday, dtHours);
    next.base = Math.max(
      0,
      (next.totalRise + PRIOR_HOURS * settings.defaultRate) / (next.totalHours + PRIOR_HOURS),
    );
    const mean = next.totalHours > 0 ? next.totalRise / next.totalHours : 0;
    const residual = clip(value - predicted, -MAX_STEP, MAX_STEP);
    next.noiseVariance = s.noiseVariance + NOISE_STEP * (residual * residual - s.noiseVariance);
    // A slot's rate is a mean of hourly steps, each carrying two readings' noise (2σ²); a
    // day's consecutive steps telescope, so its noise weighs less, but a day seen only in
    // part telescopes less: a third of the hour's shrink, not a 24th. The prior spread of a
    // slot's rate is the mean rate itself: shrink = 2σ² / mean² hours.
    const prior = Math.max(mean ** 2, 1e-4);
    const shrink = (2 * next.noiseVariance) / prior;
    next.hour = factors(next.riseByHour, next.hoursByHour, mean, shrink);
    next.day = factors(next.riseByDay, next.hoursByDay, mean, shrink / 3);
  }
  return { kind: 'updated', state: next };
}

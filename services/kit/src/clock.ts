// The time a service decides by. In production it is the system clock; in the demo city and
// in benchmarks it runs faster than real time from a chosen start (a whole night in minutes);
// in tests it is set by hand. Services ask the clock, never Date.now(), wherever time decides
// behaviour (schedules, hold times, expiries, energy); logs and spans keep real time.
import { z } from 'zod';

export interface Clock {
  /** The current time in ms since the epoch, on this clock. */
  now(): number;
  /** Clock milliseconds per real millisecond (1 for the system clock). */
  readonly speed: number;
}

/** Real time. */
export const systemClock: Clock = { now: () => Date.now(), speed: 1 };

/**
 * A clock that reads `startMs` at the real instant `anchorRealMs` and then runs `speed` times
 * faster. Two processes given the same three numbers agree on the time.
 */
export function scaledClock(options: {
  startMs: number;
  speed: number;
  anchorRealMs: number;
  realNow?: () => number;
}): Clock {
  const { startMs, speed, anchorRealMs } = options;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError('clock speed must be > 0');
  const realNow = options.realNow ?? Date.now;
  return { now: () => startMs + (realNow() - anchorRealMs) * speed, speed };
}

/** A clock that moves only when told: deterministic tests of time-driven behaviour. */
export class ManualClock implements Clock {
  readonly speed = 1;
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): number {
    this.current += ms;
    return this.current;
  }
}

/** Real milliseconds in which `clockMs` pass on `clock` (for timers). */
export function realDelay(clock: Clock, clockMs: number): number {
  return Math.max(0, clockMs / clock.speed);
}

/**
 * Environment of the clock: unset, the system clock. `CLOCK_START` (ISO 8601) with
 * `CLOCK_SPEED` runs a simulated clock; `CLOCK_ANCHOR_MS` (real epoch ms at which the clock
 * reads CLOCK_START, default: process start) lets several processes share one.
 */
export const clockConfigShape = {
  CLOCK_START: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-11-23T17:00:00Z' })
    .optional(),
  CLOCK_SPEED: z.coerce.number().positive().max(100_000).default(1),
  CLOCK_ANCHOR_MS: z.coerce.number().int().positive().optional(),
};

export function clockFromConfig(config: {
  CLOCK_START?: string;
  CLOCK_SPEED: number;
  CLOCK_ANCHOR_MS?: number;
}): Clock {
  if (!config.CLOCK_START && config.CLOCK_SPEED === 1) return systemClock;
  const anchorRealMs = config.CLOCK_ANCHOR_MS ?? Date.now();
  return scaledClock({
    startMs: config.CLOCK_START ? Date.parse(config.CLOCK_START) : anchorRealMs,
    speed: config.CLOCK_SPEED,
    anchorRealMs,
  });
}

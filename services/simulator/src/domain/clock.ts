// Time in the simulation. The simulated clock starts at the real start instant and runs
// `speedup` times faster, so a demo shows a day of tides, rush hours and bin rounds in minutes
// (24 minutes at the default 60). Readings are still stamped with the real time: ingest
// refuses timestamps from the future, and the stored history stays truthful about when each
// reading arrived. Pure.

export interface SimClock {
  /** Real time (ms since the epoch) at which the simulation started. */
  readonly startMs: number;
  /** Simulated milliseconds per real millisecond (>= 0; 1 is real time). */
  readonly speedup: number;
}

/** The simulated instant (ms since the epoch) at real instant `realMs`. */
export function simTime(clock: SimClock, realMs: number): number {
  return clock.startMs + (realMs - clock.startMs) * clock.speedup;
}

/**
 * Real milliseconds between two reports of a device that reports every `intervalS` simulated
 * seconds; never less than `minMs`, which keeps a high speed-up within ingest's per-device
 * rate limit and away from readings with equal timestamps.
 */
export function realIntervalMs(intervalS: number, speedup: number, minMs: number): number {
  return Math.max(minMs, (intervalS * 1000) / speedup);
}

/**
 * The next frame counter of a device: one more than the last, and never behind the real
 * clock in seconds. Ingest treats a repeated (device, metric, sequence) as a duplicate, so a
 * restarted simulator must not count from 1 again; seeding from the clock keeps the counter
 * ahead of every earlier run that sent at most one message per second per device. The
 * counter stays within LoRaWAN's 32 bits until 2106.
 */
export function nextSequence(last: number, realMs: number): number {
  return Math.max(last + 1, Math.floor(realMs / 1000));
}

// Local calendar arithmetic for shifts and fill rhythms: the instant of a local midnight, and a
// cached weekday/hour lookup (the fill model asks for it every hour of every prediction).
import { localTime } from '@slimstad/kit';
import type { Slotter } from './fill-model.js';

const HOUR_MS = 3_600_000;

/** The instant a local date begins in `timeZone` (DST-safe: corrects by the observed offset). */
export function localMidnight(date: string, timeZone: string): number {
  let guess = Date.parse(`${date}T00:00:00Z`);
  for (let i = 0; i < 3; i++) {
    const local = localTime(guess, timeZone);
    const localMs = Date.parse(`${local.date}T00:00:00Z`) + local.minuteOfDay * 60_000;
    const offset = localMs - guess;
    const next = Date.parse(`${date}T00:00:00Z`) - offset;
    if (next === guess) break;
    guess = next;
  }
  return guess;
}

/** A slot lookup for one time zone, cached per hour. */
export function slotterFor(timeZone: string): Slotter {
  const cache = new Map<number, { weekday: number; hour: number }>();
  return (ms) => {
    const key = Math.floor(ms / HOUR_MS);
    let slot = cache.get(key);
    if (!slot) {
      const local = localTime(key * HOUR_MS, timeZone);
      slot = { weekday: local.weekday, hour: Math.floor(local.minuteOfDay / 60) };
      if (cache.size > 50_000) cache.clear();
      cache.set(key, slot);
    }
    return slot;
  };
}

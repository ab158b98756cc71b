// Energy: a lamp's level over time is piecewise linear (ramps between steady levels); its
// energy is the rated power times the integral of the level. The always-on baseline is the
// rated power over the same night hours. Both are booked to the operating day (the local
// date of the evening). Pure.

/** A lamp's level from `startMs`: a linear ramp from `from` to `to` over `transitionMs`, then `to`. */
export interface LevelTrack {
  from: number;
  to: number;
  startMs: number;
  transitionMs: number;
}

export function levelAt(track: LevelTrack, t: number): number {
  if (track.transitionMs <= 0 || t >= track.startMs + track.transitionMs) return track.to;
  if (t <= track.startMs) return track.from;
  return track.from + ((track.to - track.from) * (t - track.startMs)) / track.transitionMs;
}

/** ∫ level dt over [a, b] (a, b ≥ track.startMs), in percent·ms. */
export function levelIntegral(track: LevelTrack, a: number, b: number): number {
  if (b <= a) return 0;
  const rampEnd = track.startMs + Math.max(0, track.transitionMs);
  let total = 0;
  if (a < rampEnd) {
    const end = Math.min(b, rampEnd);
    total += ((levelAt(track, a) + levelAt(track, end)) / 2) * (end - a);
  }
  if (b > rampEnd) total += track.to * (b - Math.max(a, rampEnd));
  return total;
}

/** How the meter learns a zone's calendar (from its profile and location). */
export interface ZoneCalendar {
  nightDate(zoneId: string, t: number): string;
  night(zoneId: string, date: string): { startMs: number; endMs: number };
}

export interface EnergyBooking {
  zoneId: string;
  lampId: string;
  /** Operating day, `YYYY-MM-DD`. */
  date: string;
  usedWh: number;
  baselineWh: number;
  /** Night time inside the booked interval, ms. */
  nightMs: number;
}

/** Splits [a, b) where the operating day changes (local noon), by bisection to the ms. */
export function splitByDay(
  a: number,
  b: number,
  dateOf: (t: number) => string,
): { date: string; from: number; to: number }[] {
  const parts: { date: string; from: number; to: number }[] = [];
  let from = a;
  while (from < b) {
    const date = dateOf(from);
    let to = b;
    if (dateOf(b - 1) !== date) {
      let lo = from; // dateOf(lo) === date
      let hi = b - 1; // dateOf(hi) !== date
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (dateOf(mid) === date) lo = mid;
        else hi = mid;
      }
      to = hi;
    }
    parts.push({ date, from, to });
    from = to;
  }
  return parts;
}

const WH_PER_WATT_MS = 1 / 3_600_000;

interface MeteredLamp {
  zoneId: string;
  ratedPowerWatts: number;
  track: LevelTrack;
  /** Booked up to here. */
  until: number;
}

export class EnergyMeter {
  private readonly lamps = new Map<string, MeteredLamp>();

  constructor(private readonly calendar: ZoneCalendar) {}

  /** Starts (or restarts) metering a lamp at a steady level from `at`. */
  track(
    lamp: { id: string; zoneId: string; ratedPowerWatts: number },
    level: number,
    at: number,
  ): void {
    this.lamps.set(lamp.id, {
      zoneId: lamp.zoneId,
      ratedPowerWatts: lamp.ratedPowerWatts,
      track: { from: level, to: level, startMs: at, transitionMs: 0 },
      until: at,
    });
  }

  untrack(lampId: string): void {
    this.lamps.delete(lampId);
  }

  has(lampId: string): boolean {
    return this.lamps.has(lampId);
  }

  /** The level the meter assumes at `t`. */
  level(lampId: string, t: number): number | undefined {
    const lamp = this.lamps.get(lampId);
    return lamp ? levelAt(lamp.track, Math.max(t, lamp.track.startMs)) : undefined;
  }

  /**
   * The lamp starts a transition to `level` at `at` (a confirmed command). Energy up to `at`
   * stays with the old track; returns what that books.
   */
  change(lampId: string, level: number, transitionMs: number, at: number): EnergyBooking[] {
    const lamp = this.lamps.get(lampId);
    if (!lamp) return [];
    const booked = this.book(lampId, lamp, at);
    const from = levelAt(lamp.track, Math.max(at, lamp.track.startMs));
    lamp.track = { from, to: level, startMs: Math.max(at, lamp.until), transitionMs };
    return booked;
  }

  /** Books every lamp up to `now`. */
  flush(now: number): EnergyBooking[] {
    const bookings: EnergyBooking[] = [];
    for (const [lampId, lamp] of this.lamps) bookings.push(...this.book(lampId, lamp, now));
    return bookings;
  }

  private book(lampId: string, lamp: MeteredLamp, now: number): EnergyBooking[] {
    if (now <= lamp.until) return [];
    const bookings: EnergyBooking[] = [];
    for (const part of splitByDay(lamp.until, now, (t) =>
      this.calendar.nightDate(lamp.zoneId, t),
    )) {
      const night = this.calendar.night(lamp.zoneId, part.date);
      const nightMs = Math.max(
        0,
        Math.min(part.to, night.endMs) - Math.max(part.from, night.startMs),
      );
      bookings.push({
        zoneId: lamp.zoneId,
        lampId,
        date: part.date,
        usedWh:
          (lamp.ratedPowerWatts / 100) *
          levelIntegral(lamp.track, part.from, part.to) *
          WH_PER_WATT_MS,
        baselineWh: lamp.ratedPowerWatts * nightMs * WH_PER_WATT_MS,
        nightMs,
      });
    }
    lamp.until = now;
    return bookings;
  }
}

/** Adds bookings of the same zone, lamp and day together. */
export function mergeBookings(bookings: readonly EnergyBooking[]): EnergyBooking[] {
  const merged = new Map<string, EnergyBooking>();
  for (const b of bookings) {
    const key = `${b.zoneId}|${b.lampId}|${b.date}`;
    const prior = merged.get(key);
    if (prior) {
      prior.usedWh += b.usedWh;
      prior.baselineWh += b.baselineWh;
      prior.nightMs += b.nightMs;
    } else merged.set(key, { ...b });
  }
  return [...merged.values()];
}

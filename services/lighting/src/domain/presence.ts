// Presence with look-ahead: a detection at a lamp raises the lamps within the look-ahead
// distance of the detected mode along the paths, and holds each for the profile's hold time
// plus the time the person needs to reach it — so the light is on before they arrive and
// stays on behind them for a while. The direction is inferred where it can be: when exactly
// one neighbouring lamp saw someone of that mode just before (as long as walking the edge
// between them takes, with slack), the person came from there, and the light goes ahead
// only; the lamps behind keep their own hold. Where it cannot (a first detection, people
// from several sides), the light goes every way. Pure (state in memory, time passed in).
import type { LookAhead, TravelMode } from './model.js';
import type { PathGraph } from './path-graph.js';

export interface Detection {
  /** Lamps whose detector saw someone. */
  lampIds: readonly string[];
  mode: TravelMode;
  at: number;
}

export interface PresenceSettings {
  holdMs: number;
  rampUpMs: number;
  pedestrian: LookAhead;
  cyclist: LookAhead;
}

/** When presence holds a lamp up: from (a rise may be scheduled ahead) until. */
export interface Hold {
  from: number;
  until: number;
}

/** How much slower than the profile's speed someone may move and still count as the same person. */
const SLOWEST_SHARE = 0.4;
/** How much faster than the profile's speed someone may arrive: lamps rise in time for them. */
const FASTEST_SHARE = 1.5;
/** Full light this long (plus the ramp) before the earliest possible arrival, ms. */
const RISE_MARGIN_MS = 5_000;
/** Sensor timing slack, ms. */
const SLACK_MS = 3_000;

export class PresenceTracker {
  /** Per lamp, disjoint holds in time order. */
  private readonly holds = new Map<string, Hold[]>();
  private readonly lastSeen = new Map<string, Record<TravelMode, number>>();

  /**
   * Records a detection; returns the lamps whose holds it created or lengthened, with the
   * hold. A lamp ahead rises shortly before the person could reach it (at the profile's speed
   * half as fast again, less the ramp and a margin), not at once: the light travels with them.
   */
  detect(
    detection: Detection,
    graph: PathGraph,
    settingsOf: (lampId: string) => PresenceSettings,
  ): Map<string, Hold> {
    const raised = new Map<string, Hold>();
    for (const origin of detection.lampIds) {
      const settings = settingsOf(origin);
      const ahead = settings[detection.mode];
      const cameFrom = this.cameFrom(origin, detection, graph, ahead.speedMetersPerSecond);
      const seen = this.lastSeen.get(origin) ?? {
        pedestrian: Number.NEGATIVE_INFINITY,
        cyclist: Number.NEGATIVE_INFINITY,
      };
      seen[detection.mode] = Math.max(seen[detection.mode], detection.at);
      this.lastSeen.set(origin, seen);
      for (const [lampId, meters] of graph.within(origin, ahead.distanceMeters, cameFrom)) {
        const travelMs = (meters / ahead.speedMetersPerSecond) * 1000;
        const earliestMs = (meters / (ahead.speedMetersPerSecond * FASTEST_SHARE)) * 1000;
        const lead = settings.rampUpMs + RISE_MARGIN_MS;
        const hold = {
          from: detection.at + Math.max(0, earliestMs - lead),
          until: detection.at + settings.holdMs + travelMs,
        };
        const merged = this.add(lampId, hold);
        if (merged) raised.set(lampId, merged);
      }
    }
    return raised;
  }

  /** Adds a hold to a lamp; returns the merged hold if it grew anything, else undefined. */
  private add(lampId: string, hold: Hold): Hold | undefined {
    const list = this.holds.get(lampId) ?? [];
    let merged = { ...hold };
    const rest: Hold[] = [];
    let grew = true;
    for (const h of list) {
      if (h.until < merged.from || h.from > merged.until) {
        rest.push(h);
        continue;
      }
      if (h.from <= merged.from && h.until >= merged.until) grew = false;
      merged = { from: Math.min(h.from, merged.from), until: Math.max(h.until, merged.until) };
    }
    rest.push(merged);
    rest.sort((a, b) => a.from - b.from);
    this.holds.set(lampId, rest);
    return grew ? merged : undefined;
  }

  /** The one neighbour the person evidently came from, if there is exactly one. */
  private cameFrom(
    origin: string,
    detection: Detection,
    graph: PathGraph,
    speed: number,
  ): string | undefined {
    let from: string | undefined;
    for (const { to, meters } of graph.neighbours(origin)) {
      const at = this.lastSeen.get(to)?.[detection.mode];
      if (at === undefined) continue;
      const window = (meters / (speed * SLOWEST_SHARE)) * 1000 + SLACK_MS;
      if (at <= detection.at && detection.at - at <= window) {
        if (from !== undefined) return undefined; // from several sides: light every way
        from = to;
      }
    }
    return from;
  }

  /** The end of the hold in force at `now`, if any. */
  activeUntil(lampId: string, now: number): number | undefined {
    return this.holds.get(lampId)?.find((h) => h.from <= now && now < h.until)?.until;
  }

  /** The latest end of any hold of the lamp (for the live view). */
  presenceUntil(lampId: string): number | undefined {
    return this.holds.get(lampId)?.at(-1)?.until;
  }

  /** Forgets holds that ended before `now`; returns the lamps whose hold lapsed. */
  expire(now: number, forgetAfterMs = 600_000): string[] {
    for (const [lampId, seen] of this.lastSeen) {
      if (Math.max(seen.pedestrian, seen.cyclist) < now - forgetAfterMs)
        this.lastSeen.delete(lampId);
    }
    const lapsed: string[] = [];
    for (const [lampId, list] of this.holds) {
      const kept = list.filter((h) => h.until > now);
      if (kept.length === list.length) continue;
      lapsed.push(lampId);
      if (kept.length > 0) this.holds.set(lampId, kept);
      else this.holds.delete(lampId);
    }
    return lapsed;
  }
}

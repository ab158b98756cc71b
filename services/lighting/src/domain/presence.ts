// Presence with look-ahead: a detection at a lamp holds the lamps within the look-ahead
// distance of the detected mode along the paths, each for the profile's hold time plus the
// time the person needs to reach it — so the light is on before they arrive and stays on
// behind them for a while. Three refinements make the light follow the person instead of
// flooding the park:
// - Ahead only, once the direction shows: when exactly one neighbouring lamp saw someone of
//   that mode just before (as long as walking that edge takes, with slack), the person came
//   from there, and the look-ahead does not go back that way.
// - Branches not taken are given up: that earlier detection's holds on lamps reachable from
//   its lamp other than through this one (the other branches) are withdrawn; the lamp where
//   it happened keeps its hold (light behind them).
// - In time, not at once: a lamp ahead rises shortly before the person could reach its pool
//   of light (at the profile's speed half as fast again, less the ramp and a margin).
// A first detection, or people from several sides, light every way. Pure (state in memory,
// time passed in).
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

export interface PresenceChange {
  /** Lamps whose holds a detection created or lengthened, with the hold. */
  raised: Map<string, Hold>;
  /** Lamps whose speculative holds were given up (they may dim again). */
  withdrawn: Set<string>;
}

/** How much slower than the profile's speed someone may move and still count as the same person. */
const SLOWEST_SHARE = 0.4;
/** How much faster than the profile's speed someone may arrive: lamps rise in time for them. */
const FASTEST_SHARE = 1.5;
/** Lamps rise before the person is this close (the pool of light a lamp casts), metres. */
const LIGHT_POOL_M = 10;
/** Full light this long (plus the ramp) before the person can reach the pool, ms. */
const RISE_MARGIN_MS = 4_000;
/** Sensor timing slack, ms. */
const SLACK_MS = 3_000;

interface Claim extends Hold {
  detection: number;
}

interface Sighting {
  detection: number;
  at: number;
  lookAheadMeters: number;
}

export class PresenceTracker {
  /** Per lamp, the holds each detection claims on it. */
  private readonly claims = new Map<string, Claim[]>();
  /** Per lamp and mode, the last detection there. */
  private readonly lastSeen = new Map<string, Partial<Record<TravelMode, Sighting>>>();
  private detections = 0;

  detect(
    detection: Detection,
    graph: PathGraph,
    settingsOf: (lampId: string) => PresenceSettings,
  ): PresenceChange {
    const change: PresenceChange = { raised: new Map(), withdrawn: new Set() };
    for (const origin of detection.lampIds) {
      const id = ++this.detections;
      const settings = settingsOf(origin);
      const ahead = settings[detection.mode];
      const cameFrom = this.cameFrom(origin, detection, graph, ahead.speedMetersPerSecond);
      if (cameFrom) this.withdrawBranches(cameFrom.lamp, cameFrom.sighting, origin, graph, change);
      const seen = this.lastSeen.get(origin) ?? {};
      seen[detection.mode] = {
        detection: id,
        at: detection.at,
        lookAheadMeters: ahead.distanceMeters,
      };
      this.lastSeen.set(origin, seen);
      const lead = settings.rampUpMs + RISE_MARGIN_MS;
      for (const [lampId, meters] of graph.within(origin, ahead.distanceMeters, cameFrom?.lamp)) {
        const travelMs = (meters / ahead.speedMetersPerSecond) * 1000;
        const toPool = Math.max(0, meters - LIGHT_POOL_M);
        const earliestMs = (toPool / (ahead.speedMetersPerSecond * FASTEST_SHARE)) * 1000;
        const hold = {
          from: detection.at + Math.max(0, earliestMs - lead),
          until: detection.at + settings.holdMs + travelMs,
        };
        const list = this.claims.get(lampId) ?? [];
        const before = this.span(list);
        list.push({ ...hold, detection: id });
        this.claims.set(lampId, list);
        const after = this.span(list) as Hold;
        if (!before || after.from < before.from || after.until > before.until) {
          change.raised.set(lampId, hold);
          change.withdrawn.delete(lampId);
        }
      }
    }
    return change;
  }

  /** The earliest start and latest end of a lamp's claims. */
  private span(list: readonly Claim[]): Hold | undefined {
    if (list.length === 0) return undefined;
    let from = Number.POSITIVE_INFINITY;
    let until = Number.NEGATIVE_INFINITY;
    for (const c of list) {
      from = Math.min(from, c.from);
      until = Math.max(until, c.until);
    }
    return { from, until };
  }

  /**
   * The person seen at `lamp` went on to `towards`: that sighting's holds on the other
   * branches (and back the way it came) are given up; the lamp itself keeps its hold.
   */
  private withdrawBranches(
    lamp: string,
    sighting: Sighting,
    towards: string,
    graph: PathGraph,
    change: PresenceChange,
  ): void {
    for (const lampId of graph.within(lamp, sighting.lookAheadMeters, towards).keys()) {
      if (lampId === lamp) continue;
      const list = this.claims.get(lampId);
      if (!list) continue;
      const kept = list.filter((c) => c.detection !== sighting.detection);
      if (kept.length === list.length) continue;
      if (kept.length > 0) this.claims.set(lampId, kept);
      else this.claims.delete(lampId);
      change.withdrawn.add(lampId);
    }
  }

  /** The one neighbour the person evidently came from, if there is exactly one. */
  private cameFrom(
    origin: string,
    detection: Detection,
    graph: PathGraph,
    speed: number,
  ): { lamp: string; sighting: Sighting } | undefined {
    let from: { lamp: string; sighting: Sighting } | undefined;
    for (const { to, meters } of graph.neighbours(origin)) {
      const sighting = this.lastSeen.get(to)?.[detection.mode];
      if (!sighting) continue;
      const window = (meters / (speed * SLOWEST_SHARE)) * 1000 + SLACK_MS;
      if (sighting.at <= detection.at && detection.at - sighting.at <= window) {
        if (from !== undefined) return undefined; // from several sides: light every way
        from = { lamp: to, sighting };
      }
    }
    return from;
  }

  /** The end of the hold in force at `now`, if any. */
  activeUntil(lampId: string, now: number): number | undefined {
    let until: number | undefined;
    for (const c of this.claims.get(lampId) ?? []) {
      if (c.from <= now && now < c.until && (until === undefined || c.until > until))
        until = c.until;
    }
    return until;
  }

  /** The latest end of any hold of the lamp (for the live view). */
  presenceUntil(lampId: string): number | undefined {
    return this.span(this.claims.get(lampId) ?? [])?.until;
  }

  /** Forgets holds that ended before `now`; returns the lamps whose hold lapsed. */
  expire(now: number, forgetAfterMs = 600_000): string[] {
    for (const [lampId, seen] of this.lastSeen) {
      const last = Math.max(seen.pedestrian?.at ?? 0, seen.cyclist?.at ?? 0);
      if (last < now - forgetAfterMs) this.lastSeen.delete(lampId);
    }
    const lapsed: string[] = [];
    for (const [lampId, list] of this.claims) {
      const kept = list.filter((c) => c.until > now);
      if (kept.length === list.length) continue;
      lapsed.push(lampId);
      if (kept.length > 0) this.claims.set(lampId, kept);
      else this.claims.delete(lampId);
    }
    return lapsed;
  }
}

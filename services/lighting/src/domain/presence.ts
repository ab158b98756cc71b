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
  pedestrian: LookAhead;
  cyclist: LookAhead;
}

/** How much slower than the profile's speed someone may move and still count as the same person. */
const SLOWEST_SHARE = 0.4;
/** Sensor timing slack, ms. */
const SLACK_MS = 3_000;

export class PresenceTracker {
  private readonly until = new Map<string, number>();
  private readonly lastSeen = new Map<string, Record<TravelMode, number>>();

  /**
   * Records a detection; returns the lamps it raised or extended (their hold ends later than
   * before), with the new end of their hold.
   */
  detect(
    detection: Detection,
    graph: PathGraph,
    settingsOf: (lampId: string) => PresenceSettings,
  ): Map<string, number> {
    const raised = new Map<string, number>();
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
        const end = detection.at + settings.holdMs + travelMs;
        if (end > (this.until.get(lampId) ?? Number.NEGATIVE_INFINITY)) {
          this.until.set(lampId, end);
          raised.set(lampId, end);
        }
      }
    }
    return raised;
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

  presenceUntil(lampId: string): number | undefined {
    return this.until.get(lampId);
  }

  /** Forgets holds that ended before `now`; returns the lamps whose hold lapsed. */
  expire(now: number, forgetAfterMs = 600_000): string[] {
    for (const [lampId, seen] of this.lastSeen) {
      if (Math.max(seen.pedestrian, seen.cyclist) < now - forgetAfterMs)
        this.lastSeen.delete(lampId);
    }
    const lapsed: string[] = [];
    for (const [lampId, end] of this.until) {
      if (end <= now) {
        this.until.delete(lampId);
        lapsed.push(lampId);
      }
    }
    return lapsed;
  }
}

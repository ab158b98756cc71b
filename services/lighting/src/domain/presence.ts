// Presence with look-ahead: a detection at a lamp raises every lamp within the look-ahead
// distance of the detected mode along the paths, and holds each for the profile's hold time
// plus the time the person needs to reach it — so the light is on before they arrive and
// stays on behind them for a while. Pure (state in memory, time passed in).
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

export class PresenceTracker {
  private readonly until = new Map<string, number>();

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
      for (const [lampId, meters] of graph.within(origin, ahead.distanceMeters)) {
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

  presenceUntil(lampId: string): number | undefined {
    return this.until.get(lampId);
  }

  /** Forgets holds that ended before `now`; returns the lamps whose hold lapsed. */
  expire(now: number): string[] {
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

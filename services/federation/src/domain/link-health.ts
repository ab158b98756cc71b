// The state of a federation link from periodic samples: down when the hub does not answer,
// stalled when a source has messages to move but has not moved for a while (the silent stall
// of sourced streams over leaf nodes), up otherwise. Pure; the watcher samples and publishes.
export type LinkState = 'up' | 'down' | 'stalled';

export interface SourceSample {
  /** Messages the origin holds (for this neighbour and stream). */
  origin: number;
  /** Messages the destination holds. */
  received: number;
}

export interface SourceStatus {
  lag: number;
  /** When `received` last changed (clock ms), or when watching began. */
  lastActivityAt: number;
  stalled: boolean;
}

/** Watches one source (one neighbour, one stream, one direction). */
export class SourceWatch {
  private received = -1;
  private lastMove = 0;
  /** Since when the source has had something to move (undefined: nothing to move). */
  private behindSince: number | undefined;

  constructor(private readonly stallAfterMs: number) {}

  /**
   * A source is stalled when it has been behind for `stallAfterMs` without moving: a lag that
   * appeared just now (the origin published since the last sample) is not a stall yet.
   */
  observe(sample: SourceSample, nowMs: number): SourceStatus {
    if (sample.received !== this.received) {
      this.received = sample.received;
      this.lastMove = nowMs;
    }
    const lag = Math.max(0, sample.origin - sample.received);
    if (lag === 0) this.behindSince = undefined;
    else this.behindSince ??= nowMs;
    const waiting =
      this.behindSince === undefined ? 0 : nowMs - Math.max(this.lastMove, this.behindSince);
    return {
      lag,
      lastActivityAt: this.lastMove,
      stalled: lag > 0 && waiting >= this.stallAfterMs,
    };
  }
}

/** The state of a neighbour's link from the hub's answer and its sources' statuses. */
export function linkState(hubUp: boolean, sources: readonly SourceStatus[]): LinkState {
  if (!hubUp) return 'down';
  return sources.some((s) => s.stalled) ? 'stalled' : 'up';
}

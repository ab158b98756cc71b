// Where the open aggregation windows of the "aggregated" shares live between a reading and the
// window's emission. The service keeps them in its database (store/window.repository.ts), so a
// restart loses none and a redelivered reading counts once; in memory for in-process tests of
// a region, which do not restart.
import {
  type AddOutcome,
  WindowAggregator,
  type WindowReading,
  type WindowSpec,
  type WindowValue,
} from './domain/aggregate.js';

export interface WindowStore {
  /**
   * Counts a reading once in its window: `duplicate` when its id was counted already, `late`
   * when the window was emitted.
   */
  add(spec: WindowSpec, reading: WindowReading & { id: string }): Promise<AddOutcome>;
  /**
   * Publishes every window closed at `nowMs` that is `ready`, oldest first, and only then
   * marks it emitted: a publish that fails leaves the window for the next call. Resolves with
   * how many went out.
   */
  emitClosed(
    nowMs: number,
    ready: (w: WindowValue) => boolean,
    publish: (w: WindowValue) => Promise<void>,
  ): Promise<number>;
  /** Forgets the open windows of shares no longer in the policy. */
  retain(streams: ReadonlySet<string>): Promise<void>;
}

export function memoryWindowStore(graceMs: number): WindowStore {
  const aggregator = new WindowAggregator(graceMs);
  return {
    add: async (spec, reading) => aggregator.add(spec, reading),
    async emitClosed(nowMs, ready, publish) {
      let n = 0;
      for (const w of aggregator.closed(nowMs)) {
        if (!ready(w)) continue;
        await publish(w);
        aggregator.markEmitted(w, nowMs);
        n++;
      }
      return n;
    },
    retain: async (streams) => aggregator.retain(streams),
  };
}

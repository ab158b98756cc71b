// Tumbling-window aggregation of readings into one value per (shared stream, key, metric,
// window): the "aggregated" granularity of a sharing policy. Pure; the caller adds readings
// and, on a timer, takes the windows that closed (window end + grace passed on its clock).
import type { AggregateFn } from './policy.js';

export interface WindowValue {
  readonly stream: string;
  readonly key: string;
  readonly metric: string;
  readonly unit: string;
  readonly fn: AggregateFn;
  readonly windowStart: number;
  readonly windowSeconds: number;
  readonly value: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

interface Open {
  stream: string;
  key: string;
  metric: string;
  unit: string;
  fn: AggregateFn;
  windowStart: number;
  windowSeconds: number;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** The start (ms) of the window of `windowSeconds` that holds `atMs` (aligned to the epoch). */
export function windowStart(atMs: number, windowSeconds: number): number {
  const w = windowSeconds * 1000;
  return Math.floor(atMs / w) * w;
}

export function aggregateValue(
  fn: AggregateFn,
  w: { count: number; sum: number; min: number; max: number },
) {
  switch (fn) {
    case 'avg':
      return w.sum / w.count;
    case 'sum':
      return w.sum;
    case 'count':
      return w.count;
    case 'min':
      return w.min;
    case 'max':
      return w.max;
  }
}

export class WindowAggregator {
  private readonly open = new Map<string, Open>();

  constructor(private readonly graceMs: number) {}

  /**
   * Adds a reading observed at `observedAtMs`; `late` when its window already closed at `nowMs`
   * (it was, or will never be, emitted: a value once shared is not revised).
   */
  add(
    spec: { stream: string; fn: AggregateFn; windowSeconds: number },
    reading: { key: string; metric: string; unit: string; observedAtMs: number; value: number },
    nowMs: number,
  ): 'added' | 'late' {
    const start = windowStart(reading.observedAtMs, spec.windowSeconds);
    if (start + spec.windowSeconds * 1000 + this.graceMs <= nowMs) return 'late';
    const id = `${spec.stream}\u0000${reading.key}\u0000${reading.metric}\u0000${start}`;
    const w = this.open.get(id);
    if (w) {
      w.count++;
      w.sum += reading.value;
      w.min = Math.min(w.min, reading.value);
      w.max = Math.max(w.max, reading.value);
    } else {
      this.open.set(id, {
        stream: spec.stream,
        key: reading.key,
        metric: reading.metric,
        unit: reading.unit,
        fn: spec.fn,
        windowStart: start,
        windowSeconds: spec.windowSeconds,
        count: 1,
        sum: reading.value,
        min: reading.value,
        max: reading.value,
      });
    }
    return 'added';
  }

  /** Removes and returns the windows closed at `nowMs`, oldest first. */
  takeClosed(nowMs: number): WindowValue[] {
    const closed: WindowValue[] = [];
    for (const [id, w] of this.open) {
      if (w.windowStart + w.windowSeconds * 1000 + this.graceMs <= nowMs) {
        this.open.delete(id);
        closed.push({ ...w, value: aggregateValue(w.fn, w) });
      }
    }
    return closed.sort((a, b) => a.windowStart - b.windowStart);
  }

  /** Windows still open (for metrics). */
  get openWindows(): number {
    return this.open.size;
  }

  /** Drops open windows of streams no longer in the policy. */
  retain(streams: ReadonlySet<string>): void {
    for (const [id, w] of this.open) if (!streams.has(w.stream)) this.open.delete(id);
  }
}

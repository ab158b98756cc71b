// Tumbling-window aggregation of readings into one value per (shared stream, key, metric,
// window): the "aggregated" granularity of a sharing policy. Pure; the caller adds readings
// and, on a timer, takes the windows that closed (window end + grace passed on its clock). A
// reading given an id counts once in its window however often it is added (redeliveries); a
// window once emitted takes no more readings (`late`: a value once shared is not revised).
import type { AggregateFn } from './policy.js';

export type AddOutcome = 'added' | 'late' | 'duplicate';

export interface WindowSpec {
  stream: string;
  fn: AggregateFn;
  windowSeconds: number;
}

export interface WindowReading {
  /** The reading's identity (device, metric, observed time): counted once per window. */
  id?: string;
  key: string;
  metric: string;
  unit: string;
  observedAtMs: number;
  value: number;
}

/** How long an emitted window is remembered (a reading for it is late, not a new window). */
export const REMEMBER_EMITTED_MS = 8 * 86_400_000;

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
  ids: Set<string>;
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

export const windowId = (stream: string, key: string, metric: string, start: number) =>
  `${stream}\u0000${key}\u0000${metric}\u0000${start}`;

export class WindowAggregator {
  private readonly open = new Map<string, Open>();
  /** Emitted windows by id, with their end: readings for them are late. */
  private readonly emitted = new Map<string, number>();

  constructor(private readonly graceMs: number) {}

  /**
   * Adds a reading observed at `observedAtMs`: `late` when its window was emitted already,
   * `duplicate` when a reading of the same id was counted in it. A window that closed but was
   * not emitted yet still takes it.
   */
  add(spec: WindowSpec, reading: WindowReading): AddOutcome {
    const start = windowStart(reading.observedAtMs, spec.windowSeconds);
    const id = windowId(spec.stream, reading.key, reading.metric, start);
    if (this.emitted.has(id)) return 'late';
    const w = this.open.get(id);
    if (w) {
      if (reading.id !== undefined) {
        if (w.ids.has(reading.id)) return 'duplicate';
        w.ids.add(reading.id);
      }
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
        ids: new Set(reading.id === undefined ? [] : [reading.id]),
      });
    }
    return 'added';
  }

  /** The windows closed at `nowMs` and not emitted yet, oldest first (left open). */
  closed(nowMs: number): WindowValue[] {
    const closed: WindowValue[] = [];
    for (const w of this.open.values()) {
      if (w.windowStart + w.windowSeconds * 1000 + this.graceMs <= nowMs) {
        const { ids: _ids, sum: _sum, ...value } = w;
        closed.push({ ...value, value: aggregateValue(w.fn, w) });
      }
    }
    return closed.sort((a, b) => a.windowStart - b.windowStart);
  }

  /** The window was shared: it takes no more readings. */
  markEmitted(w: WindowValue, nowMs: number): void {
    const id = windowId(w.stream, w.key, w.metric, w.windowStart);
    this.open.delete(id);
    this.emitted.set(id, w.windowStart + w.windowSeconds * 1000);
    for (const [other, end] of this.emitted)
      if (end < nowMs - REMEMBER_EMITTED_MS) this.emitted.delete(other);
  }

  /** Removes and returns the windows closed at `nowMs`, oldest first (emitted). */
  takeClosed(nowMs: number): WindowValue[] {
    const closed = this.closed(nowMs);
    for (const w of closed) this.markEmitted(w, nowMs);
    return closed;
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

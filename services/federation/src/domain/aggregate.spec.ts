import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowAggregator, windowStart } from './aggregate.js';

const spec = { stream: 's', fn: 'avg' as const, windowSeconds: 900 };
const T0 = Date.parse('2026-12-03T10:00:00.000Z');

describe('WindowAggregator', () => {
  it('emits one value per key and window once it closes (end + grace), never before', () => {
    const agg = new WindowAggregator(60_000);
    agg.add(spec, { key: 'a', metric: 'm', unit: 'm', observedAtMs: T0 + 1_000, value: 1 });
    agg.add(spec, { key: 'a', metric: 'm', unit: 'm', observedAtMs: T0 + 2_000, value: 3 });
    agg.add(spec, { key: 'b', metric: 'm', unit: 'm', observedAtMs: T0 + 2_000, value: 5 });
    expect(agg.takeClosed(T0 + 900_000 + 59_999)).toEqual([]);
    const closed = agg.takeClosed(T0 + 900_000 + 60_000);
    expect(closed.map((w) => [w.key, w.value, w.count, w.min, w.max])).toEqual([
      ['a', 2, 2, 1, 3],
      ['b', 5, 1, 5, 5],
    ]);
    expect(agg.takeClosed(T0 + 10_000_000)).toEqual([]);
    // Too late for a window already emitted.
    expect(agg.add(spec, { key: 'a', metric: 'm', unit: 'm', observedAtMs: T0, value: 1 })).toBe(
      'late',
    );
  });

  it('counts a reading once however often it comes (redelivery), by its id', () => {
    const agg = new WindowAggregator(60_000);
    const r = { id: 'wl:level:1', key: 'a', metric: 'm', unit: 'm', observedAtMs: T0, value: 1 };
    expect(agg.add(spec, r)).toBe('added');
    expect(agg.add(spec, r)).toBe('duplicate');
    expect(agg.add(spec, { ...r, id: 'wl:level:2', value: 3 })).toBe('added');
    expect(agg.takeClosed(T0 + 960_000).map((w) => [w.count, w.value])).toEqual([[2, 2]]);
  });

  it('a closed window takes readings until it is emitted, never after', () => {
    const agg = new WindowAggregator(60_000);
    const r = { key: 'a', metric: 'm', unit: 'm', observedAtMs: T0, value: 1 };
    const later = T0 + 2 * 960_000;
    expect(agg.add(spec, r)).toBe('added');
    expect(agg.closed(later).map((w) => w.count)).toEqual([1]);
    expect(agg.add(spec, { ...r, value: 3 })).toBe('added'); // closed, not emitted: counts
    const [w] = agg.closed(later);
    expect([w?.count, w?.value]).toEqual([2, 2]);
    agg.markEmitted(w!, later);
    expect(agg.add(spec, r)).toBe('late'); // a value once shared is not revised
    expect(agg.closed(later)).toEqual([]);
  });

  it('agrees with a direct computation for any readings, whatever the order (property)', () => {
    const fns = ['avg', 'sum', 'count', 'min', 'max'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...fns),
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c'),
            offset: fc.integer({ min: 0, max: 3 * 900_000 - 1 }),
            value: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
          }),
          { maxLength: 60 },
        ),
        (fn, readings) => {
          const agg = new WindowAggregator(0);
          for (const r of readings) {
            agg.add(
              { ...spec, fn },
              { key: r.key, metric: 'm', unit: 'm', observedAtMs: T0 + r.offset, value: r.value },
            );
          }
          const closed = agg.takeClosed(T0 + 10 * 900_000);
          const groups = new Map<string, number[]>();
          for (const r of readings) {
            const id = `${r.key}@${windowStart(T0 + r.offset, 900)}`;
            groups.set(id, [...(groups.get(id) ?? []), r.value]);
          }
          expect(closed).toHaveLength(groups.size);
          for (const w of closed) {
            const values = groups.get(`${w.key}@${w.windowStart}`) as number[];
            const sum = values.reduce((a, b) => a + b, 0);
            const expected = {
              avg: sum / values.length,
              sum,
              count: values.length,
              min: Math.min(...values),
              max: Math.max(...values),
            }[fn];
            expect(w.count).toBe(values.length);
            expect(w.value).toBeCloseTo(expected, 3);
          }
          expect(agg.openWindows).toBe(0);
        },
      ),
    );
  });
});

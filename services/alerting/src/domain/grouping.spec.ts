import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentHash, decideFlush, flushAfterChange } from './grouping.js';

const t = { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3_600_000 };

describe('group timing', () => {
  it('a new group waits group_wait; later changes wait for group_interval after the last flush', () => {
    expect(flushAfterChange({ lastFlushAt: null, nextFlushAt: null }, 1_000, t)).toBe(31_000);
    // A second alert during the wait does not push the flush back.
    expect(flushAfterChange({ lastFlushAt: null, nextFlushAt: 31_000 }, 20_000, t)).toBe(31_000);
    expect(flushAfterChange({ lastFlushAt: 31_000, nextFlushAt: null }, 40_000, t)).toBe(331_000);
    expect(flushAfterChange({ lastFlushAt: 31_000, nextFlushAt: null }, 400_000, t)).toBe(400_000);
  });
  it('sends on a change, repeats firing groups after repeat_interval, stays quiet otherwise', () => {
    const g = { lastFlushAt: 0, nextFlushAt: 0, lastHash: 'a:firing:0' };
    expect(
      decideFlush(g, 1_000, { hash: 'a:firing:0,b:firing:0', firing: 2, total: 2 }, t),
    ).toEqual({ send: true, nextFlushAt: 1_000 + t.repeatIntervalMs });
    expect(decideFlush(g, 1_000, { hash: 'a:firing:0', firing: 1, total: 1 }, t)).toEqual({
      send: false,
      nextFlushAt: t.repeatIntervalMs,
    });
    expect(
      decideFlush(g, t.repeatIntervalMs, { hash: 'a:firing:0', firing: 1, total: 1 }, t).send,
    ).toBe(true);
    expect(decideFlush(g, 1_000, { hash: 'a:resolved:0', firing: 0, total: 1 }, t)).toEqual({
      send: true,
      nextFlushAt: null,
    });
    expect(decideFlush(g, 1_000, { hash: '', firing: 0, total: 0 }, t)).toEqual({
      send: false,
      nextFlushAt: null,
    });
  });
  it('never more than one flush per group_interval after the first (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 50 }),
        (changes) => {
          let g = { lastFlushAt: null as number | null, nextFlushAt: null as number | null };
          const flushes: number[] = [];
          for (const at of [...changes].sort((a, b) => a - b)) {
            // Flush whatever is due before this change.
            if (g.nextFlushAt !== null && g.nextFlushAt <= at) {
              flushes.push(g.nextFlushAt);
              g = { lastFlushAt: g.nextFlushAt, nextFlushAt: null };
            }
            g.nextFlushAt = flushAfterChange(g, at, t);
          }
          for (let i = 1; i < flushes.length; i++)
            expect((flushes[i] as number) - (flushes[i - 1] as number)).toBeGreaterThanOrEqual(
              t.groupIntervalMs,
            );
        },
      ),
    );
  });
  it('content hashes name each alert once, acknowledged counting as firing', () => {
    expect(
      contentHash([
        { fingerprint: 'b', state: 'acknowledged' },
        { fingerprint: 'a', state: 'resolved' },
      ]),
    ).toBe('a:resolved:0,b:firing:0');
  });
});

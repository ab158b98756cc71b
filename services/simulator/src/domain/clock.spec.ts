import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextSequence, realIntervalMs, simTime } from './clock.js';

describe('simTime', () => {
  it('starts at the real start and runs speedup times faster', () => {
    const clock = { startMs: Date.UTC(2026, 10, 22, 9), speedup: 60 };
    expect(simTime(clock, clock.startMs)).toBe(clock.startMs);
    expect(simTime(clock, clock.startMs + 1_000)).toBe(clock.startMs + 60_000);
    expect(simTime(clock, clock.startMs + 24 * 60_000)).toBe(clock.startMs + 86_400_000);
  });
});

describe('realIntervalMs', () => {
  it('divides the interval by the speed-up, never below the minimum', () => {
    expect(realIntervalMs(900, 60, 1_000)).toBe(15_000);
    expect(realIntervalMs(60, 600, 1_000)).toBe(1_000);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 * 86_400 }),
        fc.double({ min: 0.01, max: 1e6, noNaN: true }),
        fc.integer({ min: 1, max: 10_000 }),
        (interval, speedup, min) => {
          const ms = realIntervalMs(interval, speedup, min);
          expect(ms).toBeGreaterThanOrEqual(min);
          const scaled = (interval * 1000) / speedup;
          expect(ms).toBe(Math.max(scaled, min));
        },
      ),
    );
  });
});

describe('nextSequence', () => {
  it('strictly increases and never falls behind the clock in seconds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }),
        fc.array(fc.integer({ min: 0, max: 120_000 }), { maxLength: 50 }),
        (start, steps) => {
          let now = start;
          let last = 0;
          for (const step of steps) {
            now += step;
            const next = nextSequence(last, now);
            expect(next).toBeGreaterThan(last);
            expect(next).toBeGreaterThanOrEqual(Math.floor(now / 1000));
            expect(next).toBeLessThan(2 ** 32);
            last = next;
          }
        },
      ),
    );
  });

  it('starts a restarted simulator above what an earlier run sent', () => {
    const t0 = Date.UTC(2026, 10, 22, 9);
    let last = 0;
    for (let i = 0; i < 100; i++) last = nextSequence(last, t0 + i * 1_000);
    expect(nextSequence(0, t0 + 101_000)).toBeGreaterThan(last);
  });
});

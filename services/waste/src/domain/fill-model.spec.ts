// The fill model on synthetic series whose true rate and rhythm are known: noise, a weekday
// pattern, emptying detection, and prediction of the time to a threshold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gaussian, seededRandom } from '../../test/support/random.js';
import {
  DEFAULT_FILL_SETTINGS,
  estimateAt,
  type FillState,
  newFillState,
  predictReach,
  type Slotter,
  updateFill,
} from './fill-model.js';

const HOUR = 3_600_000;
// Monday 2026-11-02 00:00 UTC; slots in UTC keep the test free of time zones.
const T0 = Date.parse('2026-11-02T00:00:00Z');
const utc: Slotter = (ms) => {
  const d = new Date(ms);
  return { weekday: d.getUTCDay(), hour: d.getUTCHours() };
};
const settings = { ...DEFAULT_FILL_SETTINGS, emptyDrop: 20 };

interface Series {
  state: FillState;
  emptyings: number[];
  truth: number;
}

/** Feeds hourly readings of a bin filling at `rateAt(t)` %/h with Gaussian noise; empties at `emptyAt`. */
function play(options: {
  hours: number;
  rateAt: (t: number) => number;
  noise: number;
  seed: number;
  emptyAt?: number;
}): Series {
  const r = seededRandom(options.seed);
  let truth = 5;
  let state: FillState | undefined;
  const emptyings: number[] = [];
  for (let h = 0; h <= options.hours; h++) {
    const t = T0 + h * HOUR;
    if (h > 0) truth = Math.min(100, truth + options.rateAt(t - HOUR / 2));
    if (options.emptyAt !== undefined && truth >= options.emptyAt) truth = 2;
    const measured = Math.max(0, Math.min(100, truth + options.noise * gaussian(r)));
    if (!state) {
      state = newFillState(t, measured, settings);
      continue;
    }
    const u = updateFill(state, t, measured, utc, settings);
    if (u.kind === 'stale') throw new Error('unexpected stale');
    if (u.kind === 'emptied') emptyings.push(t);
    state = u.state;
  }
  return { state: state as FillState, emptyings, truth };
}

describe('fill rate', () => {
  it('learns a constant rate through sensor noise, over a fortnight of fill cycles', () => {
    const { state, emptyings } = play({
      hours: 14 * 24,
      rateAt: () => 1.2,
      noise: 3,
      seed: 7,
      emptyAt: 85,
    });
    expect(emptyings.length).toBe(4);
    expect(state.base).toBeGreaterThan(1.2 * 0.9);
    expect(state.base).toBeLessThan(1.2 * 1.1);
  });

  it('predicts the time to the threshold within 10 % for a known rate, after a week of cycles', () => {
    for (const seed of [3, 4, 5]) {
      // 1.5 %/h, emptied at 85 %: the last emptying is at 166 h, then 24 h of filling.
      const { state, truth } = play({ hours: 190, rateAt: () => 1.5, noise: 2, seed, emptyAt: 85 });
      const now = T0 + 190 * HOUR;
      const remaining = ((80 - truth) / 1.5) * HOUR;
      const predicted = predictReach(state, 80, now, utc);
      expect(predicted).toBeDefined();
      expect(Math.abs((predicted as number) - now - remaining)).toBeLessThan(0.1 * remaining);
    }
  });

  it('learns a weekday pattern over weeks of cycles: weekends fill three times as fast', () => {
    const weekend = (t: number) => [0, 6].includes(new Date(t).getUTCDay());
    const { state, emptyings } = play({
      hours: 6 * 7 * 24,
      rateAt: (t) => (weekend(t) ? 1.5 : 0.5),
      noise: 2,
      seed: 11,
      emptyAt: 85,
    });
    expect(emptyings.length).toBeGreaterThan(5);
    const weekendFactor = ((state.day[0] ?? 0) + (state.day[6] ?? 0)) / 2;
    const weekdayFactor = [1, 2, 3, 4, 5].reduce((s, d) => s + (state.day[d] ?? 0), 0) / 5;
    expect(weekendFactor / weekdayFactor).toBeGreaterThan(2);
    // The forecast over a Saturday rises faster than over a Tuesday.
    const saturday = Date.parse('2026-12-12T00:00:00Z');
    const tuesday = Date.parse('2026-12-08T00:00:00Z');
    const rise = (from: number) =>
      estimateAt({ ...state, level: 0, lastAt: from }, from + 24 * HOUR, utc);
    expect(rise(saturday) / rise(tuesday)).toBeGreaterThan(2);
  });

  it('learns an hour-of-day rhythm: a lunchtime peak', () => {
    const lunch = (t: number) => {
      const h = new Date(t).getUTCHours();
      return h >= 11 && h < 14;
    };
    const { state } = play({
      hours: 4 * 7 * 24,
      rateAt: (t) => (lunch(t) ? 4 : 0.3),
      noise: 1.5,
      seed: 5,
      emptyAt: 85,
    });
    const peak = ((state.hour[11] ?? 0) + (state.hour[12] ?? 0) + (state.hour[13] ?? 0)) / 3;
    const night = ((state.hour[1] ?? 0) + (state.hour[2] ?? 0) + (state.hour[3] ?? 0)) / 3;
    expect(peak / night).toBeGreaterThan(4);
  });
});

describe('emptying', () => {
  it('is detected at each fall from the threshold, and only then', () => {
    const { emptyings } = play({ hours: 200, rateAt: () => 1, noise: 3, seed: 2, emptyAt: 80 });
    // 5 → 80 at 1 %/h: one emptying every ~78 hours.
    expect(emptyings.length).toBe(2);
  });

  it('never mistakes noise for an emptying (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 4, noNaN: true }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (rate, noise, seed) => {
          const { emptyings } = play({ hours: 72, rateAt: () => rate, noise, seed });
          return emptyings.length === 0;
        },
      ),
      { numRuns: 60 },
    );
  });

  it('starts a new cycle: the level follows the reading and the risk flag clears', () => {
    let s = newFillState(T0, 70, settings);
    s = { ...s, riskRaised: true };
    const u = updateFill(s, T0 + HOUR, 3, utc, settings);
    expect(u.kind).toBe('emptied');
    if (u.kind !== 'emptied') return;
    expect(u.fillBefore).toBe(70);
    expect(u.state).toMatchObject({ level: 3, riskRaised: false, lastEmptiedAt: T0 + HOUR });
  });
});

describe('invariants (properties)', () => {
  it('ignores readings not newer than the last, and keeps the level within 0-100', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dt: fc.integer({ min: -2 * HOUR, max: 6 * HOUR }),
            value: fc.double({ min: -10, max: 120, noNaN: true }),
          }),
          { minLength: 1, maxLength: 80 },
        ),
        (steps) => {
          let s = newFillState(T0, 10, settings);
          let t = T0;
          for (const step of steps) {
            t += step.dt;
            const u = updateFill(s, t, step.value, utc, settings);
            if (t <= s.lastAt) {
              if (u.kind !== 'stale') return false;
              continue;
            }
            if (u.kind === 'stale') return false;
            s = u.state;
            if (s.level < 0 || s.level > 100 || !(s.base >= 0)) return false;
            if (![...s.hour, ...s.day].every((f) => f > 0 && f <= 24)) return false;
          }
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('predicts later times for higher targets', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 60, noNaN: true }),
        fc.double({ min: 61, max: 100, noNaN: true }),
        (rate, low, high) => {
          const s = { ...newFillState(T0, 0, settings), base: rate };
          const a = predictReach(s, low, T0, utc);
          const b = predictReach(s, high, T0, utc);
          // Beyond the horizon both are unknown; a higher target is never reached sooner.
          if (a === undefined) return b === undefined;
          return b === undefined || b >= a;
        },
      ),
    );
  });
});

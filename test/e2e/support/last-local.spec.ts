import { localTime } from '@slimstad/kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lastLocal } from './city.js';

describe('lastLocal', () => {
  it('is the latest moment, at least the margin ago, at that local time on one of the weekdays', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 11, 31) }),
        fc.integer({ min: 0, max: 23 }),
        fc.subarray([0, 1, 2, 3, 4, 5, 6], { minLength: 1 }),
        (now, hour, weekdays) => {
          const hhmm = `${String(hour).padStart(2, '0')}:30`;
          const t = lastLocal(hhmm, weekdays, 3_600_000, now);
          const local = localTime(t, 'Europe/Brussels');
          expect(local.minuteOfDay).toBe(hour * 60 + 30);
          expect(weekdays).toContain(local.weekday);
          expect(t).toBeLessThanOrEqual(now - 3_600_000);
          // Nothing later qualifies: the same time a day later is past the margin or not allowed.
          const next = lastLocal(hhmm, [0, 1, 2, 3, 4, 5, 6], 0, now - 3_600_000);
          if (next > t) expect(weekdays).not.toContain(localTime(next, 'Europe/Brussels').weekday);
        },
      ),
      { numRuns: 30 },
    );
  });
});

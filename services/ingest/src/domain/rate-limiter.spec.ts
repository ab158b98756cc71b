import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows the burst, then the sustained rate', () => {
    const limiter = new RateLimiter(10, 5);
    const first = Array.from({ length: 8 }, () => limiter.take('d1', 0));
    expect(first).toEqual([true, true, true, true, true, false, false, false]);
    expect(limiter.take('d1', 100)).toBe(true); // one token refilled after 100 ms at 10/s
    expect(limiter.take('d1', 100)).toBe(false);
    expect(limiter.take('d2', 100)).toBe(true); // buckets are per device
  });

  it('never admits more than burst + rate × elapsed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }),
        (rate, burst, gaps) => {
          const limiter = new RateLimiter(rate, burst);
          let now = 0;
          let admitted = 0;
          for (const gap of gaps) {
            now += gap;
            if (limiter.take('d', now)) admitted++;
          }
          expect(admitted).toBeLessThanOrEqual(burst + Math.floor((rate * now) / 1000) + 1);
        },
      ),
    );
  });
});

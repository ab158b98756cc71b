import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './decision.js';

describe('backoffDelay', () => {
  const options = { initialMs: 100, maxMs: 10_000 };

  it('stays within ±20 % of initial × 2^(n-1), capped at the maximum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const delay = backoffDelay(n, options, () => r);
          const base = Math.min(options.maxMs, options.initialMs * 2 ** (n - 1));
          expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
          expect(delay).toBeLessThanOrEqual(Math.min(options.maxMs, Math.ceil(base * 1.2)));
        },
      ),
    );
  });

  it('never shrinks as deliveries grow (for the same jitter)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          expect(backoffDelay(n + 1, options, () => r)).toBeGreaterThanOrEqual(
            backoffDelay(n, options, () => r),
          );
        },
      ),
    );
  });
});

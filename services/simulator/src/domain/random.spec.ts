import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom, hash32, valueNoise } from './random.js';

describe('createRandom', () => {
  it('repeats its sequence for the same seed and stays in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const a = createRandom(seed);
        const b = createRandom(seed);
        for (let i = 0; i < 20; i++) {
          const x = a.next();
          expect(x).toBe(b.next());
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThan(1);
        }
      }),
    );
  });

  it('gives normals with mean ~0 and deviation ~1', () => {
    const random = createRandom(7);
    const xs = Array.from({ length: 20_000 }, () => random.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});

describe('hash32', () => {
  it('is stable and tells devices apart', () => {
    expect(hash32(1, 'wl-haverwerf')).toBe(hash32(1, 'wl-haverwerf'));
    expect(hash32(1, 'wl-haverwerf')).not.toBe(hash32(1, 'wl-zoutwerf'));
    expect(hash32(1, 'wl-haverwerf')).not.toBe(hash32(2, 'wl-haverwerf'));
  });
});

describe('valueNoise', () => {
  it('is in [0, 1), the same for the same input, and continuous', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        (seed, x) => {
          const v = valueNoise(seed, x);
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThan(1);
          expect(valueNoise(seed, x)).toBe(v);
          expect(Math.abs(valueNoise(seed, x + 1e-4) - v)).toBeLessThan(1e-2);
        },
      ),
    );
  });
});

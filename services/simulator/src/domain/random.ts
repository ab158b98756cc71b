// Seeded randomness, so a demo run (and every test) can be repeated exactly: a small PRNG
// (mulberry32), a string hash to derive one stream per device, and smooth value noise for
// things the whole town shares (the weather). Pure: no clock, no Math.random.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  /** Standard normal (mean 0, deviation 1). */
  normal(): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
}

/** A PRNG (mulberry32) from a 32-bit seed; the same seed gives the same sequence. */
export function createRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    between: (min, max) => min + (max - min) * next(),
    normal: () => {
      // Box-Muller; 1 - next() keeps the logarithm away from 0.
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    chance: (p) => next() < p,
  };
}

/** FNV-1a over the parts' text: a stable 32-bit seed, e.g. `hash32(seed, deviceId)`. */
export function hash32(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const char of parts.join('\u0000')) {
    h ^= char.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Smooth 1-D value noise in [0, 1): random values at whole `x`, blended with a smoothstep in
 * between. The same (seed, x) always gives the same value, so every device asking about the
 * same moment sees the same shower.
 */
export function valueNoise(seed: number, x: number): number {
  const i = Math.floor(x);
  const f = x - i;
  const at = (n: number) => createRandom(hash32(seed, n)).next();
  const s = f * f * (3 - 2 * f);
  return at(i) * (1 - s) + at(i + 1) * s;
}

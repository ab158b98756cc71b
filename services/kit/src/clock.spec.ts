import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  clockConfigShape,
  clockFromConfig,
  ManualClock,
  realDelay,
  scaledClock,
  systemClock,
} from './clock.js';

describe('scaledClock', () => {
  it('reads the start at the anchor and runs speed times faster', () => {
    let real = 1_000_000;
    const clock = scaledClock({
      startMs: Date.parse('2026-11-23T17:00:00Z'),
      speed: 60,
      anchorRealMs: 1_000_000,
      realNow: () => real,
    });
    expect(new Date(clock.now()).toISOString()).toBe('2026-11-23T17:00:00.000Z');
    real += 60_000; // one real minute = one simulated hour
    expect(new Date(clock.now()).toISOString()).toBe('2026-11-23T18:00:00.000Z');
    expect(realDelay(clock, 3_600_000)).toBe(60_000);
  });

  it('refuses a speed that is not positive', () => {
    expect(() => scaledClock({ startMs: 0, speed: 0, anchorRealMs: 0 })).toThrow(/speed/);
  });
});

describe('ManualClock', () => {
  it('moves only when told', () => {
    const clock = new ManualClock(5);
    expect(clock.now()).toBe(5);
    expect(clock.advance(10)).toBe(15);
    clock.set(2);
    expect(clock.now()).toBe(2);
  });
});

describe('clockFromConfig', () => {
  const schema = z.object(clockConfigShape);

  it('is the system clock when nothing is set', () => {
    expect(clockFromConfig(schema.parse({}))).toBe(systemClock);
  });

  it('runs from CLOCK_START at CLOCK_SPEED from the shared anchor', () => {
    const anchor = Date.now() - 1_000;
    const clock = clockFromConfig(
      schema.parse({
        CLOCK_START: '2026-11-23T17:00:00Z',
        CLOCK_SPEED: '120',
        CLOCK_ANCHOR_MS: String(anchor),
      }),
    );
    const elapsed = clock.now() - Date.parse('2026-11-23T17:00:00Z');
    expect(elapsed).toBeGreaterThanOrEqual(120_000);
    expect(elapsed).toBeLessThan(240_000);
  });

  it('names a malformed start', () => {
    const result = schema.safeParse({ CLOCK_START: 'tonight' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(/ISO 8601/);
  });
});

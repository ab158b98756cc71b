import { describe, expect, it } from 'vitest';
import { assessFeedback, healthChange, powerMismatch } from './lamp-health.js';

const lamp = { ratedPowerWatts: 80 };

describe('lamp health', () => {
  it('accepts a draw close to the rated power scaled by the level', () => {
    expect(powerMismatch(lamp, 50, 40)).toBeUndefined();
    expect(powerMismatch(lamp, 50, 49)).toBeUndefined(); // within 25 %
    expect(powerMismatch(lamp, 0, 0.5)).toBeUndefined(); // standby
  });

  it('names a lamp that draws nothing at a level, or burns when off', () => {
    expect(powerMismatch(lamp, 80, 1)).toBe('draws 1.0 W at 80 %, expected 64.0 W ± 16.0 W');
    expect(powerMismatch(lamp, 0, 40)).toMatch(/draws 40.0 W at 0 %/);
  });

  it('puts reported failure flags before the power check', () => {
    expect(assessFeedback(lamp, { actualLevel: 50, powerWatts: 40, failures: ['driver'] })).toEqual(
      {
        status: 'failed',
        reason: 'reported_failure',
        detail: 'controller reports driver',
      },
    );
    expect(assessFeedback(lamp, { actualLevel: 50, powerWatts: 0, failures: [] })).toMatchObject({
      reason: 'power_mismatch',
    });
    expect(assessFeedback(lamp, { actualLevel: 50, powerWatts: 41, failures: [] })).toEqual({
      status: 'ok',
    });
  });

  it('announces failures and recoveries once', () => {
    const ok = { status: 'ok' as const };
    const failed = { status: 'failed' as const, reason: 'power_mismatch' as const, detail: 'x' };
    expect(healthChange(ok, ok)).toBeUndefined();
    expect(healthChange(ok, failed)).toEqual({ kind: 'failed', health: failed });
    expect(healthChange(failed, { ...failed, detail: 'y' })).toBeUndefined();
    expect(healthChange(failed, { ...failed, reason: 'reported_failure' })).toMatchObject({
      kind: 'failed',
    });
    expect(healthChange(failed, ok)).toEqual({ kind: 'recovered', previous: 'power_mismatch' });
  });
});

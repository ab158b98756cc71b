// Whether a lamp works: it answers commands, raises no failure flag, and draws the power its
// level implies. Transitions between OK and a failure are what the service announces
// (LampFailed, LampRecovered). Pure.
import type { LampSpec } from './model.js';

export type FailureReason = 'unreachable' | 'power_mismatch' | 'reported_failure';

export interface LampHealth {
  status: 'ok' | 'unreachable' | 'failed';
  reason?: FailureReason;
  detail?: string;
}

export interface PowerTolerance {
  /** Allowed deviation as a share of the expected draw (e.g. 0.25). */
  relative: number;
  /** Allowed deviation in watts at any level (standby, metering noise). */
  absoluteWatts: number;
}

export const DEFAULT_POWER_TOLERANCE: PowerTolerance = { relative: 0.25, absoluteWatts: 3 };

/** The draw a lamp should have at a level: rated power scaled linearly (LED drivers are close). */
export function expectedPowerWatts(lamp: Pick<LampSpec, 'ratedPowerWatts'>, level: number): number {
  return (lamp.ratedPowerWatts * level) / 100;
}

/** Why the metered power does not fit the reported level, or undefined if it does. */
export function powerMismatch(
  lamp: Pick<LampSpec, 'ratedPowerWatts'>,
  level: number,
  powerWatts: number,
  tolerance: PowerTolerance = DEFAULT_POWER_TOLERANCE,
): string | undefined {
  const expected = expectedPowerWatts(lamp, level);
  const allowed = Math.max(tolerance.absoluteWatts, expected * tolerance.relative);
  if (Math.abs(powerWatts - expected) <= allowed) return undefined;
  return `draws ${powerWatts.toFixed(1)} W at ${level} %, expected ${expected.toFixed(1)} W ± ${allowed.toFixed(1)} W`;
}

/** The health a controller's feedback shows: failure flags first, then the power check. */
export function assessFeedback(
  lamp: Pick<LampSpec, 'ratedPowerWatts'>,
  feedback: { actualLevel: number; powerWatts: number; failures: readonly string[] },
  tolerance?: PowerTolerance,
): LampHealth {
  if (feedback.failures.length > 0) {
    return {
      status: 'failed',
      reason: 'reported_failure',
      detail: `controller reports ${feedback.failures.join(', ')}`,
    };
  }
  const mismatch = powerMismatch(lamp, feedback.actualLevel, feedback.powerWatts, tolerance);
  if (mismatch) return { status: 'failed', reason: 'power_mismatch', detail: mismatch };
  return { status: 'ok' };
}

export type HealthChange =
  | { kind: 'failed'; health: LampHealth }
  | { kind: 'recovered'; previous: FailureReason }
  | undefined;

/**
 * What changed between two healths: a failure (new or with another reason) or a recovery.
 * Feedback never clears "unreachable" (only an acknowledgement does), and an acknowledgement
 * never clears "failed" (only healthy feedback does).
 */
export function healthChange(before: LampHealth, after: LampHealth): HealthChange {
  if (after.status === 'ok') {
    return before.status === 'ok'
      ? undefined
      : { kind: 'recovered', previous: before.reason ?? 'unreachable' };
  }
  if (before.status === after.status && before.reason === after.reason) return undefined;
  return { kind: 'failed', health: after };
}

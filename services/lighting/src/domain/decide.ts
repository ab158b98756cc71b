// The level a lamp should have now: an override first, then the calendar, daylight, a curfew,
// and at night presence or the base level; always 0 (off) or between the lamp's minimum and
// 100 %. Pure.
import type { LampSpec, LevelSource, OverrideRule } from './model.js';
import type { ZoneMode } from './schedule.js';

export interface LampDecision {
  level: number;
  source: LevelSource;
  overrideId?: string;
}

/** 0 stays off; anything else is lifted to the driver's minimum and capped at 100. */
export function clampLevel(level: number, minLevel: number): number {
  if (!(level > 0)) return 0;
  return Math.min(100, Math.max(Math.round(level), Math.min(100, Math.max(0, minLevel))));
}

/** Whether an override is in force at `now` (started, not expired, not cleared). */
export function overrideActive(override: OverrideRule, now: number): boolean {
  return (
    override.startMs <= now &&
    now < override.endMs &&
    (override.clearedAtMs === undefined || override.clearedAtMs > now)
  );
}

/**
 * The override that governs a lamp: the most recent one in force on the lamp itself, else the
 * most recent one in force on its zone.
 */
export function governingOverride(
  lamp: Pick<LampSpec, 'id' | 'zoneId'>,
  overrides: readonly OverrideRule[],
  now: number,
): OverrideRule | undefined {
  let onLamp: OverrideRule | undefined;
  let onZone: OverrideRule | undefined;
  for (const o of overrides) {
    if (o.zoneId !== lamp.zoneId || !overrideActive(o, now)) continue;
    if (o.lampId === lamp.id) {
      if (!onLamp || o.startMs >= onLamp.startMs) onLamp = o;
    } else if (o.lampId === undefined) {
      if (!onZone || o.startMs >= onZone.startMs) onZone = o;
    }
  }
  return onLamp ?? onZone;
}

export function decideLamp(input: {
  lamp: Pick<LampSpec, 'id' | 'zoneId' | 'minLevel'>;
  mode: ZoneMode;
  /** Until when presence holds this lamp up (ms), if at all. */
  presenceUntil: number | undefined;
  overrides: readonly OverrideRule[];
  now: number;
}): LampDecision {
  const { lamp, mode, presenceUntil, now } = input;
  const clamp = (level: number) => clampLevel(level, lamp.minLevel);
  const override = governingOverride(lamp, input.overrides, now);
  if (override)
    return { level: clamp(override.level), source: 'override', overrideId: override.id };
  switch (mode.kind) {
    case 'event':
    case 'special':
      return { level: clamp(mode.level), source: 'calendar' };
    case 'day':
      return { level: 0, source: 'daylight' };
    case 'night': {
      if (mode.curfew && !mode.curfew.exceptLampIds.includes(lamp.id)) {
        return { level: clamp(mode.curfew.level), source: 'curfew' };
      }
      if (presenceUntil !== undefined && presenceUntil > now) {
        return { level: clamp(mode.levels.presenceLevel), source: 'presence' };
      }
      return { level: clamp(mode.levels.baseLevel), source: 'schedule' };
    }
  }
}

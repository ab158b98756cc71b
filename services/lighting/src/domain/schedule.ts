// What a zone's profile asks for at an instant, before presence and overrides: daylight,
// the night's levels (weekday or weekend), a curfew, a special date or an event. Pure.
import { isWeekendNight, nightMinute, nightTime } from './local-time.js';
import type { CurfewRule, LevelSet, Profile, ZoneSpec } from './model.js';
import { nightWindow } from './sun.js';

export type ZoneMode =
  /** An event interval: a fixed level, day or night. */
  | { kind: 'event'; level: number; name: string }
  /** Between dawn and dusk. */
  | { kind: 'day'; nightDate: string }
  /** A special date: a fixed level all night. */
  | { kind: 'special'; level: number; name: string; nightDate: string }
  /** An ordinary night, perhaps inside a curfew. */
  | { kind: 'night'; nightDate: string; levels: LevelSet; curfew?: CurfewRule };

export function zoneMode(now: number, zone: ZoneSpec, profile: Profile): ZoneMode {
  for (const event of profile.events) {
    if (event.startMs <= now && now < event.endMs) {
      return { kind: 'event', level: event.level, name: event.name };
    }
  }
  const night = nightTime(now, zone.timeZone);
  const window = nightWindow(night.nightDate, zone.location, profile);
  if (now < window.startMs || now >= window.endMs)
    return { kind: 'day', nightDate: night.nightDate };

  const special = profile.specialDates.find((d) => d.date === night.nightDate);
  if (special) {
    return {
      kind: 'special',
      level: special.level,
      name: special.name,
      nightDate: night.nightDate,
    };
  }
  const weekend = isWeekendNight(night.nightWeekday);
  const levels = weekend && profile.weekend ? profile.weekend : profile.weekday;
  const curfew = profile.curfews.find((c) => curfewCovers(c, night, weekend));
  return { kind: 'night', nightDate: night.nightDate, levels, curfew };
}

function curfewCovers(
  curfew: CurfewRule,
  night: { nightDate: string; nightMinute: number },
  weekend: boolean,
): boolean {
  if (curfew.nights === 'weekday' && weekend) return false;
  if (curfew.nights === 'weekend' && !weekend) return false;
  if (curfew.exceptDates.includes(night.nightDate)) return false;
  const start = nightMinute(curfew.start);
  const end = nightMinute(curfew.end);
  if (start === undefined || end === undefined) return false;
  return start <= night.nightMinute && night.nightMinute < end;
}

/** Whether the zone is in its night (dusk to dawn) at `now`, whatever the calendar says. */
export function isNight(now: number, zone: ZoneSpec, profile: Profile): boolean {
  const night = nightTime(now, zone.timeZone);
  const window = nightWindow(night.nightDate, zone.location, profile);
  return window.startMs <= now && now < window.endMs;
}

// The "operating night" in a zone's local time: a night belongs to the local date of its
// evening, so 02:00 on Saturday is still Friday's night. Pure.
import { addDays, localTime } from '@slimstad/kit';

export { addDays, isDate, isTimeZone, localTime } from '@slimstad/kit';

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Minutes after the evening's local noon of a local `HH:MM`: times from 12:00 belong to the
 * evening (0-719), times before 12:00 to the morning after (720-1439). Undefined if malformed.
 */
export function nightMinute(hhmm: string): number | undefined {
  const m = HHMM.exec(hhmm);
  if (!m) return undefined;
  const minute = Number(m[1]) * 60 + Number(m[2]);
  return minute >= 720 ? minute - 720 : minute + 720;
}

export interface NightTime {
  /** Local date of the evening this instant's night belongs to. */
  nightDate: string;
  /** Weekday of nightDate (0 = Sunday). */
  nightWeekday: number;
  /** Minutes since that evening's local noon (0-1439). */
  nightMinute: number;
}

/** The operating night of an instant: before local noon it is the previous evening's night. */
export function nightTime(ms: number, timeZone: string): NightTime {
  const local = localTime(ms, timeZone);
  if (local.minuteOfDay >= 720) {
    return {
      nightDate: local.date,
      nightWeekday: local.weekday,
      nightMinute: local.minuteOfDay - 720,
    };
  }
  return {
    nightDate: addDays(local.date, -1),
    nightWeekday: (local.weekday + 6) % 7,
    nightMinute: local.minuteOfDay + 720,
  };
}

/** Friday and Saturday nights are weekend nights. */
export function isWeekendNight(nightWeekday: number): boolean {
  return nightWeekday === 5 || nightWeekday === 6;
}

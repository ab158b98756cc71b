// Local calendar time in a zone's IANA time zone, and the "operating night": a night belongs
// to the local date of its evening, so 02:00 on Saturday is still Friday's night. Pure.

export interface LocalTime {
  /** `YYYY-MM-DD`. */
  date: string;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Minutes since local midnight, 0-1439 (fractional seconds dropped). */
  minuteOfDay: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function localTime(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) parts[part.type] = part.value;
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  return {
    date,
    weekday: new Date(`${date}T00:00:00Z`).getUTCDay(),
    minuteOfDay: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** `YYYY-MM-DD` plus `days` (calendar arithmetic, no time zone involved). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `value` is a real calendar date `YYYY-MM-DD`. */
export function isDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

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

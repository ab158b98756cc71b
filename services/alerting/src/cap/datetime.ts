// CAP 1.2 date-times (§3.3.2): `YYYY-MM-DDThh:mm:ss±hh:mm` — seconds, no fractions, an explicit
// offset; the letter `Z` is not allowed and UTC is written `-00:00`. Messages are sent in the
// city's own time zone so people read local times. Pure.

import { utcOffsetMinutes } from '@slimstad/kit/local-time';

const CAP_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})([-+])(\d{2}):(\d{2})$/;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * `date` as a CAP date-time in `timeZone` (an IANA zone, default UTC), e.g.
 * `2026-12-03T14:05:00+01:00`; UTC gives `…-00:00`. Fractional seconds are dropped.
 */
export function formatCapDateTime(date: Date, timeZone = 'UTC'): string {
  if (Number.isNaN(date.getTime())) throw new Error('invalid date');
  const whole = Math.floor(date.getTime() / 1000) * 1000;
  const offsetMin = utcOffsetMinutes(whole, timeZone);
  // The local wall-clock time, read through UTC getters of the shifted instant.
  const local = new Date(whole + offsetMin * 60_000);
  const sign = offsetMin > 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  const ymd = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const hms = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  return `${ymd}T${hms}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Whether `text` is a CAP date-time (right shape, a real calendar date and time). */
export function isCapDateTime(text: string): boolean {
  const m = CAP_DATETIME.exec(text);
  if (!m) return false;
  const [y, mo, d, h, mi, s, , oh, om] = m.slice(1).map(Number) as number[];
  const day = new Date(Date.UTC(y!, mo! - 1, d!));
  return (
    day.getUTCMonth() === mo! - 1 &&
    day.getUTCDate() === d! &&
    h! < 24 &&
    mi! < 60 &&
    s! < 60 &&
    oh! < 24 &&
    om! < 60
  );
}

/** The instant a CAP date-time denotes; throws naming `field` when it is not one. */
export function parseCapDateTime(text: string, field = 'dateTime'): Date {
  if (!isCapDateTime(text)) {
    throw new Error(
      `${field}: ${JSON.stringify(text)} is not a CAP date-time (YYYY-MM-DDThh:mm:ss±hh:mm)`,
    );
  }
  return new Date(text);
}

// The town's rhythms as pure functions of (simulated) time: local clock time, how busy the
// streets are, the tide in the river, the sun and the weather. Device models combine them
// with per-device noise. No I/O; the time zone data comes from Intl.
import { valueNoise } from './random.js';

export interface LocalTime {
  /** Hour of the day with fraction, 0 <= hour < 24. */
  hour: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Day of the year, 1-366 (UTC). */
  dayOfYear: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock time at `ms` in `timeZone` (an IANA name such as Europe/Brussels). */
export function localTime(ms: number, timeZone: string): LocalTime {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
  const hour = (Number(parts.hour) % 24) + Number(parts.minute) / 60 + Number(parts.second) / 3600;
  const date = new Date(ms);
  const dayOfYear = Math.floor((ms - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  return { hour, weekday: WEEKDAYS.indexOf(parts.weekday ?? 'Sun'), dayOfYear };
}

/** A bell around `centre` hours, `width` hours wide (one standard deviation). */
const bump = (hour: number, centre: number, width: number) =>
  Math.exp(-0.5 * ((hour - centre) / width) ** 2);

const isWeekend = (t: LocalTime) => t.weekday === 0 || t.weekday === 6;

/**
 * People on a shopping street, relative to a weekday's peak (about 1): quiet at night, a
 * commute bump, the lunch-time and afternoon shopping peaks; busier on Saturday, quiet on
 * Sunday.
 */
export function pedestrianActivity(t: LocalTime): number {
  const h = t.hour;
  const shape =
    0.02 +
    0.15 * bump(h, 8.5, 0.9) +
    0.75 * bump(h, 13, 2.3) +
    0.6 * bump(h, 16.5, 1.6) +
    0.15 * bump(h, 20, 1.5);
  const day = t.weekday === 6 ? 1.25 : t.weekday === 0 ? 0.55 : 1;
  return shape * day;
}

/**
 * People on a park's paths, relative to a fine weekend afternoon (about 1): joggers and people
 * cutting through on their way to work, lunch-time and afternoon strollers (many more at the
 * weekend), the evening dog walk, and at any hour of the night a few who take the short cut.
 */
export function parkActivity(t: LocalTime): number {
  const h = t.hour;
  const weekend = isWeekend(t);
  return (
    0.02 +
    (weekend ? 0.1 : 0.25) * bump(h, 8, 1) +
    (weekend ? 0.9 : 0.45) * bump(h, 15, 2.5) +
    0.3 * bump(h, 21.5, 1.2)
  );
}

/**
 * Terraces, restaurants and bars on a square, relative to a Saturday evening (about 1): a
 * little at lunch, then from the early evening until midnight, and on Friday and Saturday
 * nights until about half past two. Hours after midnight belong to the evening before.
 */
export function nightlifeActivity(t: LocalTime): number {
  const h = t.hour;
  const evening = h >= 12 ? h : h + 24;
  const eveningWeekday = h >= 12 ? t.weekday : (t.weekday + 6) % 7;
  const weekendNight = eveningWeekday === 5 || eveningWeekday === 6;
  const closing = weekendNight ? 26.5 : 24;
  const open = 1 / (1 + Math.exp(-2 * (evening - 18.5)));
  const closed = 1 / (1 + Math.exp(2 * (evening - closing)));
  return 0.15 * bump(h, 13, 1.5) + (weekendNight ? 1 : 0.6) * open * closed;
}

/** Cyclists: sharp commute peaks on weekdays, one broad afternoon hump at the weekend. */
export function cyclingActivity(t: LocalTime): number {
  const h = t.hour;
  if (isWeekend(t)) return 0.03 + 0.5 * bump(h, 14, 3);
  return (
    0.02 +
    0.85 * bump(h, 8.1, 0.7) +
    0.7 * bump(h, 17.4, 1) +
    0.35 * bump(h, 12.5, 2.5) +
    0.1 * bump(h, 21, 1.5)
  );
}

/** Motor traffic on the ring around the centre (drives NO2 and noise), 0.1 at night. */
export function trafficActivity(t: LocalTime): number {
  const h = t.hour;
  if (isWeekend(t)) return 0.1 + 0.45 * bump(h, 14, 3.5);
  return 0.1 + 0.8 * bump(h, 8, 1.1) + 0.7 * bump(h, 17.3, 1.4) + 0.4 * bump(h, 13, 3);
}

export interface TideParams {
  /** Mean water level, metres above the gauge's datum. */
  meanM: number;
  /** Amplitude of the main (M2) tide, metres. */
  amplitudeM: number;
  /** Hours by which high water lags the reference. */
  phaseHours: number;
}

/** Period of the principal lunar semi-diurnal tide (M2), hours. */
export const M2_HOURS = 12.4206;

/**
 * Water level of a tidal river: the M2 tide, the solar S2 tide (their beat gives spring and
 * neap tides every ~14.8 days) and the M4 overtide that makes the flood shorter than the ebb,
 * as upstream in an estuary. Stays within mean ± 1.37 × amplitude.
 */
export function tideLevel(simMs: number, p: TideParams): number {
  const hours = simMs / 3_600_000 - p.phaseHours;
  const m2 = Math.cos((2 * Math.PI * hours) / M2_HOURS);
  const s2 = Math.cos((2 * Math.PI * hours) / 12);
  const m4 = Math.cos((4 * Math.PI * hours) / M2_HOURS + 1);
  return p.meanM + p.amplitudeM * (m2 + 0.25 * s2 + 0.12 * m4);
}

/** River water temperature over the year: about 5 °C late January, 19 °C late July. */
export function waterTemperature(t: LocalTime): number {
  return 12 - 7 * Math.cos((2 * Math.PI * (t.dayOfYear - 25)) / 365.25);
}

/**
 * Rain intensity over the town in mm/h: showers (hours) inside wet and dry spells (days), the
 * same for every gauge at the same moment. About 7 % of hours are wet and a year brings some
 * 900 mm, as in Flanders; showers reach a few mm/h.
 */
export function rainIntensity(simMs: number, seed: number): number {
  const hours = simMs / 3_600_000;
  const wetSpell = valueNoise(seed, hours / 36);
  const shower = valueNoise(seed ^ 0x9e3779b9, hours / 2.5);
  return 60 * Math.max(0, shower - (1 - 0.25 * wetSpell)) ** 1.5;
}

const RAD = Math.PI / 180;

/**
 * Elevation of the sun above the horizon in degrees at `ms` for a place (low-precision
 * astronomical almanac formulas; good to a few tenths of a degree, plenty for street lamps).
 */
export function sunElevation(ms: number, latitude: number, longitude: number): number {
  const d = (ms - 946_728_000_000) / 86_400_000; // days since J2000.0 (2000-01-01T12:00Z)
  const meanLongitude = (280.46 + 0.9856474 * d) % 360;
  const meanAnomaly = ((357.528 + 0.9856003 * d) % 360) * RAD;
  const eclipticLongitude =
    (meanLongitude + 1.915 * Math.sin(meanAnomaly) + 0.02 * Math.sin(2 * meanAnomaly)) * RAD;
  const obliquity = (23.439 - 0.0000004 * d) * RAD;
  const rightAscension = Math.atan2(
    Math.cos(obliquity) * Math.sin(eclipticLongitude),
    Math.cos(eclipticLongitude),
  );
  const declination = Math.asin(Math.sin(obliquity) * Math.sin(eclipticLongitude));
  const siderealDegrees = (280.46061837 + 360.98564736629 * d + longitude) % 360;
  const hourAngle = siderealDegrees * RAD - rightAscension;
  const phi = latitude * RAD;
  const sinElevation =
    Math.sin(phi) * Math.sin(declination) +
    Math.cos(phi) * Math.cos(declination) * Math.cos(hourAngle);
  return Math.asin(Math.max(-1, Math.min(1, sinElevation))) / RAD;
}

/**
 * What a street lamp's controller does on its own schedule: off while the sun is up (above
 * -1°, a little after sunset), full from dusk to 23:00 and from 06:00 to dawn, dimmed to 40 %
 * in between. Presence-based brightening is the lighting service's job, not the lamp's.
 */
export function lampDimLevel(sunElevationDeg: number, t: LocalTime): number {
  if (sunElevationDeg > -1) return 0;
  return t.hour >= 23 || t.hour < 6 ? 40 : 100;
}

/** Retractable bollards of the pedestrian zone: lowered for deliveries 06:00-11:00. */
export function deliveryWindow(t: LocalTime): boolean {
  return t.hour >= 6 && t.hour < 11;
}

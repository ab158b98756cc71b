// The astronomical clock: when a zone's night begins and ends, from the sun's position at the
// zone's coordinates (suncalc), with the profile's offsets. Pure.
import SunCalc from 'suncalc';
import { addDays } from './local-time.js';
import type { GeoPoint } from './model.js';

/** Sunset on the local date `date` and sunrise on the morning after, ms since the epoch. */
export function sunsetAndSunrise(
  date: string,
  location: GeoPoint,
): { sunsetMs: number; sunriseMs: number } {
  // suncalc computes the solar day around the instant given; local solar noon of each date
  // (12:00 UTC shifted by the longitude) picks the right day anywhere on earth.
  const solarNoon = (d: string) =>
    Date.parse(`${d}T12:00:00Z`) - (location.longitude / 15) * 3_600_000;
  const evening = SunCalc.getTimes(
    new Date(solarNoon(date)),
    location.latitude,
    location.longitude,
  );
  const morning = SunCalc.getTimes(
    new Date(solarNoon(addDays(date, 1))),
    location.latitude,
    location.longitude,
  );
  return { sunsetMs: evening.sunset.getTime(), sunriseMs: morning.sunrise.getTime() };
}

export interface NightWindow {
  /** Dusk (sunset + offset): the night starts. */
  startMs: number;
  /** Dawn (sunrise + offset): the night ends. */
  endMs: number;
}

const cache = new Map<string, NightWindow>();

/**
 * The night that begins on the evening of `date`. Where the sun does not set (polar summer)
 * the window is empty; where it does not rise (polar night) it spans the whole day.
 */
export function nightWindow(
  date: string,
  location: GeoPoint,
  offsets: { duskOffsetMinutes: number; dawnOffsetMinutes: number },
): NightWindow {
  const key = `${date}|${location.latitude}|${location.longitude}|${offsets.duskOffsetMinutes}|${offsets.dawnOffsetMinutes}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { sunsetMs, sunriseMs } = sunsetAndSunrise(date, location);
  const noon = Date.parse(`${date}T12:00:00Z`) - (location.longitude / 15) * 3_600_000;
  let window: NightWindow;
  if (Number.isNaN(sunsetMs) || Number.isNaN(sunriseMs)) {
    const altitude = SunCalc.getPosition(
      new Date(noon),
      location.latitude,
      location.longitude,
    ).altitude;
    window =
      altitude > 0 ? { startMs: noon, endMs: noon } : { startMs: noon, endMs: noon + 86_400_000 };
  } else {
    window = {
      startMs: sunsetMs + offsets.duskOffsetMinutes * 60_000,
      endMs: sunriseMs + offsets.dawnOffsetMinutes * 60_000,
    };
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(key, window);
  return window;
}

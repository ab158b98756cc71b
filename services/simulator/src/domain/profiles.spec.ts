import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cyclingActivity,
  deliveryWindow,
  lampDimLevel,
  localTime,
  M2_HOURS,
  nightlifeActivity,
  parkActivity,
  pedestrianActivity,
  rainIntensity,
  sunElevation,
  tideLevel,
  trafficActivity,
} from './profiles.js';

const TZ = 'Europe/Brussels';
const MECHELEN = { lat: 51.028, lon: 4.48 };
const HOUR = 3_600_000;
const anyInstant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) });

describe('localTime', () => {
  it('follows Brussels time, summer time included', () => {
    expect(localTime(Date.UTC(2026, 0, 15, 12), TZ)).toEqual({
      hour: 13,
      weekday: 4,
      dayOfYear: 15,
    });
    const summer = localTime(Date.UTC(2026, 6, 15, 12, 30), TZ);
    expect(summer.hour).toBe(14.5);
    expect(summer.weekday).toBe(3);
  });
});

describe('activity profiles', () => {
  const at = (hour: number, weekday = 3) => ({ hour, weekday, dayOfYear: 100 });

  it('have busy days and quiet nights', () => {
    expect(pedestrianActivity(at(13))).toBeGreaterThan(10 * pedestrianActivity(at(3)));
    expect(cyclingActivity(at(8.1))).toBeGreaterThan(10 * cyclingActivity(at(3)));
    expect(trafficActivity(at(8))).toBeGreaterThan(5 * trafficActivity(at(3)));
  });

  it('in a park: weekend afternoons, the evening dog walk, and never quite nobody', () => {
    expect(parkActivity(at(15, 0))).toBeGreaterThan(1.5 * parkActivity(at(15, 3)));
    expect(parkActivity(at(21.5))).toBeGreaterThan(5 * parkActivity(at(3)));
    expect(parkActivity(at(3))).toBeGreaterThanOrEqual(0.02);
  });

  it('on a square: evenings until midnight, until half past two on Friday and Saturday nights', () => {
    // 01:00 on Sunday belongs to Saturday night, 01:00 on Thursday to Wednesday night.
    expect(nightlifeActivity(at(1, 0))).toBeGreaterThan(0.8);
    expect(nightlifeActivity(at(1, 6))).toBeGreaterThan(0.8);
    expect(nightlifeActivity(at(1, 4))).toBeLessThan(0.1);
    expect(nightlifeActivity(at(21, 3))).toBeGreaterThan(0.5);
    expect(nightlifeActivity(at(4, 0))).toBeLessThan(0.05);
    expect(nightlifeActivity(at(10, 6))).toBeLessThan(0.05);
  });

  it('shift with the week: Saturday shopping, quiet Sunday, no commute at the weekend', () => {
    expect(pedestrianActivity(at(14, 6))).toBeGreaterThan(pedestrianActivity(at(14, 3)));
    expect(pedestrianActivity(at(14, 0))).toBeLessThan(pedestrianActivity(at(14, 3)));
    expect(cyclingActivity(at(8.1, 0))).toBeLessThan(cyclingActivity(at(8.1, 2)) / 3);
  });

  it('are positive and bounded at every hour', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 23.999, noNaN: true }),
        fc.integer({ min: 0, max: 6 }),
        (h, d) => {
          for (const f of [
            pedestrianActivity,
            cyclingActivity,
            trafficActivity,
            parkActivity,
            nightlifeActivity,
          ]) {
            const v = f(at(h, d));
            expect(v).toBeGreaterThan(0);
            expect(v).toBeLessThan(1.5);
          }
        },
      ),
    );
  });
});

describe('tideLevel', () => {
  const tide = { meanM: 1.8, amplitudeM: 0.9, phaseHours: 0 };

  it('stays within mean ± 1.37 × amplitude', () => {
    fc.assert(
      fc.property(anyInstant, (t) => {
        expect(Math.abs(tideLevel(t, tide) - tide.meanM)).toBeLessThanOrEqual(
          1.37 * tide.amplitudeM,
        );
      }),
    );
  });

  it('has high water about every M2 period: two a day, sometimes three in 25 hours', () => {
    fc.assert(
      fc.property(anyInstant, (start) => {
        const highs: number[] = [];
        const step = 5 * 60_000;
        for (let t = start; t < start + 3 * 24 * HOUR; t += step) {
          const [a, b, c] = [t - step, t, t + step].map((x) => tideLevel(x, tide));
          if (b! > a! && b! >= c!) highs.push(t);
        }
        // 72 hours hold 5 or 6 high waters (72 / 12.42 = 5.8).
        expect(highs.length).toBeGreaterThanOrEqual(5);
        expect(highs.length).toBeLessThanOrEqual(6);
        for (let i = 1; i < highs.length; i++) {
          const gap = (highs[i]! - highs[i - 1]!) / HOUR;
          expect(Math.abs(gap - M2_HOURS)).toBeLessThan(1);
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('sunElevation', () => {
  it('matches the sun over Mechelen at the solstices', () => {
    const juneNoon = sunElevation(Date.UTC(2026, 5, 21, 11, 42), MECHELEN.lat, MECHELEN.lon);
    const decemberNoon = sunElevation(Date.UTC(2026, 11, 21, 11, 42), MECHELEN.lat, MECHELEN.lon);
    expect(juneNoon).toBeCloseTo(62.4, 0);
    expect(decemberNoon).toBeCloseTo(15.5, 0);
    expect(sunElevation(Date.UTC(2026, 5, 21, 23, 42), MECHELEN.lat, MECHELEN.lon)).toBeLessThan(
      -10,
    );
  });
});

describe('lampDimLevel', () => {
  it('is off by day, full in the evening, dimmed late at night', () => {
    const at = (hour: number) => ({ hour, weekday: 3, dayOfYear: 355 });
    expect(lampDimLevel(15, at(12))).toBe(0);
    expect(lampDimLevel(-10, at(19))).toBe(100);
    expect(lampDimLevel(-20, at(2))).toBe(40);
    expect(lampDimLevel(-5, at(6.5))).toBe(100);
  });
});

describe('deliveryWindow', () => {
  it('is open from 06:00 to 11:00', () => {
    const at = (hour: number) => ({ hour, weekday: 3, dayOfYear: 1 });
    expect([5.9, 6, 10.9, 11].map((h) => deliveryWindow(at(h)))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });
});

describe('rainIntensity', () => {
  it('is the same for every gauge, mostly dry, with a Flemish year of rain', () => {
    const hours = Array.from({ length: 365 * 24 }, (_, i) => Date.UTC(2026, 0, 1) + i * HOUR);
    const rain = hours.map((t) => rainIntensity(t, 2026));
    const wet = rain.filter((r) => r > 0.05).length / rain.length;
    const annual = rain.reduce((sum, r) => sum + r, 0);
    expect(wet).toBeGreaterThan(0.03);
    expect(wet).toBeLessThan(0.15);
    expect(annual).toBeGreaterThan(500);
    expect(annual).toBeLessThan(1_500);
    expect(Math.max(...rain)).toBeLessThanOrEqual(25);
    expect(Math.max(...rain)).toBeGreaterThan(2);
    expect(rain.every((r) => r >= 0)).toBe(true);
    expect(rainIntensity(hours[4000]!, 2026)).toBe(rain[4000]);
  });
});

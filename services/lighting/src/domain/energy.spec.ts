import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EnergyMeter,
  levelAt,
  levelIntegral,
  mergeBookings,
  splitByDay,
  type ZoneCalendar,
} from './energy.js';

const H = 3_600_000;
// A calendar with operating days changing at 12:00 UTC and nights from 18:00 to 06:00 UTC.
const calendar: ZoneCalendar = {
  nightDate: (_zone, t) => new Date(t - 12 * H).toISOString().slice(0, 10),
  night: (_zone, date) => ({
    startMs: Date.parse(`${date}T18:00:00Z`),
    endMs: Date.parse(`${date}T18:00:00Z`) + 12 * H,
  }),
};
const at = (iso: string) => Date.parse(iso);

describe('level tracks', () => {
  it('ramp linearly and integrate as trapezoids', () => {
    const track = { from: 20, to: 100, startMs: 0, transitionMs: 10_000 };
    expect(levelAt(track, 5_000)).toBe(60);
    expect(levelIntegral(track, 0, 10_000)).toBe(600_000);
    expect(levelIntegral(track, 0, 20_000)).toBe(1_600_000);
    expect(levelIntegral(track, 5_000, 15_000)).toBe(400_000 + 500_000);
  });

  it('split an interval where the operating day changes', () => {
    const parts = splitByDay(at('2026-11-24T11:00:00Z'), at('2026-11-24T13:00:00Z'), (t) =>
      calendar.nightDate('z', t),
    );
    expect(parts).toEqual([
      { date: '2026-11-23', from: at('2026-11-24T11:00:00Z'), to: at('2026-11-24T12:00:00Z') },
      { date: '2026-11-24', from: at('2026-11-24T12:00:00Z'), to: at('2026-11-24T13:00:00Z') },
    ]);
  });
});

describe('EnergyMeter', () => {
  it('books a hand-computed night: 100 W lamp, 20 % with an hour at 100 %, versus 100 % all night', () => {
    const meter = new EnergyMeter(calendar);
    const lamp = { id: 'l1', zoneId: 'z', ratedPowerWatts: 100 };
    meter.track(lamp, 20, at('2026-11-23T18:00:00Z'));
    const bookings = [
      ...meter.change('l1', 100, 0, at('2026-11-23T22:00:00Z')),
      ...meter.change('l1', 20, 0, at('2026-11-23T23:00:00Z')),
      ...meter.change('l1', 0, 0, at('2026-11-24T06:00:00Z')),
      ...meter.flush(at('2026-11-24T12:00:00Z')),
    ];
    const [day] = mergeBookings(bookings);
    // 11 h × 20 W + 1 h × 100 W = 320 Wh; baseline 12 h × 100 W = 1200 Wh.
    expect(day?.date).toBe('2026-11-23');
    expect(day?.usedWh).toBeCloseTo(320, 9);
    expect(day?.baselineWh).toBeCloseTo(1200, 9);
    expect(day?.nightMs).toBe(12 * H);
  });

  it('counts a ramp as its average level', () => {
    const meter = new EnergyMeter(calendar);
    meter.track({ id: 'l1', zoneId: 'z', ratedPowerWatts: 360 }, 100, at('2026-11-23T20:00:00Z'));
    meter.change('l1', 0, 10_000, at('2026-11-23T20:00:00Z'));
    const [b] = mergeBookings(meter.flush(at('2026-11-23T21:00:00Z')));
    // 10 s at an average 50 % of 360 W = 0.5 Wh.
    expect(b?.usedWh).toBeCloseTo(0.5, 9);
  });

  it('books the same energy however often it is flushed', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dt: fc.integer({ min: 1, max: 3 * H }),
            level: fc.integer({ min: 0, max: 100 }),
            ramp: fc.nat(60_000),
          }),
          { maxLength: 15 },
        ),
        fc.array(fc.integer({ min: 1, max: 2 * H }), { maxLength: 10 }),
        (changes, flushes) => {
          const start = at('2026-11-23T10:00:00Z');
          const once = new EnergyMeter(calendar);
          const often = new EnergyMeter(calendar);
          const lamp = { id: 'l', zoneId: 'z', ratedPowerWatts: 50 };
          once.track(lamp, 0, start);
          often.track(lamp, 0, start);
          let t = start;
          const a: ReturnType<EnergyMeter['flush']> = [];
          const b: ReturnType<EnergyMeter['flush']> = [];
          changes.forEach((c, i) => {
            const flushAt = t + Math.min(c.dt - 1, flushes[i] ?? 0);
            if (flushAt > t) b.push(...often.flush(flushAt));
            t += c.dt;
            a.push(...once.change('l', c.level, c.ramp, t));
            b.push(...often.change('l', c.level, c.ramp, t));
          });
          a.push(...once.flush(t + 36 * H));
          b.push(...often.flush(t + 36 * H));
          const sum = (xs: typeof a) => xs.reduce((s, x) => s + x.usedWh, 0);
          const base = (xs: typeof a) => xs.reduce((s, x) => s + x.baselineWh, 0);
          expect(sum(b)).toBeCloseTo(sum(a), 6);
          expect(base(b)).toBeCloseTo(base(a), 6);
          // Never more than always-on at full power over the whole time.
          expect(sum(a)).toBeLessThanOrEqual((50 * (t + 36 * H - start)) / H + 1e-6);
        },
      ),
    );
  });
});

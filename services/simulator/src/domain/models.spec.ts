import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDevicesCsv, type SimDevice } from './devices.js';
import {
  clampToSpec,
  MODELS,
  type ModelState,
  passersPerMinute,
  placeOf,
  poisson,
  type Values,
} from './models.js';
import { localTime } from './profiles.js';
import { createRandom, hash32 } from './random.js';

const devices = parseDevicesCsv(
  readFileSync(new URL('../../demo/devices.csv', import.meta.url), 'utf8'),
);
const TZ = 'Europe/Brussels';
const byType = (type: string) => devices.find((d) => d.type === type)!;
const byId = (id: string) => devices.find((d) => d.id === id)!;
/** A device of the demo file with other labels. */
const relabelled = (device: SimDevice, labels: Record<string, string>): SimDevice => ({
  ...device,
  id: `${device.id}-${Object.values(labels).join('-')}`,
  labels: { ...device.labels, ...labels },
});

/** Plays a device from `startMs` for `steps` reports at its interval; its clamped values. */
function play(device: SimDevice, startMs: number, steps: number, seed = 1): Values[] {
  const model = MODELS[device.type]!;
  const random = createRandom(hash32(seed, device.id));
  let state: ModelState = model.initial(device, random);
  const out: Values[] = [];
  for (let i = 0; i < steps; i++) {
    const step = model.step(device, state, {
      simMs: startMs + i * device.intervalS * 1000,
      elapsedS: device.intervalS,
      random,
      seed,
      timeZone: TZ,
    });
    state = step.state;
    out.push(clampToSpec(device, step.values));
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const anyInstant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) });

describe('every model on every demo device', () => {
  it('reports exactly its metrics, finite and within the declared range', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...devices),
        anyInstant,
        fc.integer({ min: 0, max: 10_000 }),
        (device, start, seed) => {
          const names = MODELS[device.type]!.metrics.map((m) => m.name).sort();
          for (const values of play(device, start, 12, seed)) {
            expect(Object.keys(values).sort()).toEqual(names);
            for (const [name, value] of Object.entries(values)) {
              if (typeof value === 'boolean') continue;
              const spec = device.metrics.find((m) => m.name === name)!;
              expect(Number.isFinite(value)).toBe(true);
              expect(value).toBeGreaterThanOrEqual(spec.min ?? -Infinity);
              expect(value).toBeLessThanOrEqual(spec.max ?? Infinity);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('plays the same values again for the same seed', () => {
    for (const device of devices) {
      expect(play(device, Date.UTC(2026, 10, 22), 5, 9)).toEqual(
        play(device, Date.UTC(2026, 10, 22), 5, 9),
      );
    }
  });
});

describe('counters', () => {
  it('count whole passers-by, many more at lunch time than at night', () => {
    const device = byType('pedestrian_counter');
    // A Wednesday: 13:00 and 03:00 in Brussels (UTC+1).
    const lunch = play(device, Date.UTC(2026, 10, 18, 12), 1, 1);
    const night = play(device, Date.UTC(2026, 10, 18, 2), 1, 1);
    const counts = (start: number) =>
      Array.from(
        { length: 50 },
        (_, seed) => play(device, start, 1, seed)[0]!.pedestrians as number,
      );
    expect(mean(counts(Date.UTC(2026, 10, 18, 12)))).toBeGreaterThan(
      10 * mean(counts(Date.UTC(2026, 10, 18, 2))),
    );
    for (const v of [...lunch, ...night]) expect(Number.isInteger(v.pedestrians)).toBe(true);
  });

  it('poisson has the requested mean, small and large', () => {
    const random = createRandom(3);
    for (const lambda of [0.5, 4, 25, 400]) {
      const xs = Array.from({ length: 5_000 }, () => poisson(random, lambda));
      expect(Math.abs(mean(xs) - lambda) / lambda).toBeLessThan(0.06);
      expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    }
    expect(poisson(random, 0)).toBe(0);
  });
});

describe('bins', () => {
  it('fill up, then are emptied to almost nothing — never emptied half-way', () => {
    fc.assert(
      fc.property(anyInstant, fc.integer({ min: 0, max: 10_000 }), (start, seed) => {
        const fills = play(byType('bin_fill'), start, 24 * 7, seed).map(
          (v) => v.fill_level as number,
        );
        let emptied = 0;
        for (let i = 1; i < fills.length; i++) {
          const drop = fills[i - 1]! - fills[i]!;
          // Sensor noise moves a reading by a few percent; a real drop is a collection.
          if (drop > 5) {
            emptied += 1;
            expect(fills[i]).toBeLessThan(10);
            expect(fills[i - 1]).toBeGreaterThan(70);
          }
        }
        // A week of hourly reports: every bin is collected at least once.
        expect(emptied).toBeGreaterThan(0);
      }),
      { numRuns: 50 },
    );
  });
});

describe('water level', () => {
  it('follows the tide on a tidal river: about two metres between low and high water', () => {
    const tidal = relabelled(byType('water_level'), { regime: 'tidal' });
    const levels = play(tidal, Date.UTC(2026, 10, 22), 6 * 25, 1).map(
      (v) => v.water_level as number,
    );
    const range = Math.max(...levels) - Math.min(...levels);
    expect(range).toBeGreaterThan(1.2);
    expect(range).toBeLessThan(2.8);
  });

  it('rises on the Zenne hours after rain and falls back, while the canal stays level', () => {
    const river = byId('wl-zenne-anderlecht');
    expect(river.labels?.regime).toBe('river');
    // A year of 10-minute reports: the river's low level is its base flow, and rain lifts it.
    const levels = play(river, Date.UTC(2026, 0, 1), 6 * 24 * 365, 1).map(
      (v) => v.water_level as number,
    );
    const sorted = [...levels].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    expect(sorted.at(-1)! - median).toBeGreaterThan(0.5);
    expect(median - sorted[0]!).toBeLessThan(0.1);
    const canal = play(byId('wl-kanaal-sainctelette'), Date.UTC(2026, 0, 1), 6 * 24 * 30, 1).map(
      (v) => v.water_level as number,
    );
    expect(Math.max(...canal) - Math.min(...canal)).toBeLessThan(0.15);
  });
});

describe('bins by stream and place', () => {
  it('fill faster with light packaging than with glass, and on a square at night than in a street', () => {
    const bin = byType('bin_fill');
    /** Mean fill gained per hour over `hours` hourly reports from a start, across seeds. */
    const gain = (labels: Record<string, string>, startMs: number, hours: number) => {
      const device = relabelled(bin, labels);
      const model = MODELS.bin_fill!;
      let total = 0;
      for (let seed = 1; seed <= 30; seed++) {
        const random = createRandom(seed);
        const state = { ...model.initial(device, random), fill: 0, emptyAt: 1_000 };
        const step = model.step(device, state, {
          simMs: startMs,
          elapsedS: hours * 3600,
          random,
          seed,
          timeZone: TZ,
        });
        total += (step.state.fill ?? 0) / hours;
      }
      return total / 30;
    };
    const noon = Date.UTC(2026, 10, 18, 11);
    expect(gain({ stream: 'pmd' }, noon, 1)).toBeGreaterThan(
      3 * gain({ stream: 'glass' }, noon, 1),
    );
    // Saturday 23:00 in Brussels: the terraces fill a square's bins, the street sleeps.
    const saturdayNight = Date.UTC(2026, 10, 21, 22);
    expect(gain({ place: 'square' }, saturdayNight, 1)).toBeGreaterThan(
      2 * gain({ place: 'street' }, saturdayNight, 1),
    );
  });
});

describe('water meters', () => {
  it('show no flow for much of the night, except the one that leaks', () => {
    const meters = devices.filter((d) => d.type === 'water_meter');
    const leaking = meters.filter((d) => d.labels?.leak);
    expect(leaking.map((d) => d.id)).toEqual(['wm-warandepark-paviljoen']);
    // A week of hourly reports; the night hours 02:00-04:00 in Brussels.
    const nightFlows = (device: SimDevice) =>
      play(device, Date.UTC(2026, 10, 16, 0), 24 * 7, 3)
        .map((v, hour) => ({ v, hour: (hour + 1) % 24 }))
        .filter(({ hour }) => hour >= 1 && hour < 3)
        .map(({ v }) => v.flow as number);
    for (const meter of meters) {
      const minimum = Math.min(...nightFlows(meter));
      if (meter.labels?.leak) expect(minimum, meter.id).toBeGreaterThanOrEqual(35);
      else expect(minimum, meter.id).toBe(0);
    }
    // The index only ever rises.
    const volumes = play(leaking[0]!, Date.UTC(2026, 10, 16), 48, 1).map((v) => v.volume as number);
    for (let i = 1; i < volumes.length; i++)
      expect(volumes[i]).toBeGreaterThanOrEqual(volumes[i - 1]!);
  });
});

describe('lamps and cabinets', () => {
  it('are off at noon in June and on at midnight in December', () => {
    const lamp = byType('lamp_controller');
    const [noon] = play(lamp, Date.UTC(2026, 5, 21, 10), 1);
    const [midnight] = play(lamp, Date.UTC(2026, 11, 21, 21), 1);
    expect(noon).toMatchObject({ dim_level: 0 });
    expect(midnight!.dim_level).toBe(100);
    expect(midnight!.power as number).toBeGreaterThan(noon!.power as number);
    const cabinet = byType('energy_meter');
    const [day] = play(cabinet, Date.UTC(2026, 5, 21, 10), 1);
    const [night] = play(cabinet, Date.UTC(2026, 11, 21, 21), 1);
    expect(night!.power as number).toBeGreaterThan(5 * (day!.power as number));
    expect(night!.energy as number).toBeCloseTo((night!.power as number) * 0.25, 2);
  });
});

describe('bollards', () => {
  it('are lowered for deliveries in the morning and raised otherwise', () => {
    // Not in the demo file any more (its bollards talk to the bollards service), still playable.
    const bollard: SimDevice = {
      ...byType('lamp_controller'),
      id: 'bo-1',
      type: 'bollard_controller',
      metrics: [{ name: 'raised', unit: '1', min: 0, max: 1 }],
    };
    const at = (utcHour: number) =>
      Array.from(
        { length: 40 },
        (_, seed) => play(bollard, Date.UTC(2026, 10, 18, utcHour), 1, seed)[0]!.raised,
      );
    expect(at(7).filter(Boolean)).toHaveLength(0);
    expect(at(14).filter(Boolean).length).toBeGreaterThan(35);
  });
});

describe('presence', () => {
  it('sees someone far more often at lunch time than at night', () => {
    const sensor = byType('presence');
    const share = (utcHour: number) =>
      Array.from(
        { length: 200 },
        (_, seed) => play(sensor, Date.UTC(2026, 10, 18, utcHour), 1, seed)[0]!.occupied,
      ).filter(Boolean).length / 200;
    expect(share(12)).toBeGreaterThan(0.9);
    expect(share(2)).toBeLessThan(0.3);
  });

  /** Share of reports with someone seen, over `minutes` one-minute reports from `startMs`. */
  const occupiedShare = (id: string, startMs: number, minutes: number, seed = 1) =>
    play(byId(id), startMs, minutes, seed).filter((v) => v.occupied).length / minutes;

  it('knows the place each demo sensor watches from its label', () => {
    expect(placeOf(byId('pr-warandepark'))).toBe('park');
    expect(placeOf(byId('pr-sint-goriks'))).toBe('square');
    expect(placeOf(byId('pr-beurs'))).toBe('street');
  });

  it('sees someone on the park path now and then all night: the lamps have somebody to light', () => {
    // Wednesday night 01:00-05:00 in Brussels (UTC+1), one report a minute.
    for (const seed of [1, 2, 3]) {
      const share = occupiedShare('pr-warandepark', Date.UTC(2026, 10, 18, 0), 240, seed);
      expect(share).toBeGreaterThan(0.05);
      expect(share).toBeLessThan(0.5);
    }
    // And many more on a Sunday afternoon.
    expect(occupiedShare('pr-warandepark', Date.UTC(2026, 10, 22, 13), 120)).toBeGreaterThan(0.8);
  });

  it('sees the Sint-Goriksplein busy on Saturday night and nearly empty on Wednesday night', () => {
    const saturday = occupiedShare('pr-sint-goriks', Date.UTC(2026, 10, 22, 0), 60);
    const wednesday = occupiedShare('pr-sint-goriks', Date.UTC(2026, 10, 19, 0), 60);
    expect(saturday).toBeGreaterThan(0.7);
    expect(wednesday).toBeLessThan(0.4);
    expect(wednesday).toBeGreaterThan(0);
  });

  it('still reports a passer seen just before its last report, then nobody once they left', () => {
    const sensor = byId('pr-warandepark');
    const model = MODELS.presence!;
    const random = createRandom(7);
    const night = Date.UTC(2026, 10, 18, 2); // 03:00 on a Wednesday
    expect(passersPerMinute('park', localTime(night, TZ))).toBeLessThan(0.3);
    const input = { elapsedS: 0.5, random, seed: 1, timeZone: TZ };
    // A passer who was in view until 200 ms into this half-second interval.
    const state = { ...model.initial(sensor, random), seenUntilMs: night - 300 };
    expect(model.step(sensor, state, { ...input, simMs: night }).values.occupied).toBe(true);
    // Gone 100 ms before it began.
    const gone = { ...state, seenUntilMs: night - 600 };
    expect(model.step(sensor, gone, { ...input, simMs: night }).values.occupied).toBe(false);
  });
});

describe('clampToSpec', () => {
  it('saturates numbers at the declared range and passes booleans', () => {
    const device = byType('bin_fill');
    expect(clampToSpec(device, { fill_level: 104 })).toEqual({ fill_level: 100 });
    expect(clampToSpec(device, { fill_level: -2 })).toEqual({ fill_level: 0 });
    expect(clampToSpec(byType('presence'), { occupied: true })).toEqual({ occupied: true });
  });
});

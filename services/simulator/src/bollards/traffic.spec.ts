import { readFileSync } from 'node:fs';
import { localTime } from '@slimstad/kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../domain/random.js';
import { BollardLayoutError, DEMO_BOLLARDS_FILE, parseBollardLayout } from './bollard-layout.js';
import { planTraffic } from './traffic.js';

const text = readFileSync(DEMO_BOLLARDS_FILE, 'utf8');
const layout = parseBollardLayout(text);
const HOUR = 3_600_000;
// Monday 7 December 2026, 00:00 in Brussels.
const MONDAY = Date.parse('2026-12-06T23:00:00Z');

describe('the demo bollards file', () => {
  it('names zones, bollards in them and permits for them', () => {
    expect(layout.zones.map((z) => z.id)).toEqual(['grote-markt', 'ilot-sacre']);
    expect(layout.bollards.length).toBeGreaterThanOrEqual(4);
    expect(layout.bollards.some((b) => b.failMode === 'secure')).toBe(true);
    expect(layout.permits.some((p) => p.vehicleClass === 'delivery')).toBe(true);
    // Brussels, around the Grote Markt (50.8467 N, 4.3525 E): within a few hundred metres.
    for (const b of layout.bollards) {
      expect(Math.abs(b.location.latitude - 50.8467)).toBeLessThan(0.004);
      expect(Math.abs(b.location.longitude - 4.3525)).toBeLessThan(0.004);
    }
  });

  it('refuses a file with unknown zones, duplicates and backward windows, naming each', () => {
    const bad = JSON.parse(text);
    bad.bollards.push({ ...bad.bollards[0], zoneId: 'nowhere' });
    bad.permits[0].windows = [{ days: [1], from: '11:00', to: '06:00' }];
    bad.permits[1].zoneIds = ['elsewhere'];
    let error: BollardLayoutError | undefined;
    try {
      parseBollardLayout(JSON.stringify(bad));
    } catch (e) {
      error = e as BollardLayoutError;
    }
    expect(error).toBeInstanceOf(BollardLayoutError);
    expect(error?.problems).toEqual(
      expect.arrayContaining([
        `bollards.6.id: gm-boterstraat appears twice`,
        'bollards.6.zoneId: no zone nowhere',
        'permits.0.windows.0: ends (06:00) before it starts (11:00)',
        'permits.1.zoneIds.0: no zone elsewhere',
      ]),
    );
    expect(() => parseBollardLayout('{"zones": []}')).toThrow(/zones: at least one zone/);
  });
});

describe('planned traffic', () => {
  it('is the same for the same seed, and the same in one window as in consecutive ones', () => {
    const whole = planTraffic(layout, MONDAY, MONDAY + 24 * HOUR, createRandom(7));
    const random = createRandom(7);
    const parts = [0, 5, 11, 24].flatMap((h, i, all) =>
      i === 0 ? [] : planTraffic(layout, MONDAY + all[i - 1]! * HOUR, MONDAY + h * HOUR, random),
    );
    expect(parts).toEqual(whole);
  });

  it('brings vans around the morning window on working days only, each with a permit for its zone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 6 }),
        (seed, day) => {
          const from = MONDAY + day * 24 * HOUR;
          const plan = planTraffic(layout, from, from + 24 * HOUR, createRandom(seed));
          for (const v of plan) {
            expect(v.atMs).toBeGreaterThanOrEqual(from);
            expect(v.atMs).toBeLessThan(from + 24 * HOUR + 60_000);
            const bollard = layout.bollards.find((b) => b.id === v.bollardId);
            expect(bollard?.zoneId).toBe(v.zoneId);
            const permit = layout.permits.find(
              (p) => p.credential === (v.plate ?? v.badge) && p.zoneIds.includes(v.zoneId),
            );
            const local = localTime(v.atMs, 'Europe/Brussels');
            if (v.kind === 'delivery') {
              expect(local.weekday).not.toBe(0);
              expect(local.minuteOfDay).toBeGreaterThanOrEqual(5 * 60 + 30);
              expect(local.minuteOfDay).toBeLessThan(11 * 60 + 31);
              expect(permit?.vehicleClass).toBe('delivery');
            } else if (v.kind === 'resident') {
              expect(permit?.vehicleClass).toBe('resident');
            } else if (v.kind === 'stranger') {
              expect(v.plate).toMatch(/^[12]-[A-Z]{3}-\d{3}$/);
              expect(layout.permits.some((p) => p.credential === v.plate)).toBe(false);
            } else {
              expect(v.emergency).toBe(true);
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('follows the file rates over a week', () => {
    const plan = planTraffic(layout, MONDAY, MONDAY + 7 * 24 * HOUR, createRandom(2026));
    const count = (kind: string) => plan.filter((v) => v.kind === kind).length;
    const zones = layout.zones.length;
    // Six working days of six hours, per zone.
    const vans = layout.traffic.deliveriesPerHour * 6 * 6 * zones;
    expect(count('delivery')).toBeGreaterThan(vans * 0.8);
    expect(count('delivery')).toBeLessThan(vans * 1.2);
    const fires = layout.traffic.fireEnginesPerDay * 7;
    expect(count('fire_engine')).toBeGreaterThan(fires * 0.3);
    expect(count('fire_engine')).toBeLessThan(fires * 2.5);
    expect(count('stranger')).toBeGreaterThan(0);
    expect(count('resident')).toBeGreaterThan(0);
  });
});

import { readFileSync } from 'node:fs';
import { NightKind, ZoneKind } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { describe, expect, it } from 'vitest';
import { parseDevicesCsv } from '../domain/devices.js';
import {
  DEMO_LIGHTING_FILE,
  DETECTOR_TYPES,
  type LightingLayout,
  LightingLayoutError,
  lampFleetSpecs,
  lampMessage,
  layoutProblems,
  loadLightingLayout,
  parseLightingLayout,
  profileMessage,
  reachable,
  toDuration,
  zoneMessage,
} from './layout.js';

const devices = parseDevicesCsv(
  readFileSync(new URL('../../demo/devices.csv', import.meta.url), 'utf8'),
);
const text = readFileSync(DEMO_LIGHTING_FILE, 'utf8');
const layout = parseLightingLayout(text);
const device = (id: string) => devices.find((d) => d.id === id)!;
const lampsOf = (zoneId: string) => layout.lamps.filter((l) => l.zoneId === zoneId);
const zoneOf = (zoneId: string) => layout.zones.find((z) => z.id === zoneId)!;

/** Metres between two points (equirectangular; plenty within a town). */
const metres = (
  a: { latitude: number; longitude: number },
  b: { latitude: number; longitude: number },
) => {
  const rad = Math.PI / 180;
  const x = (b.longitude - a.longitude) * rad * Math.cos(((a.latitude + b.latitude) / 2) * rad);
  const y = (b.latitude - a.latitude) * rad;
  return Math.hypot(x, y) * 6_371_008.8;
};

const nearestLamp = (zoneId: string, deviceId: string) => {
  const d = device(deviceId);
  const at = { latitude: d.latitude, longitude: d.longitude };
  return lampsOf(zoneId).reduce((best, l) =>
    metres(l.location, at) < metres(best.location, at) ? l : best,
  );
};

/** A deep copy of the demo layout to break. */
const copy = (): LightingLayout => structuredClone(layout);

describe('the demo lighting layout (demo/lighting.json)', () => {
  it('is a valid layout for the demo devices', () => {
    expect(layoutProblems(layout, devices)).toEqual([]);
    expect(() => loadLightingLayout(text, devices)).not.toThrow();
  });

  it('has the Warandepark and the Sint-Goriksplein square in Brussels', () => {
    expect(layout.zones.map((z) => [z.id, z.kind, z.timeZone])).toEqual([
      ['warandepark', 'park', 'Europe/Brussels'],
      ['sint-goriks', 'square', 'Europe/Brussels'],
    ]);
    const park = zoneOf('warandepark').location;
    expect(metres(park, { latitude: 50.8438, longitude: 4.3642 })).toBeLessThan(50);
    for (const l of layout.lamps) {
      expect(metres(l.location, zoneOf(l.zoneId).location), l.id).toBeLessThan(200);
    }
  });

  it('lights the park with 15-25 lamps of 40-60 W and the square with a handful', () => {
    const park = lampsOf('warandepark');
    expect(park.length).toBeGreaterThanOrEqual(15);
    expect(park.length).toBeLessThanOrEqual(25);
    park.forEach((l, i) => {
      const n = String(i + 1).padStart(2, '0');
      expect(l.id).toBe(`wp-${n}`);
      expect(l.controllerId).toBe(`lc-wp-${n}`);
      expect(l.ratedPowerWatts).toBeGreaterThanOrEqual(40);
      expect(l.ratedPowerWatts).toBeLessThanOrEqual(60);
      expect(l.minLevel).toBe(10);
    });
    const square = lampsOf('sint-goriks');
    expect(square.length).toBeGreaterThanOrEqual(4);
    expect(square.length).toBeLessThanOrEqual(8);
    expect(layout.lamps).toHaveLength(park.length + square.length);
  });

  it('has unique lamp and controller ids that are single NATS tokens, none a device id', () => {
    const ids = layout.lamps.map((l) => l.id);
    const controllers = layout.lamps.map((l) => l.controllerId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(controllers).size).toBe(controllers.length);
    for (const x of [...ids, ...controllers]) {
      expect(x).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(devices.some((d) => d.id === x)).toBe(false);
    }
  });

  it('links each lamp to existing neighbours of its own zone about 25 m away', () => {
    const byId = new Map(layout.lamps.map((l) => [l.id, l]));
    for (const l of layout.lamps) {
      expect(new Set(l.neighbourIds).size).toBe(l.neighbourIds.length);
      for (const n of l.neighbourIds) {
        const other = byId.get(n);
        expect(other, `${l.id} → ${n}`).toBeDefined();
        expect(other!.zoneId).toBe(l.zoneId);
        expect(n).not.toBe(l.id);
        const d = metres(l.location, other!.location);
        expect(d, `${l.id} → ${n}`).toBeGreaterThan(15);
        expect(d, `${l.id} → ${n}`).toBeLessThan(35);
      }
    }
  });

  it('reaches every lamp of a zone along its paths from any lamp of it', () => {
    for (const z of layout.zones) {
      const lamps = lampsOf(z.id);
      for (const from of lamps) {
        expect(reachable(lamps, from.id).size, `${z.id} from ${from.id}`).toBe(lamps.length);
      }
    }
  });

  it('lets the park paths cross: a lamp with four neighbours', () => {
    const degree = new Map<string, number>();
    for (const l of lampsOf('warandepark')) {
      for (const n of l.neighbourIds) {
        degree.set(l.id, (degree.get(l.id) ?? 0) + 1);
        degree.set(n, (degree.get(n) ?? 0) + 1);
      }
    }
    expect(Math.max(...degree.values())).toBe(4);
  });

  it('gives the presence sensors to the lamps nearest to them, and only detecting devices', () => {
    expect(nearestLamp('warandepark', 'pr-warandepark').detectorIds).toContain('pr-warandepark');
    expect(nearestLamp('sint-goriks', 'pr-sint-goriks').detectorIds).toContain('pr-sint-goriks');
    for (const l of layout.lamps) {
      for (const d of l.detectorIds) {
        expect(
          devices.map((x) => x.id),
          `${l.id}: ${d}`,
        ).toContain(d);
        expect(DETECTOR_TYPES as readonly string[]).toContain(device(d).type);
        expect(metres(l.location, device(d)), `${l.id}: ${d}`).toBeLessThan(15);
      }
    }
  });

  it('runs each zone on the agreed profile, every level within every lamp’s range', () => {
    for (const z of layout.zones) {
      expect(z.profile).toMatchObject({
        weekday: { baseLevel: 20, presenceLevel: 100 },
        hold: '60s',
        rampUp: '1s',
        rampDown: '30s',
        pedestrian: { distanceMeters: 50, speedMetersPerSecond: 1.4 },
        cyclist: { distanceMeters: 150, speedMetersPerSecond: 5.5 },
        fallbackLevel: 50,
      });
      const levels = [
        z.profile.weekday.baseLevel,
        z.profile.weekday.presenceLevel,
        z.profile.fallbackLevel,
        ...z.profile.curfews.map((c) => c.level),
      ];
      for (const l of lampsOf(z.id)) {
        for (const level of levels) {
          expect(level === 0 || level >= l.minLevel, `${z.id} ${level} % on ${l.id}`).toBe(true);
        }
      }
    }
    expect(zoneOf('sint-goriks').profile.curfews).toEqual([]);
  });

  it('closes the park 01:00-05:00 except the main through-path, which crosses it', () => {
    const [curfew, ...more] = zoneOf('warandepark').profile.curfews;
    expect(more).toEqual([]);
    expect(curfew).toMatchObject({
      startLocalTime: '01:00',
      endLocalTime: '05:00',
      level: 0,
      nights: 'all',
    });
    const through = new Set(curfew!.exceptLampIds);
    const park = lampsOf('warandepark');
    expect(through.size).toBeGreaterThan(0);
    expect(through.size).toBeLessThan(park.length);
    // The through-path is one path of its own: connected, from one end of the park to the other.
    const path = park.filter((l) => through.has(l.id));
    expect(reachable(path, path[0]!.id).size).toBe(path.length);
    const ends = path.filter((l) => {
      const degree = path.filter(
        (o) => o.neighbourIds.includes(l.id) || l.neighbourIds.includes(o.id),
      ).length;
      return degree === 1;
    });
    expect(ends).toHaveLength(2);
    expect(metres(ends[0]!.location, ends[1]!.location)).toBeGreaterThan(200);
    // The sensor's lamp is on it: someone passing at 03:00 still gets light ahead.
    expect(through.has(nearestLamp('warandepark', 'pr-warandepark').id)).toBe(true);
  });
});

describe('layoutProblems', () => {
  it('names unknown or foreign neighbours, missing detectors and non-detecting ones', () => {
    const broken = copy();
    broken.lamps[1]!.neighbourIds.push('wp-99');
    broken.lamps[2]!.neighbourIds.push('sg-01');
    broken.lamps[3]!.detectorIds.push('pr-nowhere', 'bin-warandepark-1');
    expect(layoutProblems(broken, devices)).toEqual([
      'lamp wp-02: neighbour wp-99 is not in the layout',
      'lamp wp-03: neighbour sg-01 is in zone sint-goriks, not warandepark',
      'lamp wp-04: detector pr-nowhere is not a device of the device file',
      'lamp wp-04: detector bin-warandepark-1 is a bin_fill, not one of presence, pedestrian_counter, bike_counter',
    ]);
  });

  it('names duplicates, a level a lamp cannot show and a curfew exception of another zone', () => {
    const broken = copy();
    broken.lamps.push({ ...broken.lamps[0]! });
    broken.lamps[4]!.minLevel = 30;
    broken.zones[0]!.profile.curfews[0]!.exceptLampIds.push('sg-02');
    const problems = layoutProblems(broken, devices);
    expect(problems).toContain('lamp wp-01 is listed twice');
    expect(problems).toContain('controller lc-wp-01 is listed twice');
    expect(problems).toContain(
      'zone warandepark: profile weekday.baseLevel 20 % is below the minimum level 30 % of lamp wp-05',
    );
    expect(problems).toContain(
      'zone warandepark: curfews[0].exceptLampIds names sg-02, not a lamp of the zone',
    );
  });

  it('names the lamps its paths do not reach', () => {
    const broken = copy();
    // Cut one side path off the crossing: it and the lamps beyond it fall off the graph.
    const [first, second] = broken.lamps.filter(
      (l) => l.neighbourIds.includes('wp-06') && l.id !== 'wp-07',
    );
    first!.neighbourIds = [];
    const problems = layoutProblems(broken, devices);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(`^zone warandepark: lamps ${first!.id}, .* not on a path`),
    );
    expect(problems[0]).not.toContain(second!.id);
  });

  it('refuses a file with unknown fields or wrong values, naming each', () => {
    const json = JSON.parse(text) as Record<string, unknown> & { lamps: Record<string, unknown>[] };
    json.lamps[0]!.ratedPower = 50;
    json.lamps[1]!.minLevel = 120;
    const attempt = () => parseLightingLayout(JSON.stringify(json));
    expect(attempt).toThrow(LightingLayoutError);
    expect(attempt).toThrow(/lamps\.0: Unrecognized key: "ratedPower"/);
    expect(attempt).toThrow(/lamps\.1\.minLevel: /);
    expect(() => parseLightingLayout('{')).toThrow(/not JSON/);
  });
});

describe('messages for the lighting service', () => {
  it('maps zones, lamps and profiles to LightingService messages', () => {
    expect(zoneMessage(zoneOf('warandepark'))).toMatchObject({
      id: 'warandepark',
      kind: ZoneKind.ZONE_KIND_PARK,
      timeZone: 'Europe/Brussels',
    });
    expect(zoneMessage(zoneOf('sint-goriks')).kind).toBe(ZoneKind.ZONE_KIND_SQUARE);
    const lamp = layout.lamps.find((l) => l.detectorIds.includes('pr-warandepark'))!;
    expect(lampMessage(lamp)).toMatchObject({
      id: lamp.id,
      zoneId: 'warandepark',
      controllerId: lamp.controllerId,
      detectorIds: ['pr-warandepark'],
      version: 0n,
    });
    const profile = profileMessage(zoneOf('warandepark'));
    expect(profile).toMatchObject({
      zoneId: 'warandepark',
      hold: { seconds: 60n, nanos: 0 },
      rampUp: { seconds: 1n, nanos: 0 },
      rampDown: { seconds: 30n, nanos: 0 },
      fallbackLevel: 50,
      version: 0n,
    });
    expect(profile.curfews[0]?.nights).toBe(NightKind.NIGHT_KIND_UNSPECIFIED);
    expect(toDuration('1.5s')).toEqual({ seconds: 1n, nanos: 500_000_000 });
  });

  it('plays one controller per lamp, falling back at its zone’s level', () => {
    const specs = lampFleetSpecs(layout);
    expect(specs.map((s) => s.lampId)).toEqual(layout.lamps.map((l) => l.id));
    expect(specs.every((s) => s.fallbackLevel === 50)).toBe(true);
  });
});

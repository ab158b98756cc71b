import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatePark } from './generate-park.js';
import {
  type BenchProfile,
  BenchProfileError,
  loadBenchProfile,
  parseBenchProfile,
} from './profile-file.js';

const file = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
const park = loadBenchProfile(file('warandepark.json'));

const R = 6_371_008.8;
const meters = (a: { latitude: number; longitude: number }, b: typeof a) => {
  const rad = Math.PI / 180;
  const h =
    Math.sin(((b.latitude - a.latitude) * rad) / 2) ** 2 +
    Math.cos(a.latitude * rad) *
      Math.cos(b.latitude * rad) *
      Math.sin(((b.longitude - a.longitude) * rad) / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
};
/** Hour on the Brussels clock (UTC+1 in November). */
const localHour = (iso: string) => new Date(Date.parse(iso) + 3_600_000).getUTCHours();
const localMinutes = (iso: string) => {
  const d = new Date(Date.parse(iso) + 3_600_000);
  return d.getUTCHours() * 60 + d.getUTCMinutes();
};

describe('warandepark.json', () => {
  it('is what the generator makes (regenerate it after changing generate-park.ts)', () => {
    expect(JSON.parse(readFileSync(file('warandepark.json'), 'utf8'))).toEqual(generatePark());
  });

  it('has 250–400 lamps around the park centre, 20–30 m apart along the paths', () => {
    expect(park.lamps.length).toBeGreaterThanOrEqual(250);
    expect(park.lamps.length).toBeLessThanOrEqual(400);
    const byId = new Map(park.lamps.map((l) => [l.id, l]));
    const gaps: number[] = [];
    for (const lamp of park.lamps) {
      expect(lamp.id).toMatch(/^wp-\d{3}$/);
      expect(lamp.detectors).toEqual([`pr-${lamp.id}`]);
      expect(lamp.minLevel).toBe(10);
      expect([40, 50, 60, 80]).toContain(lamp.ratedPowerWatts);
      expect(meters(lamp.location, park.zone.location)).toBeLessThan(300);
      expect(lamp.neighbours.length).toBeGreaterThan(0);
      for (const n of lamp.neighbours) {
        expect(byId.get(n)?.neighbours, `${n} lists ${lamp.id}`).toContain(lamp.id);
        if (lamp.id < n) gaps.push(meters(lamp.location, byId.get(n)!.location));
      }
    }
    gaps.sort((a, b) => a - b);
    expect(gaps[0]).toBeGreaterThan(12); // stretches between close junctions
    expect(gaps.at(-1)).toBeLessThanOrEqual(30.5);
    const median = gaps[gaps.length >> 1]!;
    expect(median).toBeGreaterThanOrEqual(20);
    expect(median).toBeLessThanOrEqual(30);
    expect(park.lamps.filter((l) => l.ratedPowerWatts === 80).length).toBeGreaterThan(10);
  });

  it('has about 1500 pedestrians and 500 cyclists walking the paths gate to gate', () => {
    const pedestrians = park.passers.filter((p) => p.mode === 'pedestrian');
    const cyclists = park.passers.filter((p) => p.mode === 'cyclist');
    expect(pedestrians.length).toBeGreaterThanOrEqual(1400);
    expect(pedestrians.length).toBeLessThanOrEqual(1600);
    expect(cyclists.length).toBeGreaterThanOrEqual(450);
    expect(cyclists.length).toBeLessThanOrEqual(550);
    for (const p of pedestrians) expect(p.speedMps).toBeGreaterThanOrEqual(1);
    for (const p of pedestrians) expect(p.speedMps).toBeLessThanOrEqual(1.7);
    for (const p of cyclists) expect(p.speedMps).toBeGreaterThanOrEqual(4);
    for (const p of cyclists) expect(p.speedMps).toBeLessThanOrEqual(7);

    const byId = new Map(park.lamps.map((l) => [l.id, l]));
    const ends = new Set<string>();
    for (const p of park.passers) {
      expect(p.route.length).toBeGreaterThan(1);
      expect(new Set(p.route).size, `${p.id} never walks in circles`).toBe(p.route.length);
      for (let k = 1; k < p.route.length; k++) {
        expect(byId.get(p.route[k - 1]!)!.neighbours).toContain(p.route[k]);
      }
      ends.add(p.route[0]!);
      ends.add(p.route.at(-1)!);
      // Out of the park before the replay ends.
      let length = 0;
      for (let k = 1; k < p.route.length; k++) {
        length += meters(byId.get(p.route[k - 1]!)!.location, byId.get(p.route[k]!)!.location);
      }
      expect(Date.parse(p.start) + (length / p.speedMps) * 1000).toBeLessThan(
        Date.parse(park.replay.end),
      );
    }
    expect(ends.size).toBe(8); // the gates
    expect(park.passers.map((p) => p.start)).toEqual(park.passers.map((p) => p.start).sort());
  });

  it('is busy in the evening, almost empty after 01:00, with a small morning rise', () => {
    const count = (from: number, to: number) =>
      park.passers.filter((p) => {
        const m = localMinutes(p.start);
        return m >= from * 60 && m < to * 60;
      }).length;
    const evening = count(17.5, 21);
    const smallHours = count(1, 5);
    const morning = count(6.5, 8);
    expect(evening / park.passers.length).toBeGreaterThan(0.55);
    expect(smallHours).toBeGreaterThan(0);
    expect(smallHours).toBeLessThanOrEqual(15);
    expect(morning).toBeGreaterThan(5 * count(5, 6));
    expect(morning).toBeLessThan(evening / 4);
    expect(localHour(park.passers[0]!.start)).toBe(17);
  });
});

describe('tiny.json', () => {
  it('is a straight path of six lamps with three passers within ten minutes', () => {
    const tiny = loadBenchProfile(file('tiny.json'));
    expect(tiny.lamps).toHaveLength(6);
    expect(tiny.passers).toHaveLength(3);
    expect(Date.parse(tiny.replay.end) - Date.parse(tiny.replay.start)).toBe(600_000);
    expect(tiny.lamps.map((l) => l.neighbours.length)).toEqual([1, 2, 2, 2, 2, 1]);
  });
});

describe('validation', () => {
  const tiny = () => JSON.parse(readFileSync(file('tiny.json'), 'utf8')) as BenchProfile;
  const problems = (data: unknown) => {
    try {
      parseBenchProfile(data, 'broken.json');
    } catch (error) {
      expect(error).toBeInstanceOf(BenchProfileError);
      return (error as BenchProfileError).message;
    }
    throw new Error('expected the profile to be refused');
  };

  it('names the field and index of each broken invariant', () => {
    const broken = tiny();
    broken.lamps[1]!.neighbours = ['tp-003']; // tp-001 still lists tp-002
    broken.lamps[5]!.neighbours.push('tp-099');
    broken.passers[0]!.route = ['tp-001', 'tp-003'];
    broken.passers[1]!.start = '2026-11-23T18:00:00Z';
    broken.passers[2]!.route[1] = 'nowhere';
    const message = problems(broken);
    expect(message).toContain('broken.json: not a valid bench profile');
    expect(message).toContain(
      'lamps[0].neighbours[0]: tp-001 lists tp-002 as a neighbour but tp-002 (lamps[1]) does not list tp-001',
    );
    expect(message).toContain('lamps[5].neighbours[1]: unknown lamp tp-099');
    expect(message).toContain(
      'passers[0].route[1]: tp-001 → tp-003 is not a path: the lamps are not neighbours',
    );
    expect(message).toContain(
      'passers[1].start: 2026-11-23T18:00:00Z is outside the replay window [2026-11-23T17:00:00Z, 2026-11-23T17:10:00Z)',
    );
    expect(message).toContain('passers[2].route[1]: unknown lamp nowhere');
  });

  it('names missing or mistyped fields', () => {
    const broken = tiny() as unknown as Record<string, unknown> & BenchProfile;
    delete (broken as Partial<BenchProfile>).replay;
    (broken.lamps[2] as unknown as Record<string, unknown>).ratedPowerWatts = 'fifty';
    (broken.passers[0] as unknown as Record<string, unknown>).mode = 'scooter';
    const message = problems(broken);
    expect(message).toMatch(/replay: .*expected object/i);
    expect(message).toMatch(/lamps\[2\]\.ratedPowerWatts: .*expected number/i);
    expect(message).toMatch(/passers\[0\]\.mode: .*"pedestrian"\|"cyclist"/);
  });

  it('refuses duplicate ids and a file that is not JSON', () => {
    const broken = tiny();
    broken.lamps[3]!.id = 'tp-001';
    expect(problems(broken)).toContain('lamps[3].id: duplicate lamp id tp-001');
    expect(() => loadBenchProfile(file('README.md'))).toThrow(/README\.md: .*\n {2}- not JSON/);
    expect(() => loadBenchProfile(file('missing.json'))).toThrow(/cannot read the file/);
  });
});

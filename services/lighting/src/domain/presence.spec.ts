import { describe, expect, it } from 'vitest';
import type { LampSpec } from './model.js';
import { distanceMeters, PathGraph } from './path-graph.js';
import { type PresenceSettings, PresenceTracker } from './presence.js';

// A straight path of lamps 25 m apart running east (1° longitude ≈ 70.2 km at 50.85° N), with
// a side branch at lamp 3.
const METERS_PER_DEGREE_LON = distanceMeters(
  { latitude: 50.85, longitude: 4 },
  { latitude: 50.85, longitude: 5 },
);
const lampAt = (
  i: number,
  neighbours: string[],
): Pick<LampSpec, 'id' | 'location' | 'neighbourIds'> => ({
  id: `l${i}`,
  location: { latitude: 50.85, longitude: 4 + (i * 25) / METERS_PER_DEGREE_LON },
  neighbourIds: neighbours,
});
const lamps = [
  lampAt(0, ['l1']),
  lampAt(1, []), // neighbours listed on one side only are still joined
  lampAt(2, ['l1', 'l3']),
  lampAt(3, ['l4', 'b1']),
  lampAt(4, ['l5']),
  lampAt(5, ['l6']),
  lampAt(6, []),
  {
    id: 'b1',
    location: { latitude: 50.85 + 25 / 111_200, longitude: lampAt(3, []).location.longitude },
    neighbourIds: [],
  },
];
const graph = new PathGraph(lamps);
const settings: PresenceSettings = {
  holdMs: 30_000,
  rampUpMs: 1_000,
  pedestrian: { distanceMeters: 60, speedMetersPerSecond: 1.25 },
  cyclist: { distanceMeters: 130, speedMetersPerSecond: 5 },
};

describe('PathGraph', () => {
  it('finds lamps within a path distance, both ways and into branches', () => {
    const near = graph.within('l3', 60);
    expect([...near.keys()].sort()).toEqual(['b1', 'l1', 'l2', 'l3', 'l4', 'l5']);
    expect(near.get('l5')).toBeCloseTo(50, 0);
    expect(near.get('b1')).toBeCloseTo(25, 0);
  });

  it('measures along the path, not as the crow flies', () => {
    // l0 → b1: 75 m along l1, l2, l3 then 25 m up the branch = 100 m.
    expect(graph.within('l0', 200).get('b1')).toBeCloseTo(100, 0);
  });

  it('knows nothing of unknown lamps', () => {
    expect(graph.within('nope', 100).size).toBe(0);
  });
});

describe('PresenceTracker', () => {
  const detect = (
    t: PresenceTracker,
    lamp: string,
    at: number,
    mode: 'pedestrian' | 'cyclist' = 'pedestrian',
  ) => t.detect({ lampIds: [lamp], mode, at }, graph, () => settings);
  const keys = (m: { keys(): Iterable<string> }) => [...m.keys()].sort();

  it('raises the lamps within the look-ahead of the mode, holding the further ones longer', () => {
    const { raised } = detect(new PresenceTracker(), 'l0', 1_000);
    expect(keys(raised)).toEqual(['l0', 'l1', 'l2']);
    expect(raised.get('l0')).toEqual({ from: 1_000, until: 31_000 });
    // 50 m at 1.25 m/s = 40 s more to hold.
    expect(raised.get('l2')?.until).toBeCloseTo(71_000, -2);
    const far = detect(new PresenceTracker(), 'l0', 1_000, 'cyclist').raised;
    expect(keys(far)).toEqual(['b1', 'l0', 'l1', 'l2', 'l3', 'l4', 'l5']);
  });

  it('raises a lamp ahead shortly before the person can reach its pool of light, not at once', () => {
    const tracker = new PresenceTracker();
    const hold = detect(tracker, 'l0', 0).raised.get('l2');
    // 40 m to l2's pool at 1.5 × 1.25 m/s = 21.3 s, less 1 s of ramp and 4 s of margin.
    expect(hold?.from).toBeCloseTo(16_333, -1);
    expect(tracker.activeUntil('l0', 0)).toBe(30_000);
    expect(tracker.activeUntil('l2', 0)).toBeUndefined();
    expect(tracker.activeUntil('l2', hold?.from ?? 0)).toBe(hold?.until);
    // A second walker's later hold on the same lamp stands apart.
    detect(tracker, 'l2', 200_000);
    expect(tracker.activeUntil('l2', 100_000)).toBeUndefined();
    expect(tracker.activeUntil('l2', 200_000)).toBe(230_000);
  });

  it('goes ahead only once the direction shows, and gives up the branches not taken', () => {
    const tracker = new PresenceTracker();
    expect(keys(detect(tracker, 'l2', 0).raised)).toEqual(['b1', 'l0', 'l1', 'l2', 'l3', 'l4']);
    // 22 s later at l3, 25 m on: they came from l2. Ahead: l3, l4, l5 and the branch b1; the
    // first sighting's holds behind l2 (l1, l0) are withdrawn; l2 keeps its own.
    const next = detect(tracker, 'l3', 22_000);
    expect(keys(next.raised)).toEqual(['b1', 'l3', 'l4', 'l5']);
    expect(keys(next.withdrawn)).toEqual(['l0', 'l1']);
    expect(tracker.activeUntil('l1', 22_000)).toBeUndefined();
    expect(tracker.activeUntil('l2', 22_000)).toBe(30_000);
  });

  it('keeps what others hold when it gives up a branch', () => {
    const tracker = new PresenceTracker();
    detect(tracker, 'l0', 0); // someone else at l0 holds l0, l1, l2
    detect(tracker, 'l2', 1_000);
    detect(tracker, 'l3', 20_000); // the second walker went on from l2 to l3
    expect(tracker.activeUntil('l1', 20_000)).toBeDefined();
  });

  it('lights every way when people come from several sides, or the earlier sighting is too old', () => {
    const tracker = new PresenceTracker();
    detect(tracker, 'l2', 0);
    detect(tracker, 'l4', 1_000);
    const both = detect(tracker, 'l3', 15_000);
    expect(both.withdrawn.size).toBe(0);
    expect(tracker.activeUntil('l2', 15_000)).toBeDefined();
    const late = new PresenceTracker();
    detect(late, 'l2', 0);
    // 25 m at 40 % of 1.25 m/s takes 50 s, plus 3 s of slack: 60 s later is someone else.
    expect(detect(late, 'l3', 60_000).raised.has('l1')).toBe(true);
    // A cyclist before does not tell a walker's direction.
    const mixed = new PresenceTracker();
    detect(mixed, 'l2', 0, 'cyclist');
    expect(detect(mixed, 'l3', 5_000).raised.has('l1')).toBe(true);
  });

  it('reports only holds that grow, and lets them lapse', () => {
    const tracker = new PresenceTracker();
    detect(tracker, 'l0', 0);
    expect(detect(tracker, 'l0', 10_000).raised.get('l0')).toEqual({ from: 10_000, until: 40_000 });
    expect(detect(tracker, 'l0', 5_000).raised.size).toBe(0);
    expect(tracker.activeUntil('l0', 35_000)).toBe(40_000);
    expect(tracker.expire(40_000)).toContain('l0');
    expect(tracker.presenceUntil('l0')).toBeUndefined();
  });
});

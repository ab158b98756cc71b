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
  it('raises the lamps ahead within the look-ahead of the mode, holding the further ones longer', () => {
    const tracker = new PresenceTracker();
    const raised = tracker.detect(
      { lampIds: ['l0'], mode: 'pedestrian', at: 1_000 },
      graph,
      () => settings,
    );
    expect([...raised.keys()].sort()).toEqual(['l0', 'l1', 'l2']);
    expect(raised.get('l0')).toEqual({ from: 1_000, until: 31_000 });
    // 50 m at 1.25 m/s = 40 s more; the earliest arrival (at 1.875 m/s) is after 26.7 s, so
    // the lamp rises 6 s (ramp and margin) before that.
    expect(raised.get('l2')?.until).toBeCloseTo(71_000, -2);
    expect(raised.get('l2')?.from).toBeCloseTo(21_667, -2);

    const cyclist = new PresenceTracker();
    const far = cyclist.detect(
      { lampIds: ['l0'], mode: 'cyclist', at: 1_000 },
      graph,
      () => settings,
    );
    expect([...far.keys()].sort()).toEqual(['b1', 'l0', 'l1', 'l2', 'l3', 'l4', 'l5']);
  });

  it('lights ahead only once the direction shows: the walker came from the lamp that saw them just before', () => {
    const tracker = new PresenceTracker();
    const first = tracker.detect(
      { lampIds: ['l2'], mode: 'pedestrian', at: 0 },
      graph,
      () => settings,
    );
    expect([...first.keys()].sort()).toEqual(['b1', 'l0', 'l1', 'l2', 'l3', 'l4']);
    // 22 s later at l3 (25 m on): they came from l2, so l2 and beyond are not raised again.
    const next = tracker.detect(
      { lampIds: ['l3'], mode: 'pedestrian', at: 22_000 },
      graph,
      () => settings,
    );
    expect([...next.keys()].sort()).toEqual(['b1', 'l3', 'l4', 'l5']);
    expect(tracker.presenceUntil('l1')).toBe(first.get('l1')?.until);
  });

  it('lights every way when people come from several sides, or the earlier sighting is too old', () => {
    const tracker = new PresenceTracker();
    tracker.detect({ lampIds: ['l2'], mode: 'pedestrian', at: 0 }, graph, () => settings);
    tracker.detect({ lampIds: ['l4'], mode: 'pedestrian', at: 1_000 }, graph, () => settings);
    const both = tracker.detect(
      { lampIds: ['l3'], mode: 'pedestrian', at: 15_000 },
      graph,
      () => settings,
    );
    expect(both.has('l2') || tracker.presenceUntil('l2') !== undefined).toBe(true);
    expect([
      ...tracker
        .detect({ lampIds: ['l3'], mode: 'pedestrian', at: 15_000 }, graph, () => settings)
        .keys(),
    ]).toEqual([]);
    const late = new PresenceTracker();
    late.detect({ lampIds: ['l2'], mode: 'pedestrian', at: 0 }, graph, () => settings);
    // 25 m at 40 % of 1.25 m/s takes 50 s, plus 3 s of slack: 60 s later is someone else.
    const other = late.detect(
      { lampIds: ['l3'], mode: 'pedestrian', at: 60_000 },
      graph,
      () => settings,
    );
    expect(other.has('l1')).toBe(true);
    // A cyclist before does not tell a walker's direction.
    const mixed = new PresenceTracker();
    mixed.detect({ lampIds: ['l2'], mode: 'cyclist', at: 0 }, graph, () => settings);
    expect(
      mixed
        .detect({ lampIds: ['l3'], mode: 'pedestrian', at: 5_000 }, graph, () => settings)
        .has('l1'),
    ).toBe(true);
  });

  it('holds a lamp ahead from shortly before the person can arrive, not at once', () => {
    const tracker = new PresenceTracker();
    const raised = tracker.detect(
      { lampIds: ['l0'], mode: 'pedestrian', at: 0 },
      graph,
      () => settings,
    );
    const hold = raised.get('l2');
    expect(tracker.activeUntil('l0', 0)).toBe(30_000);
    expect(tracker.activeUntil('l2', 0)).toBeUndefined();
    expect(tracker.activeUntil('l2', hold?.from ?? 0)).toBe(hold?.until);
    // A second walker's later hold on the same lamp is kept apart, not merged across the gap.
    tracker.detect({ lampIds: ['l2'], mode: 'pedestrian', at: 200_000 }, graph, () => settings);
    expect(tracker.activeUntil('l2', 100_000)).toBeUndefined();
    expect(tracker.activeUntil('l2', 200_000)).toBe(230_000);
  });

  it('extends a hold but never shortens it, and lets it lapse', () => {
    const tracker = new PresenceTracker();
    tracker.detect({ lampIds: ['l0'], mode: 'pedestrian', at: 0 }, graph, () => settings);
    const again = tracker.detect(
      { lampIds: ['l0'], mode: 'pedestrian', at: 10_000 },
      graph,
      () => settings,
    );
    expect(again.get('l0')).toEqual({ from: 0, until: 40_000 });
    const earlier = tracker.detect(
      { lampIds: ['l0'], mode: 'pedestrian', at: 5_000 },
      graph,
      () => settings,
    );
    expect(earlier.size).toBe(0);
    expect(tracker.presenceUntil('l0')).toBe(40_000);
    expect(tracker.expire(40_000)).toContain('l0');
    expect(tracker.presenceUntil('l0')).toBeUndefined();
  });
});

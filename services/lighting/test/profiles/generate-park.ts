// Generates the Warandepark bench profile: the Parc de Bruxelles between the Royal Palace
// (south) and the Federal Parliament (north), loosely — a rectangle of 320 m × 450 m with its
// long axis north–south as in the real park; a perimeter path; a central axis from the
// Parliament gate through a basin, a ring round the central fountain and a second basin to the
// palace gate; a cross axis and two diagonals meeting at the fountain; an inner loop and cross
// alleys; gates at the corners and in the middle of each side. Lamps stand at every junction
// and every 20–30 m in between. Then one winter night of pedestrians and cyclists, each from a
// gate to another gate along a shortest or near-shortest path (cyclists only on the wide paths:
// perimeter, axes, fountain ring, basins). Deterministic: a seeded PRNG, no Math.random, no
// clock. Format and meaning of every field: README.md beside this file.
//
//   node --conditions=source --import tsx services/lighting/test/profiles/generate-park.ts \
//     > services/lighting/test/profiles/warandepark.json
import { pathToFileURL } from 'node:url';
import { createRandom as createSeededRandom } from '@slimstad/simulator/domain/random';
import type { BenchLamp, BenchPasser, BenchProfile } from './profile-file.js';

const SEED = 20261123;
const CENTRE = { latitude: 50.845, longitude: 4.364 };
const HALF_WIDTH = 160; // m, east–west
const HALF_HEIGHT = 225; // m, north–south
const RING_RADIUS = 25; // m, path around the central fountain
const INSET = 40; // m, the inner loop from the perimeter
const BASIN_OFFSET = 150; // m, the basins north and south of the fountain, on the axis
const BASIN_RADIUS = 18; // m, paths around them
const ALLEYS_Y = [112.5, 56.25, -56.25, -112.5]; // m, east–west cross alleys
const ALLEYS_X = [-80, 80]; // m, north–south alleys either side of the axis, end to end
const LANES_X = [-40, 40]; // m, north–south lanes inside the inner loop
const TARGET_SPACING = 25; // m between lamps along a path
const MAX_SPACING = 30; // m, never further apart (short stretches between junctions may be closer)
const PEDESTRIANS = 1500;
const CYCLISTS = 500;
const REPLAY = { start: '2026-11-23T16:30:00Z', end: '2026-11-24T07:00:00Z' };

/** The simulator's seeded PRNG, plus a weighted pick. */
function createRandom(seed: number) {
  const random = createSeededRandom(seed);
  const weighted = <T>(items: readonly (readonly [T, number])[]): T => {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = random.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  };
  return { next: random.next, normal: random.normal, weighted };
}
type Random = ReturnType<typeof createRandom>;

// --- Geometry, in metres east (x) and north (y) of the park's centre ------------------------

interface Point {
  x: number;
  y: number;
}
interface PathKind {
  name: string;
  watts: number;
  /** Wide enough for bicycles. */
  cycle: boolean;
}

const PERIMETER: PathKind = { name: 'perimeter', watts: 50, cycle: true };
const CENTRAL_AXIS: PathKind = { name: 'central axis', watts: 80, cycle: true };
const CROSS_AXIS: PathKind = { name: 'cross axis', watts: 60, cycle: true };
const RING: PathKind = { name: 'fountain ring', watts: 60, cycle: true };
const BASIN: PathKind = { name: 'basin', watts: 50, cycle: true };
const DIAGONAL: PathKind = { name: 'diagonal', watts: 50, cycle: false };
const ALLEY: PathKind = { name: 'alley', watts: 40, cycle: false };
const INNER: PathKind = { name: 'inner loop', watts: 40, cycle: false };

const W = HALF_WIDTH;
const H = HALF_HEIGHT;
const p = (x: number, y: number): Point => ({ x, y });
const around = (centre: Point, radius: number, deg: number) =>
  p(
    centre.x + radius * Math.cos((deg * Math.PI) / 180),
    centre.y + radius * Math.sin((deg * Math.PI) / 180),
  );
const closed = (points: Point[]) => [...points, points[0]!];
const CENTRE_M = p(0, 0);
const NORTH_BASIN = p(0, BASIN_OFFSET);
const SOUTH_BASIN = p(0, -BASIN_OFFSET);
const onRing = (deg: number) => around(CENTRE_M, RING_RADIUS, deg);
const DIAGONAL_DEG = (Math.atan2(H, W) * 180) / Math.PI;
const ringAngles = [0, 1, 2, 3].flatMap((q) => [
  q * 90,
  q * 90 + (q % 2 ? 90 - DIAGONAL_DEG : DIAGONAL_DEG),
]);
const basinAngles = [30, 90, 150, 210, 270, 330];

/** The paths, in the order their lamps are numbered. */
const POLYLINES: { kind: PathKind; points: Point[] }[] = [
  // Clockwise from the north-west gate (Rue Royale × Rue de la Loi).
  {
    kind: PERIMETER,
    points: closed([p(-W, H), p(0, H), p(W, H), p(W, 0), p(W, -H), p(0, -H), p(-W, -H), p(-W, 0)]),
  },
  // North to south: Parliament gate, the great basin, the fountain, the palace basin, the palace.
  { kind: CENTRAL_AXIS, points: [p(0, H), around(NORTH_BASIN, BASIN_RADIUS, 90)] },
  { kind: BASIN, points: closed(basinAngles.map((d) => around(NORTH_BASIN, BASIN_RADIUS, d))) },
  { kind: CENTRAL_AXIS, points: [around(NORTH_BASIN, BASIN_RADIUS, 270), onRing(90)] },
  { kind: RING, points: closed(ringAngles.map(onRing)) },
  { kind: CENTRAL_AXIS, points: [onRing(270), around(SOUTH_BASIN, BASIN_RADIUS, 90)] },
  { kind: BASIN, points: closed(basinAngles.map((d) => around(SOUTH_BASIN, BASIN_RADIUS, d))) },
  { kind: CENTRAL_AXIS, points: [around(SOUTH_BASIN, BASIN_RADIUS, 270), p(0, -H)] },
  { kind: CROSS_AXIS, points: [p(-W, 0), onRing(180)] },
  { kind: CROSS_AXIS, points: [onRing(0), p(W, 0)] },
  { kind: DIAGONAL, points: [p(-W, H), onRing(180 - DIAGONAL_DEG)] },
  { kind: DIAGONAL, points: [p(W, H), onRing(DIAGONAL_DEG)] },
  { kind: DIAGONAL, points: [p(W, -H), onRing(360 - DIAGONAL_DEG)] },
  { kind: DIAGONAL, points: [p(-W, -H), onRing(180 + DIAGONAL_DEG)] },
  {
    kind: INNER,
    points: closed([
      p(-W + INSET, H - INSET),
      p(W - INSET, H - INSET),
      p(W - INSET, -H + INSET),
      p(-W + INSET, -H + INSET),
    ]),
  },
  ...ALLEYS_Y.map((y) => ({ kind: ALLEY, points: [p(-W, y), p(W, y)] })),
  ...ALLEYS_X.map((x) => ({ kind: ALLEY, points: [p(x, H), p(x, -H)] })),
  ...LANES_X.map((x) => ({ kind: ALLEY, points: [p(x, H - INSET), p(x, -H + INSET)] })),
];

/** Gates: where people enter and leave, with how many use each (Place Royale and the
 * Parliament side are busiest). */
const GATES: { name: string; at: Point; weight: number }[] = [
  { name: 'north-west (Rue Royale × Rue de la Loi)', at: p(-W, H), weight: 2 },
  { name: 'north (Parliament)', at: p(0, H), weight: 3 },
  { name: 'north-east (Rue Ducale × Rue de la Loi)', at: p(W, H), weight: 1.5 },
  { name: 'east (Rue Ducale)', at: p(W, 0), weight: 1.2 },
  { name: 'south-east (Place des Palais)', at: p(W, -H), weight: 1.5 },
  { name: 'south (Royal Palace)', at: p(0, -H), weight: 2.5 },
  { name: 'south-west (Place Royale)', at: p(-W, -H), weight: 3 },
  { name: 'west (Rue Royale)', at: p(-W, 0), weight: 2 },
];

interface Segment {
  a: Point;
  b: Point;
  kind: PathKind;
  /** Where junctions split it, as fractions 0…1 of its length. */
  cuts: number[];
}

/** Fractions along both segments where they meet (crossing, touching or T-junction). */
function meet(s: Segment, t: Segment): [number, number] | undefined {
  const r = { x: s.b.x - s.a.x, y: s.b.y - s.a.y };
  const q = { x: t.b.x - t.a.x, y: t.b.y - t.a.y };
  const denom = r.x * q.y - r.y * q.x;
  if (Math.abs(denom) < 1e-9) return undefined; // parallel paths never share a stretch here
  const d = { x: t.a.x - s.a.x, y: t.a.y - s.a.y };
  const u = (d.x * q.y - d.y * q.x) / denom;
  const v = (d.x * r.y - d.y * r.x) / denom;
  const eps = 1e-9;
  return u >= -eps && u <= 1 + eps && v >= -eps && v <= 1 + eps
    ? [Math.min(1, Math.max(0, u)), Math.min(1, Math.max(0, v))]
    : undefined;
}

const dist = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);
const lerp = (a: Point, b: Point, f: number) => p(a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f);

interface GraphLamp {
  at: Point;
  watts: number;
  neighbours: Set<number>;
  cycleNeighbours: Set<number>;
}

function buildLamps(): GraphLamp[] {
  const segments: Segment[] = POLYLINES.flatMap(({ kind, points }) =>
    points.slice(1).map((b, i) => ({ a: points[i]!, b, kind, cuts: [0, 1] })),
  );
  for (let i = 0; i < segments.length; i++) {
    for (let j = i + 1; j < segments.length; j++) {
      const hit = meet(segments[i]!, segments[j]!);
      if (!hit) continue;
      segments[i]!.cuts.push(hit[0]);
      segments[j]!.cuts.push(hit[1]);
    }
  }
  const lamps: GraphLamp[] = [];
  // Junctions are shared: points within half a metre are one lamp.
  const lampAt = (at: Point, watts: number): number => {
    let index = lamps.findIndex((l) => dist(l.at, at) < 0.5);
    if (index < 0) {
      index = lamps.length;
      lamps.push({ at, watts, neighbours: new Set(), cycleNeighbours: new Set() });
    }
    lamps[index]!.watts = Math.max(lamps[index]!.watts, watts);
    return index;
  };
  const join = (a: number, b: number, cycle: boolean) => {
    if (a === b) return;
    lamps[a]!.neighbours.add(b);
    lamps[b]!.neighbours.add(a);
    if (cycle) {
      lamps[a]!.cycleNeighbours.add(b);
      lamps[b]!.cycleNeighbours.add(a);
    }
  };
  for (const s of segments) {
    const cuts = [...new Set(s.cuts.map((c) => Math.round(c * 1e6) / 1e6))].sort((x, y) => x - y);
    for (let k = 0; k + 1 < cuts.length; k++) {
      const from = lerp(s.a, s.b, cuts[k]!);
      const to = lerp(s.a, s.b, cuts[k + 1]!);
      const length = dist(from, to);
      if (length < 0.5) continue;
      const pieces = Math.max(
        1,
        Math.round(length / TARGET_SPACING),
        Math.ceil(length / MAX_SPACING),
      );
      let previous = lampAt(from, s.kind.watts);
      for (let n = 1; n <= pieces; n++) {
        const next = lampAt(lerp(from, to, n / pieces), s.kind.watts);
        join(previous, next, s.kind.cycle);
        previous = next;
      }
    }
  }
  return lamps;
}

// --- Coordinates --------------------------------------------------------------------------

const METRES_PER_DEGREE = (6_371_008.8 * Math.PI) / 180;
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
const toGeo = (at: Point) => ({
  latitude: round6(CENTRE.latitude + at.y / METRES_PER_DEGREE),
  longitude: round6(
    CENTRE.longitude + at.x / (METRES_PER_DEGREE * Math.cos((CENTRE.latitude * Math.PI) / 180)),
  ),
});

// --- People -------------------------------------------------------------------------------

/**
 * How many people start in each half hour, from 17:30 local (16:30 UTC): busy until 21:00,
 * thinning to almost nobody after 01:00, a morning commute from 06:30. Relative weights.
 */
const HALF_HOURS: readonly number[] = [
  ...[10, 11, 10, 9, 8, 7, 6], // 17:30–21:00, the evening
  ...[4.5, 3.5, 3, 2.5, 2, 1.5, 1, 0.6], // 21:00–01:00, thinning
  ...[0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05], // 01:00–05:00, a handful
  ...[0.15, 0.3, 0.6, 1.5, 2.5, 3], // 05:00–08:00, the morning commute from 06:30
];

/** Shortest path from `from` to `to` over `edges`, each edge's length scaled by `detour`. */
function route(
  lamps: readonly GraphLamp[],
  from: number,
  to: number,
  edges: (lamp: GraphLamp) => Set<number>,
  detour: (a: number, b: number) => number,
): number[] | undefined {
  const best = new Float64Array(lamps.length).fill(Number.POSITIVE_INFINITY);
  const via = new Int32Array(lamps.length).fill(-1);
  const done = new Uint8Array(lamps.length);
  best[from] = 0;
  for (;;) {
    let current = -1;
    for (let i = 0; i < lamps.length; i++) {
      if (
        !done[i] &&
        best[i]! < Number.POSITIVE_INFINITY &&
        (current < 0 || best[i]! < best[current]!)
      )
        current = i;
    }
    if (current < 0) return undefined;
    if (current === to) break;
    done[current] = 1;
    for (const next of edges(lamps[current]!)) {
      const d = best[current]! + dist(lamps[current]!.at, lamps[next]!.at) * detour(current, next);
      if (d < best[next]!) {
        best[next] = d;
        via[next] = current;
      }
    }
  }
  const path = [to];
  while (path[0] !== from) path.unshift(via[path[0]!]!);
  return path;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const round2 = (n: number) => Math.round(n * 100) / 100;
const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));

function makePassers(
  lamps: readonly GraphLamp[],
  ids: readonly string[],
  random: Random,
): BenchPasser[] {
  const gateLamp = (at: Point) => {
    const index = lamps.findIndex((l) => dist(l.at, at) < 0.5);
    if (index < 0) throw new Error(`no lamp at gate ${at.x},${at.y}`);
    return index;
  };
  const gates = GATES.map((g) => [gateLamp(g.at), g.weight] as const);
  const startMs = Date.parse(REPLAY.start);
  const endMs = Date.parse(REPLAY.end);
  const bins = HALF_HOURS.map((w, i) => [i, w] as const);
  const people: (Omit<BenchPasser, 'id'> & { at: number })[] = [];
  const modes = [
    ...Array.from({ length: PEDESTRIANS }, () => 'pedestrian' as const),
    ...Array.from({ length: CYCLISTS }, () => 'cyclist' as const),
  ];
  for (const mode of modes) {
    const cyclist = mode === 'cyclist';
    const from = random.weighted(gates);
    let to = from;
    while (to === from) to = random.weighted(gates);
    // Near-shortest: every edge looks up to 30 % (cyclists 10 %) longer to this person.
    const spread = cyclist ? 0.1 : 0.3;
    const bias = new Map<string, number>();
    const detour = (a: number, b: number) => {
      const key = a < b ? `${a}|${b}` : `${b}|${a}`;
      let f = bias.get(key);
      if (f === undefined) {
        f = 1 + spread * random.next();
        bias.set(key, f);
      }
      return f;
    };
    const path = route(
      lamps,
      from,
      to,
      (l) => (cyclist ? l.cycleNeighbours : l.neighbours),
      detour,
    );
    if (!path) throw new Error(`no ${mode} route between gates ${ids[from]} and ${ids[to]}`);
    const speedMps = cyclist
      ? round2(clamp(5.5 + 0.7 * random.normal(), 4, 7))
      : round2(clamp(1.35 + 0.15 * random.normal(), 1, 1.7));
    let meters = 0;
    for (let k = 1; k < path.length; k++)
      meters += dist(lamps[path[k - 1]!]!.at, lamps[path[k]!]!.at);
    const travelMs = (meters / speedMps) * 1000;
    // Whole seconds, and out of the park before the replay ends.
    let at: number;
    do {
      const bin = random.weighted(bins);
      at = Math.floor((startMs + (bin + random.next()) * 1_800_000) / 1000) * 1000;
    } while (at + travelMs >= endMs);
    people.push({ at, start: iso(at), mode, speedMps, route: path.map((i) => ids[i]!) });
  }
  people.sort((a, b) => a.at - b.at);
  return people.map(({ at: _, ...rest }, i) => ({
    id: `p-${String(i + 1).padStart(4, '0')}`,
    ...rest,
  }));
}

export function generatePark(): BenchProfile {
  const random = createRandom(SEED);
  const graph = buildLamps();
  const width = Math.max(3, String(graph.length).length);
  const ids = graph.map((_, i) => `wp-${String(i + 1).padStart(width, '0')}`);
  const byNumber = (a: number, b: number) => a - b;
  // Gate sensors watch the approach from the street (25 m); the others their lamp's stretch
  // of path (12 m).
  const gates = new Set(GATES.map((g) => graph.findIndex((l) => dist(l.at, g.at) < 0.5)));
  const lamps: BenchLamp[] = graph.map((lamp, i) => ({
    id: ids[i]!,
    location: toGeo(lamp.at),
    ratedPowerWatts: lamp.watts,
    minLevel: 10,
    neighbours: [...lamp.neighbours].sort(byNumber).map((n) => ids[n]!),
    detectors: [`pr-${ids[i]}`],
    ...(gates.has(i) ? { detectionRangeMeters: 25 } : {}),
  }));
  return {
    name: 'Warandepark, Brussels — a winter night',
    zone: {
      id: 'warandepark',
      name: 'Warandepark',
      kind: 'park',
      location: { latitude: CENTRE.latitude, longitude: CENTRE.longitude },
      timeZone: 'Europe/Brussels',
    },
    profile: {
      duskOffsetMinutes: 0,
      dawnOffsetMinutes: 0,
      weekday: { baseLevel: 20, presenceLevel: 100 },
      holdSeconds: 30,
      rampUpSeconds: 0.5,
      rampDownSeconds: 20,
      // A detector at every lamp: the look-ahead need only reach past the next one or two.
      pedestrian: { distanceMeters: 40, speedMetersPerSecond: 1.4 },
      cyclist: { distanceMeters: 100, speedMetersPerSecond: 5.5 },
      fallbackLevel: 50,
    },
    replay: { ...REPLAY },
    detectionRangeMeters: 12,
    litWithinMeters: 5,
    lamps,
    passers: makePassers(graph, ids, random),
  };
}

/**
 * JSON with one lamp or passer per line: small enough to review in a diff, and each lamp
 * greppable by its id.
 */
export function formatProfile(profile: BenchProfile): string {
  const { lamps, passers, ...head } = profile;
  const top = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  const list = (items: readonly unknown[]) =>
    items.length === 0
      ? '[]'
      : `[\n${items.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`;
  return `${top},\n  "lamps": ${list(lamps)},\n  "passers": ${list(passers)}\n}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(formatProfile(generatePark()));
}

// Geometry for CAP areas and resource points: CAP's WGS 84 "lat,lon" notation (§3.2.4: a
// polygon is at least four points with the first equal to the last; a circle is "lat,lon
// radius" with the radius in km), the centre of an area, great-circle distances, and the k
// nearest resource points (e.g. sandbag distribution) to an area. Pure.
import { EARTH_RADIUS_M, greatCircleMeters } from '@slimstad/kit/geo';

export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}

export interface Circle {
  readonly center: LatLon;
  readonly radiusKm: number;
}

/** A resource point from the registry (sandbag distribution, shelter, …). */
export interface ResourcePoint extends LatLon {
  readonly id: string;
  readonly name: string;
  /** E.g. `sandbags`, `shelter`. */
  readonly kind: string;
  /** Opening hours or notes shown to people, e.g. `08:00–20:00, bring ID`. */
  readonly opening?: string;
}

export interface NearbyPoint {
  readonly point: ResourcePoint;
  readonly distanceKm: number;
}

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000;

export function checkLatLon(p: LatLon, field: string): void {
  if (!Number.isFinite(p.lat) || p.lat < -90 || p.lat > 90)
    throw new Error(`${field}: latitude ${p.lat} is not within -90..90`);
  if (!Number.isFinite(p.lon) || p.lon < -180 || p.lon > 180)
    throw new Error(`${field}: longitude ${p.lon} is not within -180..180`);
}

const same = (a: LatLon, b: LatLon) => a.lat === b.lat && a.lon === b.lon;

/** The ring closed (first point repeated at the end if it is not already); ≥ 3 distinct points. */
export function closePolygon(points: readonly LatLon[], field = 'polygon'): LatLon[] {
  points.forEach((p, i) => {
    checkLatLon(p, `${field}[${i}]`);
  });
  const ring =
    points.length > 1 && same(points[0]!, points.at(-1)!)
      ? [...points]
      : [...points, ...points.slice(0, 1)];
  if (ring.length < 4)
    throw new Error(
      `${field}: a polygon needs at least 3 distinct points (CAP: 4 with the closing point)`,
    );
  return ring;
}

/** Up to 6 decimals (≈ 0.1 m), no trailing zeros. */
export function formatCoordinate(value: number): string {
  const s = value.toFixed(6).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

export const formatPoint = (p: LatLon): string =>
  `${formatCoordinate(p.lat)},${formatCoordinate(p.lon)}`;

/** CAP `<polygon>` text: the closed ring as space-separated `lat,lon` pairs. */
export function formatPolygon(points: readonly LatLon[]): string {
  return closePolygon(points).map(formatPoint).join(' ');
}

/** CAP `<circle>` text: `lat,lon radius`. */
export function formatCircle(circle: Circle): string {
  checkLatLon(circle.center, 'circle');
  if (!Number.isFinite(circle.radiusKm) || circle.radiusKm < 0)
    throw new Error(`circle: radius ${circle.radiusKm} km is not ≥ 0`);
  return `${formatPoint(circle.center)} ${formatCoordinate(circle.radiusKm)}`;
}

const NUMBER = '[-+]?(?:\\d+\\.?\\d*|\\.\\d+)';
const PAIR = new RegExp(`^(${NUMBER}),(${NUMBER})$`);

function parsePair(text: string, field: string): LatLon {
  const m = PAIR.exec(text);
  if (!m) throw new Error(`${field}: ${JSON.stringify(text)} is not a "lat,lon" pair`);
  const p = { lat: Number(m[1]), lon: Number(m[2]) };
  checkLatLon(p, field);
  return p;
}

/** Parses CAP polygon text; requires ≥ 4 points and a closed ring. */
export function parsePolygon(text: string, field = 'polygon'): LatLon[] {
  const points = text
    .trim()
    .split(/\s+/)
    .map((pair, i) => parsePair(pair, `${field}[${i}]`));
  if (points.length < 4)
    throw new Error(`${field}: a CAP polygon needs at least 4 points, got ${points.length}`);
  if (!same(points[0]!, points.at(-1)!))
    throw new Error(`${field}: the first and last points must be equal (closed ring)`);
  return points;
}

/** Parses CAP circle text `lat,lon radius`. */
export function parseCircle(text: string, field = 'circle'): Circle {
  const [pair, radius, ...rest] = text.trim().split(/\s+/);
  if (!pair || radius === undefined || rest.length > 0 || !new RegExp(`^${NUMBER}$`).test(radius)) {
    throw new Error(`${field}: ${JSON.stringify(text)} is not "lat,lon radius"`);
  }
  return { center: parsePair(pair, field), radiusKm: Number(radius) };
}

/** Great-circle distance (haversine, the kit's), km. */
export function distanceKm(a: LatLon, b: LatLon): number {
  return greatCircleMeters(a.lat, a.lon, b.lat, b.lon) / 1000;
}

/**
 * The centroid of a polygon (area-weighted, planar in lat/lon — accurate at city scale, which
 * is what warning areas are); the mean of the vertices for a degenerate (zero-area) ring.
 */
export function polygonCentroid(points: readonly LatLon[]): LatLon {
  const ring = closePolygon(points);
  // Relative to the first vertex: the shoelace sums then stay small and lose no precision.
  const o = ring[0]!;
  let area = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const px = ring[i]!.lon - o.lon;
    const py = ring[i]!.lat - o.lat;
    const qx = ring[i + 1]!.lon - o.lon;
    const qy = ring[i + 1]!.lat - o.lat;
    const cross = px * qy - qx * py;
    area += cross;
    cx += (px + qx) * cross;
    cy += (py + qy) * cross;
  }
  const span = Math.max(
    ...ring.map((p) => Math.max(Math.abs(p.lat - o.lat), Math.abs(p.lon - o.lon))),
  );
  if (Math.abs(area) <= 1e-9 * span * span) {
    const vs = ring.slice(0, -1);
    return {
      lat: vs.reduce((s, p) => s + p.lat, 0) / vs.length,
      lon: vs.reduce((s, p) => s + p.lon, 0) / vs.length,
    };
  }
  return { lat: o.lat + cy / (3 * area), lon: o.lon + cx / (3 * area) };
}

/** An area's reference point: the centroid of its polygon or the centre of its circle. */
export function areaCenter(area: { polygon: readonly LatLon[] } | { circle: Circle }): LatLon {
  return 'polygon' in area ? polygonCentroid(area.polygon) : area.circle.center;
}

/**
 * The `k` resource points nearest to `from` (optionally only of `kind`), nearest first, ties
 * by id so the answer is deterministic.
 */
export function nearestResourcePoints(
  from: LatLon,
  points: readonly ResourcePoint[],
  options: { k: number; kind?: string },
): NearbyPoint[] {
  if (!Number.isInteger(options.k) || options.k < 0)
    throw new Error(`k must be a non-negative integer, got ${options.k}`);
  checkLatLon(from, 'area centre');
  return points
    .filter((p) => options.kind === undefined || p.kind === options.kind)
    .map((point, i) => {
      checkLatLon(point, `resource point ${point.id ?? i}`);
      return { point, distanceKm: distanceKm(from, point) };
    })
    .sort(
      (a, b) =>
        a.distanceKm - b.distanceKm ||
        (a.point.id < b.point.id ? -1 : a.point.id > b.point.id ? 1 : 0),
    )
    .slice(0, options.k);
}

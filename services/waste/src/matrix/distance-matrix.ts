// Travel times and distances between locations, for the solver. By default the great-circle
// distance times a road factor, driven at an average speed; when an OSRM-compatible service
// is configured, its `/table` service (http://project-osrm.org/docs/v5.24.0/api/#table-service).
// If OSRM fails (unreachable, timeout, an error code, a malformed or incomplete answer) the
// planner falls back to great-circle and says so in the plan's `matrix_source`: a route on
// estimated times beats no route for the morning round, and the operator can see why.
import type { GeoPoint } from '../domain/model.js';

export interface DistanceMatrix {
  /** Row-major L×L, seconds. */
  durations: Float64Array;
  /** Row-major L×L, metres. */
  distances: Float64Array;
  /** `great-circle`, `osrm`, or `great-circle (osrm failed: …)`. */
  source: string;
}

export interface DistanceMatrixProvider {
  matrix(points: readonly GeoPoint[]): Promise<DistanceMatrix>;
}

const EARTH_RADIUS_M = 6_371_008.8; // mean Earth radius (IUGG)

/** Great-circle (haversine) distance in metres. */
export function haversineMeters(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function greatCircleMatrix(
  points: readonly GeoPoint[],
  options: { roadFactor: number; speedKmh: number },
): DistanceMatrix {
  const n = points.length;
  const durations = new Float64Array(n * n);
  const distances = new Float64Array(n * n);
  const metresPerSecond = (options.speedKmh * 1000) / 3600;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = haversineMeters(points[i] as GeoPoint, points[j] as GeoPoint) * options.roadFactor;
      distances[i * n + j] = distances[j * n + i] = d;
      durations[i * n + j] = durations[j * n + i] = d / metresPerSecond;
    }
  }
  return { durations, distances, source: 'great-circle' };
}

export function greatCircleProvider(options: {
  roadFactor: number;
  speedKmh: number;
}): DistanceMatrixProvider {
  return { matrix: async (points) => greatCircleMatrix(points, options) };
}

/** Asks an OSRM-compatible `/table` service; throws with the reason when it cannot. */
export async function osrmMatrix(
  baseUrl: string,
  points: readonly GeoPoint[],
  timeoutMs: number,
): Promise<DistanceMatrix> {
  const n = points.length;
  // OSRM takes lon,lat pairs; 6 decimals is ~10 cm.
  const coords = points.map((p) => `${p.longitude.toFixed(6)},${p.latitude.toFixed(6)}`).join(';');
  const url = `${baseUrl.replace(/\/+$/, '')}/table/v1/driving/${coords}?annotations=duration,distance`;
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const body = (await response.json()) as {
    code?: string;
    message?: string;
    durations?: (number | null)[][];
    distances?: (number | null)[][];
  };
  if (body.code !== 'Ok')
    throw new Error(`code ${body.code ?? 'missing'}${body.message ? `: ${body.message}` : ''}`);
  const durations = new Float64Array(n * n);
  const distances = new Float64Array(n * n);
  const fill = (rows: (number | null)[][] | undefined, out: Float64Array, what: string) => {
    if (!Array.isArray(rows) || rows.length !== n) throw new Error(`${what}: expected ${n} rows`);
    rows.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== n)
        throw new Error(`${what}: row ${i} is not ${n} long`);
      row.forEach((value, j) => {
        // null: OSRM found no route between the two points.
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
          throw new Error(`${what}: no route from point ${i} to ${j}`);
        out[i * n + j] = value;
      });
    });
  };
  fill(body.durations, durations, 'durations');
  fill(body.distances, distances, 'distances');
  return { durations, distances, source: 'osrm' };
}

/** OSRM first, great-circle when it fails (the reason kept in `source`). */
export function osrmProvider(options: {
  url: string;
  timeoutMs: number;
  fallback: { roadFactor: number; speedKmh: number };
  onFallback?: (reason: string) => void;
}): DistanceMatrixProvider {
  return {
    async matrix(points) {
      try {
        return await osrmMatrix(options.url, points, options.timeoutMs);
      } catch (error) {
        const reason = (error as Error).message || String(error);
        options.onFallback?.(reason);
        const m = greatCircleMatrix(points, options.fallback);
        return { ...m, source: `great-circle (osrm failed: ${reason})` };
      }
    },
  };
}

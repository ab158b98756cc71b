// The distance-matrix providers: great-circle checked by hand, OSRM's `/table` answered by a
// small OSRM-compatible server on loopback, and the fallback to great-circle when OSRM fails
// (unreachable, HTTP error, an error code, no route, a timeout), with the reason kept.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeoPoint } from '../domain/model.js';
import { greatCircleMatrix, haversineMeters, osrmMatrix, osrmProvider } from './distance-matrix.js';

// One degree of a great circle on the mean Earth (R = 6 371 008.8 m): R·π/180.
const DEGREE = (6_371_008.8 * Math.PI) / 180; // 111 195.08 m

describe('great-circle', () => {
  it('matches distances worked out by hand', () => {
    expect(
      haversineMeters({ latitude: 0, longitude: 0 }, { latitude: 1, longitude: 0 }),
    ).toBeCloseTo(DEGREE, 2);
    expect(
      haversineMeters({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 90 }),
    ).toBeCloseTo(90 * DEGREE, 1);
    // Along the 60th parallel a degree of longitude is cos(60°) ≈ half a degree, a little more
    // along the great circle: 2R·asin(cos 60° · sin 0.5°) = 55 596.9 m.
    expect(
      haversineMeters({ latitude: 60, longitude: 0 }, { latitude: 60, longitude: 1 }),
    ).toBeCloseTo(2 * 6_371_008.8 * Math.asin(0.5 * Math.sin(Math.PI / 360)), 2);
  });

  it('applies the road factor and the average speed, symmetric with a zero diagonal', () => {
    const m = greatCircleMatrix(
      [
        { latitude: 0, longitude: 0 },
        { latitude: 1, longitude: 0 },
      ],
      { roadFactor: 1.5, speedKmh: 36 },
    );
    expect(m.source).toBe('great-circle');
    expect(m.distances[1]).toBeCloseTo(DEGREE * 1.5, 2);
    expect(m.distances[2]).toBeCloseTo(DEGREE * 1.5, 2);
    expect(m.durations[1]).toBeCloseTo((DEGREE * 1.5) / 10, 2); // 36 km/h = 10 m/s
    expect([m.distances[0], m.distances[3], m.durations[0]]).toEqual([0, 0, 0]);
  });
});

/** An OSRM-compatible `/table` on loopback: distance = 1000 × |i − j|, duration = 100 × |i − j|. */
let server: Server;
let base: string;
const requests: string[] = [];
let behaviour: 'ok' | 'http-500' | 'code' | 'no-route' | 'slow' = 'ok';

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const match = /^\/table\/v1\/driving\/([^?]+)\?annotations=duration,distance$/.exec(
      req.url ?? '',
    );
    if (!match?.[1]) {
      res.writeHead(400).end(JSON.stringify({ code: 'InvalidUrl' }));
      return;
    }
    const n = match[1].split(';').length;
    const table = (k: number) =>
      Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => k * Math.abs(i - j)));
    if (behaviour === 'http-500') return void res.writeHead(500).end('boom');
    if (behaviour === 'code')
      return void res.end(JSON.stringify({ code: 'InvalidQuery', message: 'too many points' }));
    if (behaviour === 'slow') return void setTimeout(() => res.end('{}'), 2_000);
    const durations = table(100);
    if (behaviour === 'no-route') (durations[0] as (number | null)[])[1] = null;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ code: 'Ok', durations, distances: table(1000) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const points: GeoPoint[] = [
  { latitude: 51.05, longitude: 3.72 },
  { latitude: 51.06, longitude: 3.73 },
  { latitude: 51.07, longitude: 3.71 },
];

describe('OSRM-compatible /table', () => {
  it('asks for lon,lat pairs with both annotations and reads the matrices', async () => {
    behaviour = 'ok';
    const m = await osrmMatrix(`${base}/`, points, 1_000);
    expect(requests.at(-1)).toBe(
      '/table/v1/driving/3.720000,51.050000;3.730000,51.060000;3.710000,51.070000?annotations=duration,distance',
    );
    expect(m.source).toBe('osrm');
    expect([...m.distances]).toEqual([0, 1000, 2000, 1000, 0, 1000, 2000, 1000, 0]);
    expect([...m.durations]).toEqual([0, 100, 200, 100, 0, 100, 200, 100, 0]);
  });

  it('falls back to great-circle when OSRM fails, saying why', async () => {
    const reasons: string[] = [];
    const provider = osrmProvider({
      url: base,
      timeoutMs: 500,
      fallback: { roadFactor: 1.3, speedKmh: 25 },
      onFallback: (reason) => reasons.push(reason),
    });
    for (const b of ['http-500', 'code', 'no-route', 'slow'] as const) {
      behaviour = b;
      const m = await provider.matrix(points);
      expect(m.source).toMatch(/^great-circle \(osrm failed: .+\)$/);
      expect(m.distances[1]).toBeCloseTo(
        haversineMeters(points[0] as GeoPoint, points[1] as GeoPoint) * 1.3,
        6,
      );
    }
    expect(reasons[0]).toBe('HTTP 500');
    expect(reasons[1]).toBe('code InvalidQuery: too many points');
    expect(reasons[2]).toBe('durations: no route from point 0 to 1');
    expect(reasons[3]).toMatch(/timeout|aborted/i);
    // Unreachable: nothing listens there.
    const closed = osrmProvider({
      url: 'http://127.0.0.1:1',
      timeoutMs: 500,
      fallback: { roadFactor: 1, speedKmh: 25 },
    });
    expect((await closed.matrix(points)).source).toMatch(/^great-circle \(osrm failed: /);
    behaviour = 'ok';
    expect((await provider.matrix(points)).source).toBe('osrm');
  });
});

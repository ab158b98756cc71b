import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCapDateTime, isCapDateTime, parseCapDateTime } from './datetime.js';
import {
  closePolygon,
  distanceKm,
  formatCircle,
  formatPolygon,
  nearestResourcePoints,
  parseCircle,
  parsePolygon,
  polygonCentroid,
  type ResourcePoint,
} from './geo.js';

describe('CAP geometry', () => {
  it('measures great-circle distances', () => {
    expect(distanceKm({ lat: 0, lon: 0 }, { lat: 0, lon: 1 })).toBeCloseTo(111.195, 3);
    expect(distanceKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(
      Math.PI * 6371.0088,
      6,
    );
    // Brussels Grand-Place → Antwerp Grote Markt, about 41.8 km.
    expect(distanceKm({ lat: 50.8467, lon: 4.3525 }, { lat: 51.2213, lon: 4.3997 })).toBeCloseTo(
      41.8,
      0,
    );
  });

  it('closes polygons, writes and reads CAP lat,lon text', () => {
    const open = [
      { lat: 51.59, lon: 4.77 },
      { lat: 51.59, lon: 4.78 },
      { lat: 51.58, lon: 4.78 },
    ];
    expect(closePolygon(open)).toHaveLength(4);
    expect(closePolygon(closePolygon(open))).toHaveLength(4);
    expect(formatPolygon(open)).toBe('51.59,4.77 51.59,4.78 51.58,4.78 51.59,4.77');
    expect(parsePolygon('51.59,4.77 51.59,4.78 51.58,4.78 51.59,4.77')).toEqual(closePolygon(open));
    expect(() => parsePolygon('51.59,4.77 51.59,4.78 51.58,4.78 51.5,4.7')).toThrow(
      /first and last points must be equal/,
    );
    expect(() => closePolygon(open.slice(0, 2))).toThrow(/at least 3 distinct points/);
    expect(() => closePolygon([{ lat: 91, lon: 0 }, ...open])).toThrow(/polygon\[0\]: latitude 91/);
    expect(formatCircle({ center: { lat: -33.5, lon: 151.25 }, radiusKm: 2.5 })).toBe(
      '-33.5,151.25 2.5',
    );
    expect(parseCircle(' 51.5,4.7   10 ')).toEqual({
      center: { lat: 51.5, lon: 4.7 },
      radiusKm: 10,
    });
    expect(() => parseCircle('51.5 4.7 10')).toThrow(/not "lat,lon radius"|not a "lat,lon" pair/);
  });

  it('finds the centroid of a polygon', () => {
    const square = [
      { lat: 51, lon: 4 },
      { lat: 51, lon: 5 },
      { lat: 52, lon: 5 },
      { lat: 52, lon: 4 },
    ];
    expect(polygonCentroid(square).lat).toBeCloseTo(51.5, 9);
    expect(polygonCentroid(square).lon).toBeCloseTo(4.5, 9);
    // An L shape: the centroid is pulled towards the heavier arm, not the vertex mean.
    const l = [
      { lat: 0, lon: 0 },
      { lat: 0, lon: 3 },
      { lat: 1, lon: 3 },
      { lat: 1, lon: 1 },
      { lat: 3, lon: 1 },
      { lat: 3, lon: 0 },
    ];
    const c = polygonCentroid(l);
    expect(c.lat).toBeCloseTo(1.1, 9);
    expect(c.lon).toBeCloseTo(1.1, 9);
    // Collinear points have no area: the mean of the vertices.
    const line = polygonCentroid([
      { lat: 51.1, lon: 4.1 },
      { lat: 51.2, lon: 4.2 },
      { lat: 51.3, lon: 4.3 },
    ]);
    expect(line.lat).toBeCloseTo(51.2, 9);
    expect(line.lon).toBeCloseTo(4.2, 9);
  });

  it('the centroid of a triangle is the mean of its corners (property)', () => {
    const corner = fc.record({
      lat: fc.double({ min: 50, max: 52, noNaN: true }),
      lon: fc.double({ min: 3, max: 6, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.tuple(corner, corner, corner), (t) => {
        const [a, b, c] = t;
        const twiceArea = Math.abs(
          (b.lon - a.lon) * (c.lat - a.lat) - (c.lon - a.lon) * (b.lat - a.lat),
        );
        fc.pre(twiceArea > 1e-6);
        const m = polygonCentroid(t);
        expect(m.lat).toBeCloseTo((a.lat + b.lat + c.lat) / 3, 7);
        expect(m.lon).toBeCloseTo((a.lon + b.lon + c.lon) / 3, 7);
      }),
    );
  });

  it('nearest k: sorted, of the right kind, and nothing left out is nearer (property)', () => {
    const pointArb = fc.record({
      id: fc.string({ minLength: 1, maxLength: 4 }),
      name: fc.constant('p'),
      kind: fc.constantFrom('sandbags', 'shelter'),
      lat: fc.double({ min: 51, max: 52, noNaN: true }),
      lon: fc.double({ min: 4, max: 5, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(pointArb, { maxLength: 30 }),
        fc.record({
          lat: fc.double({ min: 51, max: 52, noNaN: true }),
          lon: fc.double({ min: 4, max: 5, noNaN: true }),
        }),
        fc.integer({ min: 0, max: 8 }),
        (points: ResourcePoint[], from, k) => {
          const near = nearestResourcePoints(from, points, { k, kind: 'sandbags' });
          const candidates = points.filter((p) => p.kind === 'sandbags');
          expect(near).toHaveLength(Math.min(k, candidates.length));
          for (let i = 1; i < near.length; i++)
            expect(near[i]!.distanceKm).toBeGreaterThanOrEqual(near[i - 1]!.distanceKm);
          const worst = near.at(-1)?.distanceKm ?? Number.POSITIVE_INFINITY;
          for (const p of candidates) {
            if (!near.some((n) => n.point === p))
              expect(distanceKm(from, p)).toBeGreaterThanOrEqual(k === 0 ? 0 : worst);
          }
          for (const n of near) expect(n.distanceKm).toBeCloseTo(distanceKm(from, n.point), 9);
        },
      ),
    );
  });
});

describe('CAP date-times', () => {
  it('writes the offset of the city time zone, -00:00 for UTC, no Z and no fractions', () => {
    const winter = new Date('2026-12-03T13:05:09.987Z');
    expect(formatCapDateTime(winter, 'Europe/Brussels')).toBe('2026-12-03T14:05:09+01:00');
    expect(formatCapDateTime(new Date('2026-07-01T10:00:00Z'), 'Europe/Brussels')).toBe(
      '2026-07-01T12:00:00+02:00',
    );
    expect(formatCapDateTime(winter)).toBe('2026-12-03T13:05:09-00:00');
    expect(formatCapDateTime(winter, 'Asia/Kolkata')).toBe('2026-12-03T18:35:09+05:30');
    expect(formatCapDateTime(winter, 'America/St_Johns')).toBe('2026-12-03T09:35:09-03:30');
    expect(isCapDateTime('2026-12-03T13:05:09Z')).toBe(false);
    expect(isCapDateTime('2026-02-30T13:05:09+01:00')).toBe(false);
    expect(isCapDateTime('2026-12-03T13:05:09.5+01:00')).toBe(false);
    expect(() => parseCapDateTime('yesterday', 'sent')).toThrow(
      /sent: "yesterday" is not a CAP date-time/,
    );
  });

  it('round-trips every instant to the second in any zone (property)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1990-01-01T00:00:00Z'),
          max: new Date('2090-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom(
          'UTC',
          'Europe/Brussels',
          'Europe/Amsterdam',
          'America/St_Johns',
          'Asia/Kolkata',
          'Pacific/Chatham',
        ),
        (date, zone) => {
          const text = formatCapDateTime(date, zone);
          expect(isCapDateTime(text)).toBe(true);
          expect(parseCapDateTime(text).getTime()).toBe(Math.floor(date.getTime() / 1000) * 1000);
        },
      ),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { EARTH_RADIUS_M, greatCircleMeters } from './geo.js';

describe('great-circle distance', () => {
  it('matches known distances and is symmetric', () => {
    expect(greatCircleMeters(0, 0, 0, 1)).toBeCloseTo(111_195.08, 1);
    expect(greatCircleMeters(0, 0, 0, 180)).toBeCloseTo(Math.PI * EARTH_RADIUS_M, 3);
    expect(greatCircleMeters(90, 0, -90, 0)).toBeCloseTo(Math.PI * EARTH_RADIUS_M, 3);
    // Brussels Grand-Place → Antwerp Grote Markt, about 41.8 km.
    expect(greatCircleMeters(50.8467, 4.3525, 51.2213, 4.3997) / 1000).toBeCloseTo(41.8, 0);
    expect(greatCircleMeters(51.2, 4.4, 50.8, 4.3)).toBe(greatCircleMeters(50.8, 4.3, 51.2, 4.4));
    expect(greatCircleMeters(51.5, 4.7, 51.5, 4.7)).toBe(0);
  });
});

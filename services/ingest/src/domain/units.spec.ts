import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertUnit } from './units.js';

describe('convertUnit', () => {
  it('converts within a dimension', () => {
    expect(convertUnit(231, 'cm', 'm')).toBeCloseTo(2.31);
    expect(convertUnit(1.5, 'kWh', 'Wh')).toBeCloseTo(1500);
    expect(convertUnit(20, 'Cel', 'K')).toBeCloseTo(293.15);
    expect(convertUnit(212, '[degF]', 'Cel')).toBeCloseTo(100);
    expect(convertUnit(36, 'km/h', 'm/s')).toBeCloseTo(10);
  });

  it('treats an empty unit as the canonical one', () => {
    expect(convertUnit(7, '', 'm')).toBe(7);
  });

  it('refuses unknown units and different dimensions', () => {
    expect(convertUnit(1, 'furlong', 'm')).toBeUndefined();
    expect(convertUnit(1, 'm', 'kg')).toBeUndefined();
    expect(convertUnit(1, '%', 'dB[A]')).toBeUndefined();
  });

  it('round-trips any value through any convertible pair', () => {
    const pairs: [string, string][] = [
      ['cm', 'km'],
      ['Cel', '[degF]'],
      ['L/min', 'm3/h'],
      ['kWh', 'MJ'],
      ['hPa', 'bar'],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...pairs),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        ([a, b], v) => {
          const there = convertUnit(v, a, b)!;
          expect(convertUnit(there, b, a)!).toBeCloseTo(v, 6);
        },
      ),
    );
  });
});

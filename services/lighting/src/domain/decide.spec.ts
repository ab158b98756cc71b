import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampLevel, decideLamp, governingOverride } from './decide.js';
import type { OverrideRule } from './model.js';
import type { ZoneMode } from './schedule.js';

const lamp = { id: 'wp-001', zoneId: 'wp', minLevel: 10 };
const night: ZoneMode = {
  kind: 'night',
  nightDate: '2026-11-23',
  levels: { baseLevel: 20, presenceLevel: 100 },
};
const override = (over: Partial<OverrideRule>): OverrideRule => ({
  id: 'o1',
  zoneId: 'wp',
  level: 100,
  startMs: 0,
  endMs: 1_000,
  reason: 'works',
  createdBy: 'olga',
  ...over,
});

describe('decideLamp', () => {
  it('dims to the base level at night and rises while presence holds', () => {
    expect(
      decideLamp({ lamp, mode: night, presenceUntil: undefined, overrides: [], now: 10 }),
    ).toEqual({
      level: 20,
      source: 'schedule',
    });
    expect(decideLamp({ lamp, mode: night, presenceUntil: 11, overrides: [], now: 10 })).toEqual({
      level: 100,
      source: 'presence',
    });
    expect(
      decideLamp({ lamp, mode: night, presenceUntil: 10, overrides: [], now: 10 }).source,
    ).toBe('schedule');
  });

  it('is off by day, whatever presence says', () => {
    const day: ZoneMode = { kind: 'day', nightDate: '2026-11-23' };
    expect(decideLamp({ lamp, mode: day, presenceUntil: 99, overrides: [], now: 10 })).toEqual({
      level: 0,
      source: 'daylight',
    });
  });

  it('follows a curfew except on excepted lamps', () => {
    const curfew: ZoneMode = {
      ...night,
      curfew: {
        start: '01:00',
        end: '05:00',
        level: 0,
        nights: 'all',
        exceptDates: [],
        exceptLampIds: ['wp-002'],
      },
    } as ZoneMode;
    expect(decideLamp({ lamp, mode: curfew, presenceUntil: 99, overrides: [], now: 10 })).toEqual({
      level: 0,
      source: 'curfew',
    });
    const excepted = { ...lamp, id: 'wp-002' };
    expect(
      decideLamp({ lamp: excepted, mode: curfew, presenceUntil: 99, overrides: [], now: 10 })
        .source,
    ).toBe('presence');
  });

  it('obeys an override over everything, a lamp override over a zone override', () => {
    const zoneWide = override({ id: 'zone', level: 50 });
    const onLamp = override({ id: 'lamp', lampId: 'wp-001', level: 0 });
    expect(
      decideLamp({ lamp, mode: night, presenceUntil: 99, overrides: [zoneWide], now: 10 }),
    ).toEqual({
      level: 50,
      source: 'override',
      overrideId: 'zone',
    });
    expect(
      decideLamp({ lamp, mode: night, presenceUntil: 99, overrides: [zoneWide, onLamp], now: 10 }),
    ).toEqual({ level: 0, source: 'override', overrideId: 'lamp' });
    // Another lamp's override and another zone's override do not apply.
    expect(
      governingOverride(lamp, [override({ lampId: 'wp-009' }), override({ zoneId: 'other' })], 10),
    ).toBeUndefined();
  });

  it('lifts a level between 0 and the minimum to the minimum', () => {
    expect(clampLevel(5, 10)).toBe(10);
    expect(clampLevel(0, 10)).toBe(0);
    expect(clampLevel(130, 10)).toBe(100);
  });
});

const arbitraryMode: fc.Arbitrary<ZoneMode> = fc.oneof(
  fc.record({ kind: fc.constant('day' as const), nightDate: fc.constant('2026-11-23') }),
  fc.record({
    kind: fc.constant('event' as const),
    level: fc.integer({ min: -50, max: 250 }),
    name: fc.constant('e'),
  }),
  fc.record({
    kind: fc.constant('special' as const),
    level: fc.integer({ min: -50, max: 250 }),
    name: fc.constant('s'),
    nightDate: fc.constant('2026-11-23'),
  }),
  fc.record({
    kind: fc.constant('night' as const),
    nightDate: fc.constant('2026-11-23'),
    levels: fc.record({
      baseLevel: fc.integer({ min: -50, max: 250 }),
      presenceLevel: fc.integer({ min: -50, max: 250 }),
    }),
  }),
);
const arbitraryOverride = fc.record({
  id: fc.constantFrom('a', 'b', 'c'),
  zoneId: fc.constantFrom('wp', 'other'),
  lampId: fc.option(fc.constantFrom('wp-001', 'wp-002'), { nil: undefined }),
  level: fc.integer({ min: -50, max: 250 }),
  startMs: fc.integer({ min: 0, max: 10_000 }),
  endMs: fc.integer({ min: 0, max: 20_000 }),
  reason: fc.constant('r'),
  createdBy: fc.constant('u'),
  clearedAtMs: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
});

describe('decideLamp properties', () => {
  it('never commands a lamp below its minimum (unless off) or above 100 %', () => {
    fc.assert(
      fc.property(
        arbitraryMode,
        fc.integer({ min: 0, max: 100 }),
        fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
        fc.array(arbitraryOverride, { maxLength: 5 }),
        fc.integer({ min: 0, max: 20_000 }),
        (mode, minLevel, presenceUntil, overrides, now) => {
          const { level } = decideLamp({
            lamp: { ...lamp, minLevel },
            mode,
            presenceUntil,
            overrides,
            now,
          });
          expect(Number.isInteger(level)).toBe(true);
          expect(level === 0 || (level >= minLevel && level <= 100)).toBe(true);
        },
      ),
    );
  });

  it('never lets an expired or cleared override govern', () => {
    fc.assert(
      fc.property(
        arbitraryMode,
        fc.array(arbitraryOverride, { maxLength: 6 }),
        fc.integer({ min: 0, max: 25_000 }),
        (mode, overrides, now) => {
          const decision = decideLamp({ lamp, mode, presenceUntil: undefined, overrides, now });
          if (decision.source !== 'override') {
            // No override in force for this lamp was ignored.
            for (const o of overrides) {
              const inForce =
                o.zoneId === 'wp' &&
                (o.lampId === undefined || o.lampId === 'wp-001') &&
                o.startMs <= now &&
                now < o.endMs &&
                (o.clearedAtMs === undefined || o.clearedAtMs > now);
              expect(inForce).toBe(false);
            }
            return;
          }
          const chosen = overrides.filter((o) => o.id === decision.overrideId);
          expect(
            chosen.some(
              (o) =>
                o.startMs <= now &&
                now < o.endMs &&
                (o.clearedAtMs === undefined || o.clearedAtMs > now),
            ),
          ).toBe(true);
        },
      ),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { mayLeave, PolicyError, parsePolicy, type Share, shareSubject } from './policy.js';

const problems = (doc: unknown, neighbours?: string[]) => {
  try {
    parsePolicy(doc, 'p.yaml', neighbours ? { neighbours } : {});
    return [];
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return [...error.problems];
  }
};

describe('parsePolicy', () => {
  it('accepts the four kinds of share and normalises windows to seconds', () => {
    const policy = parsePolicy(
      {
        city: 'brugge',
        shares: [
          {
            name: 'w',
            granularity: 'aggregated',
            metrics: ['water_level'],
            aggregate: { by: 'station', function: 'avg', window: '15m' },
            to: ['kortrijk'],
          },
          { name: 'r', granularity: 'raw', metrics: ['pm10'] },
          { name: 'alert', granularity: 'alerts', to: ['kortrijk'] },
        ],
      },
      'p.yaml',
      { neighbours: ['kortrijk'] },
    );
    expect(policy.shares.map((s) => [s.name, s.aggregate?.windowSeconds, s.to])).toEqual([
      ['w', 900, ['kortrijk']],
      ['r', undefined, []],
      ['alert', undefined, ['kortrijk']],
    ]);
    expect(policy.shares.map(shareSubject)).toEqual(['share.w.>', 'share.r.>', 'share.alert.cap']);
  });

  it('names every problem with its place', () => {
    expect(
      problems(
        {
          city: 'brugge',
          shares: [
            { name: 'w', granularity: 'aggregated', metrics: ['x'], to: ['gent', 'brugge'] },
            {
              name: 'w',
              granularity: 'raw',
              metrics: [],
              aggregate: { by: 'zone', function: 'sum', window: '15m' },
            },
            { name: 'alerts', granularity: 'alerts', metrics: ['x'] },
            { name: 'alert', granularity: 'raw', metrics: ['x'] },
          ],
        },
        ['kortrijk'],
      ),
    ).toEqual([
      'shares.0 (w): aggregate: required for granularity aggregated (by, function, window)',
      'shares.0 (w): to: gent is not a city of the region',
      'shares.0 (w): to: brugge is this city itself',
      'shares.1 (w): name is used twice',
      'shares.1 (w): metrics: name at least one metric',
      'shares.1 (w): aggregate: only for granularity aggregated',
      'shares.2 (alerts): public alerts are shared on share.alert.cap: name this share "alert"',
      'shares.2 (alerts): an alerts share takes no metrics and no aggregate',
      'shares.3 (alert): "alert" is reserved for public alerts',
    ]);
  });

  it('refuses malformed documents field by field', () => {
    expect(
      problems({ city: 'Brugge', shares: [{ name: 'w', granularity: 'live', extra: 1 }] }),
    ).toEqual([
      'city: must be a city id (lower-case letters, digits and _)',
      expect.stringMatching(/^shares\.0\.granularity: /),
      expect.stringMatching(/^shares\.0: .*extra/),
    ]);
    expect(
      problems({
        city: 'b',
        shares: [
          {
            name: 'w',
            granularity: 'aggregated',
            metrics: ['x'],
            aggregate: { by: 'zone', function: 'avg', window: '10s' },
          },
        ],
      }),
    ).toEqual(['shares.0.aggregate.window: must be between 1m and 24h']);
  });
});

describe('mayLeave', () => {
  const raw: Share = { name: 'r', granularity: 'raw', metrics: ['x'], to: [] };
  const byZone: Share = {
    name: 'z',
    granularity: 'aggregated',
    metrics: ['x'],
    aggregate: { by: 'zone', fn: 'sum', windowSeconds: 900 },
    to: [],
  };
  const byStation: Share = {
    ...byZone,
    aggregate: { by: 'station', fn: 'avg', windowSeconds: 900 },
  };

  it('personal never leaves; internal only aggregated; unknown devices are treated as personal', () => {
    const table = (['public', 'internal', 'personal'] as const).map((classification) =>
      [raw, byZone, byStation].map((s) => mayLeave(s, { classification, zone: 'center' }) ?? 'ok'),
    );
    expect(table).toEqual([
      ['ok', 'ok', 'ok'],
      ['internal_not_aggregated', 'ok', 'ok'],
      ['personal', 'personal', 'personal'],
    ]);
    expect(mayLeave(byZone, undefined)).toBe('unknown_device');
    expect(mayLeave(byZone, { classification: 'public', zone: '' })).toBe('no_zone');
  });
});

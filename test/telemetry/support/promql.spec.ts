import { describe, expect, it } from 'vitest';
import { exportedNames, metricReferences } from './promql.js';

describe('metricReferences', () => {
  it('finds metric names, not functions, labels, keywords or numbers', () => {
    expect(
      metricReferences(
        'sum by (le, handler) (rate(slimstad_x_handler_duration_seconds_bucket{kind="grpc",outcome=~"A|B"}[5m])) / clamp_min(sum(rate(slimstad_x_handled_total[5m] offset 1h)), 1e-9) > bool 0.5',
      ),
    ).toEqual({
      names: ['slimstad_x_handler_duration_seconds_bucket', 'slimstad_x_handled_total'],
      patterns: [],
    });
    expect(metricReferences('slimstad:lighting_energy_saving:ratio1h').names).toEqual([
      'slimstad:lighting_energy_saving:ratio1h',
    ]);
    expect(
      metricReferences('up{job="a"} == 0 and on (instance) ALERTS{alertstate="firing"}').names,
    ).toEqual(['up', 'ALERTS']);
  });

  it('returns __name__ selectors as patterns', () => {
    const { names, patterns } = metricReferences(
      'sum by (service) ({__name__=~"slimstad_.+_consumer_pending_messages"})',
    );
    expect(names).toEqual([]);
    expect(patterns[0]?.test('slimstad_ingest_consumer_pending_messages')).toBe(true);
    expect(patterns[0]?.test('slimstad_ingest_consumer_pending_messages_x')).toBe(false);
  });
});

describe('exportedNames', () => {
  it('lists metrics with and without samples, histogram series included', () => {
    const names = exportedNames(
      [
        '# HELP a_total A.',
        '# TYPE a_total counter',
        '# HELP b_seconds B.',
        '# TYPE b_seconds histogram',
        'b_seconds_bucket{le="1"} 0',
        'c 1',
      ].join('\n'),
    );
    expect([...names].sort()).toEqual(
      ['a_total', 'b_seconds', 'b_seconds_bucket', 'b_seconds_count', 'b_seconds_sum', 'c'].sort(),
    );
  });
});

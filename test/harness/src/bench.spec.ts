import { describe, expect, it } from 'vitest';
import { freePort, histogramSummary, percentile } from './bench.js';

describe('bench helpers', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBe(0);
  });

  it('reads p50 and p99 bounds from a Prometheus histogram', () => {
    const text = [
      'x_seconds_bucket{le="0.01"} 50',
      'x_seconds_bucket{le="0.05"} 99',
      'x_seconds_bucket{le="+Inf"} 100',
    ].join('\n');
    expect(histogramSummary(text, 'x_seconds')).toBe('n=100 p50≤10 ms p99≤50 ms');
  });

  it('finds a free loopback port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65_536);
  });
});

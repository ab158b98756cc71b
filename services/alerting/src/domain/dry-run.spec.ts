import { describe, expect, it } from 'vitest';
import { dryRun } from './dry-run.js';

describe('dry run', () => {
  it('reports what a threshold rule would have done per device, in time order', () => {
    const c = {
      kind: 'threshold',
      metric: 'level',
      comparison: 'above',
      value: 2.3,
      forMs: 60_000,
      clearValue: 2.1,
    } as const;
    const s = (device: string, min: number, value: number) => ({
      device,
      time: min * 60_000,
      value,
    });
    const t = dryRun(
      c,
      [s('a', 0, 2.4), s('b', 0, 2.0), s('a', 1, 2.5), s('a', 2, 2.0), s('b', 3, 2.6)],
      0,
      5 * 60_000,
    );
    expect(t.map((x) => [x.time / 60_000, x.device, x.state])).toEqual([
      [0, 'a', 'pending'],
      [1, 'a', 'firing'],
      [2, 'a', 'resolved'],
      [3, 'b', 'pending'],
      [5, 'b', 'firing'],
    ]);
  });
});

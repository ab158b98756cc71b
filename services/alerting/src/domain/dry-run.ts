// A rule run over recorded samples, raising nothing: what would have gone pending, fired and
// resolved, and when. The same evaluators as live evaluation, ticked at every sample.
import { type Condition, createEvaluator, type Sample } from './rules.js';

export interface DryRunTransition {
  time: number;
  state: 'pending' | 'firing' | 'resolved';
  device: string;
  value: number;
}

export function dryRun(
  condition: Condition,
  samples: readonly (Sample & { device: string })[],
  expectedIntervalMs = 0,
  endTime?: number,
): DryRunTransition[] {
  const out: DryRunTransition[] = [];
  const byDevice = new Map<string, (Sample & { device: string })[]>();
  for (const s of samples) byDevice.set(s.device, [...(byDevice.get(s.device) ?? []), s]);
  for (const [device, series] of byDevice) {
    const ev = createEvaluator(condition, { expectedIntervalMs });
    if (!ev) return [];
    series.sort((a, b) => a.time - b.time);
    for (const s of series) {
      for (const t of [...ev.tick(s.time), ...ev.observe(s)]) {
        if (t.to !== 'inactive') out.push({ time: t.at, state: t.to, device, value: t.value });
      }
    }
    if (endTime !== undefined) {
      for (const t of ev.tick(endTime))
        if (t.to !== 'inactive') out.push({ time: t.at, state: t.to, device, value: t.value });
    }
  }
  return out.sort((a, b) => a.time - b.time || a.device.localeCompare(b.device));
}

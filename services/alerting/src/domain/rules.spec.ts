import { describe, expect, it } from 'vitest';
import {
  AbsenceEvaluator,
  BaselineEvaluator,
  type Condition,
  type Evaluator,
  NightFlowEvaluator,
  RateOfChangeEvaluator,
  type RuleDef,
  subjectLabels,
  ThresholdEvaluator,
  type Transition,
  validateRule,
} from './rules.js';

const MIN = 60_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');

/** Feeds [minute, value] samples; returns the non-inactive transitions as [minute, state]. */
function run(ev: Evaluator, series: [number, number][]): [number, string][] {
  const out: Transition[] = [];
  for (const [m, v] of series)
    out.push(...ev.tick(T0 + m * MIN), ...ev.observe({ time: T0 + m * MIN, value: v }));
  return out.filter((t) => t.to !== 'inactive').map((t) => [(t.at - T0) / MIN, t.to]);
}

describe('threshold', () => {
  const c = {
    kind: 'threshold',
    metric: 'level',
    comparison: 'above',
    value: 2.3,
    forMs: 2 * MIN,
    clearValue: 2.1,
  } as const;
  it('fires only after the condition held for `for`', () => {
    expect(
      run(new ThresholdEvaluator(c), [
        [0, 2.4],
        [1, 2.5],
        [2, 2.4],
      ]),
    ).toEqual([
      [0, 'pending'],
      [2, 'firing'],
    ]);
  });
  it('a dip below the threshold before `for` elapses resets the wait', () => {
    expect(
      run(new ThresholdEvaluator(c), [
        [0, 2.4],
        [1, 2.2],
        [2, 2.4],
        [3, 2.4],
        [4, 2.4],
      ]),
    ).toEqual([
      [0, 'pending'],
      [2, 'pending'],
      [4, 'firing'],
    ]);
  });
  it('clears only below the clear value (hysteresis)', () => {
    expect(
      run(new ThresholdEvaluator(c), [
        [0, 2.4],
        [2, 2.4],
        [3, 2.2],
        [4, 2.25],
        [5, 2.0],
      ]),
    ).toEqual([
      [0, 'pending'],
      [2, 'firing'],
      [5, 'resolved'],
    ]);
  });
  it('a tick completes `for` without a new sample', () => {
    const ev = new ThresholdEvaluator(c);
    ev.observe({ time: T0, value: 2.5 });
    expect(ev.tick(T0 + MIN)).toEqual([]);
    expect(ev.tick(T0 + 2 * MIN).map((t) => t.to)).toEqual(['firing']);
  });
  it('below-thresholds fire below and clear above', () => {
    const below = new ThresholdEvaluator({
      kind: 'threshold',
      metric: 'level',
      comparison: 'below',
      value: 1,
      forMs: 0,
      clearValue: 1.5,
    });
    expect(
      run(below, [
        [0, 1.2],
        [1, 0.8],
        [2, 1.2],
        [3, 1.6],
      ]),
    ).toEqual([
      [1, 'firing'],
      [3, 'resolved'],
    ]);
  });
  it('resumed as firing (its alert open before a restart), the clearing resolves it', () => {
    const ev = new ThresholdEvaluator(c);
    ev.resume();
    expect(ev.state).toBe('firing');
    expect(
      run(ev, [
        [0, 2.5],
        [1, 2.2],
        [2, 2.0],
        [3, 2.5],
      ]),
    ).toEqual([
      [2, 'resolved'],
      [3, 'pending'],
    ]);
  });
  it('ignores samples older than the last', () => {
    const ev = new ThresholdEvaluator({ ...c, forMs: 0 });
    ev.observe({ time: T0 + MIN, value: 2.0 });
    expect(ev.observe({ time: T0, value: 3 })).toEqual([]);
  });
});

describe('rate of change', () => {
  it('fires on a rise of more than delta within the window and resolves when it levels out', () => {
    const ev = new RateOfChangeEvaluator({
      kind: 'rate_of_change',
      metric: 'level',
      delta: 0.1,
      windowMs: 10 * MIN,
    });
    // At 15 the window [5, 15] holds 1.05: +0.07, within delta.
    expect(
      run(ev, [
        [0, 1.0],
        [5, 1.05],
        [9, 1.11],
        [15, 1.12],
        [25, 1.13],
      ]),
    ).toEqual([
      [9, 'firing'],
      [15, 'resolved'],
    ]);
  });
  it('a slow rise over longer than the window does not fire', () => {
    const ev = new RateOfChangeEvaluator({
      kind: 'rate_of_change',
      metric: 'level',
      delta: 0.1,
      windowMs: 10 * MIN,
    });
    expect(
      run(
        ev,
        Array.from({ length: 10 }, (_, i) => [i * 10, 1 + i * 0.06] as [number, number]),
      ),
    ).toEqual([]);
  });
  it('resumed as firing, resolves only once a whole window says the change is over', () => {
    const ev = new RateOfChangeEvaluator({
      kind: 'rate_of_change',
      metric: 'level',
      delta: 0.1,
      windowMs: 10 * MIN,
    });
    ev.resume();
    expect(
      run(ev, [
        [0, 1.2],
        [5, 1.21],
        [10, 1.22],
        [12, 1.22],
      ]),
    ).toEqual([[10, 'resolved']]);
  });
  it('negative delta watches falls', () => {
    const ev = new RateOfChangeEvaluator({
      kind: 'rate_of_change',
      metric: 'level',
      delta: -0.5,
      windowMs: 10 * MIN,
    });
    expect(
      run(ev, [
        [0, 3],
        [5, 2.4],
      ]),
    ).toEqual([[5, 'firing']]);
  });
});

describe('absence', () => {
  it('fires after factor × expected interval without a reading and resolves on the next one', () => {
    const ev = new AbsenceEvaluator(
      { kind: 'absence', factor: 3 },
      { expectedIntervalMs: 5 * MIN },
    );
    expect(
      run(ev, [
        [0, 1],
        [5, 1],
      ]),
    ).toEqual([]);
    expect(ev.tick(T0 + 20 * MIN)).toEqual([]);
    expect(ev.tick(T0 + 21 * MIN).map((t) => t.to)).toEqual(['firing']);
    expect(ev.observe({ time: T0 + 22 * MIN, value: 1 }).map((t) => t.to)).toEqual(['resolved']);
  });
  it('fires at once on ingest offline event', () => {
    const ev = new AbsenceEvaluator({ kind: 'absence', factor: 3 }, { expectedIntervalMs: 0 });
    expect(ev.offline(T0).map((t) => t.to)).toEqual(['firing']);
    expect(ev.offline(T0 + 1)).toEqual([]);
  });
});

describe('night flow (leak)', () => {
  const c = {
    kind: 'night_flow',
    metric: 'flow',
    startHour: 1,
    endHour: 5,
    threshold: 0,
    nights: 3,
    timeZone: 'UTC',
  } as const;
  /** Hourly samples for `days` days; night-time flow per night from `nightFlow`. */
  const days = (nightFlow: number[]) =>
    nightFlow.flatMap((f, d) =>
      Array.from(
        { length: 24 },
        (_, h) => [d * 24 * 60 + h * 60, h >= 1 && h < 5 ? f : 3] as [number, number],
      ),
    );
  it('three nights in a row above zero fire on the third morning', () => {
    const t = run(new NightFlowEvaluator(c), days([0.2, 0.1, 0.3, 0.2]));
    expect(t).toEqual([[2 * 24 * 60 + 5 * 60, 'firing']]);
  });
  it('a dry night in between resets the count', () => {
    expect(run(new NightFlowEvaluator(c), days([0.2, 0.1, 0, 0.3, 0.2]))).toEqual([]);
  });
  it('a dry night after firing resolves', () => {
    const t = run(new NightFlowEvaluator(c), days([0.2, 0.1, 0.3, 0, 0]));
    expect(t.map((x) => x[1])).toEqual(['firing', 'resolved']);
  });
  it('a reading of a night the clock already closed counts that night no second time', () => {
    // Each night's last reading arrives after the clock left the night (a slow link, a batch
    // uplink): the night was judged when it ended, the late reading cannot open it again.
    const ev = new NightFlowEvaluator(c);
    const out: Transition[] = [];
    for (let d = 0; d < 3; d++) {
      const night = T0 + d * 24 * 60 * MIN;
      for (const h of [1, 2, 3]) out.push(...ev.observe({ time: night + h * 60 * MIN, value: 9 }));
      out.push(...ev.tick(night + 5 * 60 * MIN));
      out.push(...ev.observe({ time: night + 4 * 60 * MIN + MIN, value: 9 }));
      out.push(...ev.tick(night + 5 * 60 * MIN + 10 * MIN));
      if (d < 2)
        expect(
          out.filter((t) => t.to === 'firing'),
          `night ${d + 1}`,
        ).toEqual([]);
    }
    expect(out.map((t) => [(t.at - T0) / MIN, t.to])).toEqual([[2 * 24 * 60 + 5 * 60, 'firing']]);
  });
  it('windows that wrap midnight count as one night', () => {
    const ev = new NightFlowEvaluator({ ...c, startHour: 23, endHour: 4, nights: 1 });
    expect(
      run(ev, [
        [23 * 60, 0.5],
        [24 * 60 + 60, 0.4],
        [24 * 60 + 5 * 60, 3],
      ]),
    ).toEqual([[24 * 60 + 5 * 60, 'firing']]);
  });
});

describe('baseline (same weekday and hour)', () => {
  const c = {
    kind: 'baseline',
    metric: 'energy',
    factor: 1.5,
    minWeeks: 2,
    timeZone: 'UTC',
  } as const;
  const WEEK = 7 * 24 * 60;
  it('fires when an hour exceeds factor × the mean of earlier weeks, resolves when back', () => {
    const ev = new BaselineEvaluator(c);
    const hour = (week: number, perQuarter: number): [number, number][] =>
      [0, 15, 30, 45].map((q) => [week * WEEK + 10 * 60 + q, perQuarter] as [number, number]);
    const tail = (week: number): [number, number][] => [[week * WEEK + 11 * 60, 0]];
    const series = [
      ...hour(0, 1),
      ...tail(0),
      ...hour(1, 1),
      ...tail(1),
      ...hour(2, 2),
      ...tail(2),
      ...hour(3, 1),
      ...tail(3),
    ];
    // The 11:00 hour after the spike (at its baseline) is the first hour within it: resolved
    // when that hour is judged, at the next sample a week later.
    expect(run(ev, series)).toEqual([
      [2 * WEEK + 11 * 60, 'firing'],
      [3 * WEEK + 10 * 60, 'resolved'],
    ]);
  });
  it('does not judge before min_weeks of history', () => {
    const ev = new BaselineEvaluator(c);
    expect(
      run(ev, [
        [600, 1],
        [660, 0],
        [WEEK + 600, 10],
        [WEEK + 660, 0],
      ]),
    ).toEqual([]);
  });
});

describe('event subjects', () => {
  it('take labels from tokens and match wildcards', () => {
    expect(
      subjectLabels('lighting.lamp.failed.{zone}.{lamp}', 'lighting.lamp.failed.kruidtuin.l-7'),
    ).toEqual({ zone: 'kruidtuin', lamp: 'l-7' });
    expect(subjectLabels('neighbour.{city}.alert.cap', 'neighbour.leuven.alert.cap')).toEqual({
      city: 'leuven',
    });
    expect(subjectLabels('waste.overflow.risk.>', 'waste.overflow.risk.z1.b2')).toEqual({});
    expect(
      subjectLabels('lighting.lamp.failed.{zone}.{lamp}', 'lighting.lamp.recovered.k.l'),
    ).toBeUndefined();
    expect(subjectLabels('a.*', 'a.b.c')).toBeUndefined();
  });
});

describe('validation', () => {
  const base = (condition: Condition): RuleDef => ({
    id: 'r1',
    version: 1,
    name: 'r',
    enabled: true,
    severity: 'warning',
    scope: {},
    labels: {},
    annotations: {},
    condition,
    escalateAfterMs: 0,
    isPublic: false,
  });
  it('names each problem with its field', () => {
    const v = validateRule({
      ...base({
        kind: 'threshold',
        metric: 'Level!',
        comparison: 'above',
        value: 2.3,
        forMs: -1,
        clearValue: 2.5,
      }),
      id: 'bad id',
      labels: { severity: 'x' },
    });
    expect(v.map((x) => x.field).sort()).toEqual([
      'rule.id',
      'rule.labels[severity]',
      'rule.threshold.clear_value',
      'rule.threshold.for',
      'rule.threshold.metric',
    ]);
    expect(v.find((x) => x.field === 'rule.threshold.clear_value')?.description).toMatch(
      /hysteresis/,
    );
  });
  it('checks every kind', () => {
    expect(
      validateRule(base({ kind: 'rate_of_change', metric: 'level', delta: 0, windowMs: 0 })).map(
        (x) => x.field,
      ),
    ).toEqual(['rule.rate_of_change.delta', 'rule.rate_of_change.window']);
    expect(validateRule(base({ kind: 'absence', factor: 0.5 })).map((x) => x.field)).toEqual([
      'rule.absence.factor',
    ]);
    expect(
      validateRule(
        base({
          kind: 'night_flow',
          metric: 'flow',
          startHour: 3,
          endHour: 3,
          threshold: 0,
          nights: 0,
          timeZone: 'Mars/Base',
        }),
      ).map((x) => x.field),
    ).toEqual(['rule.night_flow.end_hour', 'rule.night_flow.nights', 'rule.night_flow.time_zone']);
    expect(
      validateRule(
        base({ kind: 'baseline', metric: 'energy', factor: 1, minWeeks: 0, timeZone: 'UTC' }),
      ).map((x) => x.field),
    ).toEqual(['rule.baseline.factor', 'rule.baseline.min_weeks']);
    expect(
      validateRule(
        base({
          kind: 'event',
          subject: 'lighting.lamp.failed.{zone}',
          resolveSubject: 'lighting.lamp.recovered.{lamp}',
          resolveAfterMs: 0,
        }),
      ).map((x) => x.field),
    ).toEqual(['rule.event.resolve_subject']);
    expect(
      validateRule(
        base({ kind: 'event', subject: 'a.b c', resolveSubject: '', resolveAfterMs: 0 }),
      ).map((x) => x.field),
    ).toEqual(['rule.event.subject']);
    expect(
      validateRule(
        base({
          kind: 'threshold',
          metric: 'level',
          comparison: 'above',
          value: 2.3,
          forMs: 120_000,
          clearValue: 2.1,
        }),
      ),
    ).toEqual([]);
  });
});

// Rules as the engine evaluates them, their validation, and one evaluator per rule kind: a pure
// state machine per series (one device's metric) fed with samples and ticks of the clock, that
// says when the series becomes pending, firing or resolved. No I/O here: the engine feeds live
// readings, the dry run feeds recorded ones, the unit tests feed synthetic series.
import { isTimeZone, localTime } from '@slimstad/kit';
import type { Labels } from './labels.js';

export type Severity = 'info' | 'warning' | 'critical';

export type Condition =
  | {
      kind: 'threshold';
      metric: string;
      comparison: 'above' | 'below';
      value: number;
      forMs: number;
      clearValue?: number;
    }
  | { kind: 'rate_of_change'; metric: string; delta: number; windowMs: number }
  | { kind: 'absence'; factor: number }
  | {
      kind: 'night_flow';
      metric: string;
      startHour: number;
      endHour: number;
      threshold: number;
      nights: number;
      timeZone: string;
    }
  | { kind: 'baseline'; metric: string; factor: number; minWeeks: number; timeZone: string }
  | { kind: 'event'; subject: string; resolveSubject: string; resolveAfterMs: number };

export interface RuleDef {
  id: string;
  version: number;
  name: string;
  enabled: boolean;
  severity: Severity;
  /** Label selector over the series' labels (device, device_type, zone, department, …). */
  scope: Labels;
  labels: Labels;
  annotations: Labels;
  condition: Condition;
  escalateAfterMs: number;
  /** Public warning (CAP 1.2) settings, opaque to evaluation. */
  isPublic: boolean;
}

export interface Violation {
  field: string;
  description: string;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;
const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['alertname', 'severity', 'rule_id']);

/** Every problem of a rule, each naming its field; empty when the rule can be saved. */
export function validateRule(rule: RuleDef): Violation[] {
  const v: Violation[] = [];
  const bad = (field: string, description: string) => v.push({ field, description });
  if (!TOKEN.test(rule.id)) bad('rule.id', 'must be letters, digits, "-" or "_" (a NATS token)');
  if (rule.name.trim() === '') bad('rule.name', 'is required');
  if (rule.name.length > 200) bad('rule.name', 'must be at most 200 characters');
  for (const [name] of Object.entries(rule.scope))
    if (!LABEL.test(name)) bad(`rule.scope[${name}]`, 'is not a valid label name');
  for (const [name] of Object.entries(rule.labels)) {
    if (!LABEL.test(name)) bad(`rule.labels[${name}]`, 'is not a valid label name');
    else if (RESERVED.has(name)) bad(`rule.labels[${name}]`, 'is set by the service');
  }
  if (rule.escalateAfterMs < 0) bad('rule.escalate_after', 'must not be negative');
  const c = rule.condition;
  const metric = (m: string) => {
    if (!/^[a-z][a-z0-9_]*$/.test(m))
      bad(`rule.${c.kind}.metric`, 'must be a metric name such as "level"');
  };
  switch (c.kind) {
    case 'threshold':
      metric(c.metric);
      if (!Number.isFinite(c.value)) bad('rule.threshold.value', 'must be a finite number');
      if (c.forMs < 0) bad('rule.threshold.for', 'must not be negative');
      if (c.clearValue !== undefined) {
        if (c.comparison === 'above' && !(c.clearValue <= c.value))
          bad(
            'rule.threshold.clear_value',
            `must be at or below the threshold ${c.value} for an "above" rule (hysteresis)`,
          );
        if (c.comparison === 'below' && !(c.clearValue >= c.value))
          bad(
            'rule.threshold.clear_value',
            `must be at or above the threshold ${c.value} for a "below" rule (hysteresis)`,
          );
      }
      break;
    case 'rate_of_change':
      metric(c.metric);
      if (!(c.delta !== 0 && Number.isFinite(c.delta)))
        bad(
          'rule.rate_of_change.delta',
          'must be a non-zero number (positive: rise, negative: fall)',
        );
      if (!(c.windowMs > 0)) bad('rule.rate_of_change.window', 'must be positive');
      break;
    case 'absence':
      if (!(c.factor >= 1))
        bad(
          'rule.absence.factor',
          'must be at least 1 (a multiple of the expected report interval)',
        );
      break;
    case 'night_flow':
      metric(c.metric);
      if (!(c.startHour >= 0 && c.startHour < 24))
        bad('rule.night_flow.start_hour', 'must be 0–23');
      if (!(c.endHour >= 0 && c.endHour < 24)) bad('rule.night_flow.end_hour', 'must be 0–23');
      if (c.startHour === c.endHour) bad('rule.night_flow.end_hour', 'must differ from start_hour');
      if (!(c.nights >= 1)) bad('rule.night_flow.nights', 'must be at least 1');
      if (!isTimeZone(c.timeZone))
        bad('rule.night_flow.time_zone', `unknown time zone ${JSON.stringify(c.timeZone)}`);
      break;
    case 'baseline':
      metric(c.metric);
      if (!(c.factor > 1)) bad('rule.baseline.factor', 'must be greater than 1');
      if (!(c.minWeeks >= 1)) bad('rule.baseline.min_weeks', 'must be at least 1');
      if (!isTimeZone(c.timeZone))
        bad('rule.baseline.time_zone', `unknown time zone ${JSON.stringify(c.timeZone)}`);
      break;
    case 'event': {
      const problem = subjectTemplateProblem(c.subject);
      if (problem) bad('rule.event.subject', problem);
      if (c.resolveSubject) {
        const p2 = subjectTemplateProblem(c.resolveSubject);
        if (p2) bad('rule.event.resolve_subject', p2);
        else {
          const need = templateParams(c.subject);
          const have = templateParams(c.resolveSubject);
          if (need.join() !== have.join())
            bad(
              'rule.event.resolve_subject',
              `must name the same labels as subject (${need.join(', ') || 'none'})`,
            );
        }
      }
      if (c.resolveAfterMs < 0) bad('rule.event.resolve_after', 'must not be negative');
      break;
    }
  }
  return v;
}

// --- event subjects -------------------------------------------------------------------------

/** Why a subject template such as `lighting.lamp.failed.{zone}.{lamp}` is unusable. */
export function subjectTemplateProblem(template: string): string | undefined {
  if (template === '') return 'is required, e.g. lighting.lamp.failed.{zone}.{lamp}';
  const tokens = template.split('.');
  for (const [i, t] of tokens.entries()) {
    if (t === '>' && i === tokens.length - 1) continue;
    if (t === '*') continue;
    if (/^\{[a-z_][a-z0-9_]*\}$/.test(t)) continue;
    if (!TOKEN.test(t))
      return `token ${JSON.stringify(t)} must be a word, "*", "{label}" or a final ">"`;
  }
  return undefined;
}

export const templateParams = (template: string): string[] =>
  [...template.matchAll(/\{([a-z_][a-z0-9_]*)\}/g)].map((m) => m[1] as string).sort();

/** The NATS filter of a template: `{label}` → `*`. */
export const templateFilter = (template: string): string =>
  template.replace(/\{[a-z_][a-z0-9_]*\}/g, '*');

/** The labels a subject yields under a template, or undefined when it does not match. */
export function subjectLabels(
  template: string,
  subject: string,
): Record<string, string> | undefined {
  const t = template.split('.');
  const s = subject.split('.');
  const labels: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const tt = t[i] as string;
    if (tt === '>') return s.length > i ? labels : undefined;
    const st = s[i];
    if (st === undefined) return undefined;
    const param = /^\{([a-z_][a-z0-9_]*)\}$/.exec(tt);
    if (param) labels[param[1] as string] = st;
    else if (tt !== '*' && tt !== st) return undefined;
  }
  return s.length === t.length ? labels : undefined;
}

// --- evaluators -----------------------------------------------------------------------------

export type SeriesState = 'inactive' | 'pending' | 'firing';

export interface Transition {
  to: 'pending' | 'firing' | 'resolved' | 'inactive';
  at: number;
  value: number;
  /** Why, for the alert's annotations, e.g. `level 2.41 > 2.3 for 2m`. */
  detail: string;
}

export interface Sample {
  time: number;
  value: number;
}

export interface Evaluator {
  readonly state: SeriesState;
  /** A new sample of the series (in time order; older ones are ignored). */
  observe(sample: Sample): Transition[];
  /** The clock moved on without a sample. */
  tick(now: number): Transition[];
  /**
   * The series' alert is open already (raised before a restart): continue as firing, so the
   * condition clearing resolves it and holding raises nothing new. Call before any sample.
   */
  resume(): void;
}

export interface SeriesContext {
  /** The device's expected report interval in ms (absence rules); 0 when unknown. */
  expectedIntervalMs: number;
}

export function createEvaluator(
  condition: Condition,
  context: SeriesContext,
): Evaluator | undefined {
  switch (condition.kind) {
    case 'threshold':
      return new ThresholdEvaluator(condition);
    case 'rate_of_change':
      return new RateOfChangeEvaluator(condition);
    case 'absence':
      return new AbsenceEvaluator(condition, context);
    case 'night_flow':
      return new NightFlowEvaluator(condition);
    case 'baseline':
      return new BaselineEvaluator(condition);
    case 'event':
      return undefined;
  }
}

type Threshold = Extract<Condition, { kind: 'threshold' }>;

/** `value` beyond the threshold for `forMs` fires; only past `clearValue` clears (hysteresis). */
export class ThresholdEvaluator implements Evaluator {
  state: SeriesState = 'inactive';
  private since = 0;
  private last: Sample | undefined;
  constructor(private readonly c: Threshold) {}

  private breach(v: number) {
    return this.c.comparison === 'above' ? v > this.c.value : v < this.c.value;
  }
  private clears(v: number) {
    const at = this.c.clearValue ?? this.c.value;
    return this.c.comparison === 'above'
      ? v < at || (this.c.clearValue === undefined && v <= at)
      : v > at || (this.c.clearValue === undefined && v >= at);
  }
  private detail(v: number) {
    return `${this.c.metric} ${v} ${this.c.comparison === 'above' ? '>' : '<'} ${this.c.value}${this.c.forMs ? ` for ${this.c.forMs / 1000}s` : ''}`;
  }

  observe(s: Sample): Transition[] {
    if (this.last && s.time < this.last.time) return [];
    this.last = s;
    const out: Transition[] = [];
    if (this.state === 'firing') {
      if (this.clears(s.value)) {
        this.state = 'inactive';
        out.push({
          to: 'resolved',
          at: s.time,
          value: s.value,
          detail: `${this.c.metric} ${s.value} cleared`,
        });
      }
      return out;
    }
    if (!this.breach(s.value)) {
      if (this.state === 'pending') {
        this.state = 'inactive';
        out.push({
          to: 'inactive',
          at: s.time,
          value: s.value,
          detail: 'condition no longer holds',
        });
      }
      return out;
    }
    if (this.state === 'inactive') {
      this.state = 'pending';
      this.since = s.time;
      if (this.c.forMs > 0)
        out.push({ to: 'pending', at: s.time, value: s.value, detail: this.detail(s.value) });
    }
    return [...out, ...this.tick(s.time)];
  }

  resume(): void {
    this.state = 'firing';
  }

  tick(now: number): Transition[] {
    if (this.state !== 'pending' || !this.last) return [];
    if (now - this.since < this.c.forMs) return [];
    this.state = 'firing';
    return [
      { to: 'firing', at: now, value: this.last.value, detail: this.detail(this.last.value) },
    ];
  }
}

type Rate = Extract<Condition, { kind: 'rate_of_change' }>;

/** The change from the window's extreme to now beyond `delta` fires; back within it resolves. */
export class RateOfChangeEvaluator implements Evaluator {
  state: SeriesState = 'inactive';
  private window: Sample[] = [];
  /** Resumed as firing: no resolution before a whole window of samples says so. */
  private resumed = false;
  constructor(private readonly c: Rate) {}

  resume(): void {
    this.state = 'firing';
    this.resumed = true;
  }

  observe(s: Sample): Transition[] {
    const last = this.window.at(-1);
    if (last && s.time < last.time) return [];
    this.window.push(s);
    if (this.resumed && s.time - (this.window[0] as Sample).time >= this.c.windowMs)
      this.resumed = false;
    while ((this.window[0] as Sample).time < s.time - this.c.windowMs) this.window.shift();
    const rising = this.c.delta > 0;
    let extreme = s.value;
    for (const w of this.window)
      extreme = rising ? Math.min(extreme, w.value) : Math.max(extreme, w.value);
    const change = s.value - extreme;
    const beyond = rising ? change > this.c.delta : change < this.c.delta;
    const detail = `${this.c.metric} changed ${change.toFixed(3)} within ${this.c.windowMs / 1000}s`;
    if (beyond && this.state !== 'firing') {
      this.state = 'firing';
      return [{ to: 'firing', at: s.time, value: s.value, detail }];
    }
    if (!beyond && this.state === 'firing' && !this.resumed) {
      this.state = 'inactive';
      return [{ to: 'resolved', at: s.time, value: s.value, detail }];
    }
    return [];
  }
  tick(): Transition[] {
    return [];
  }
}

type Absence = Extract<Condition, { kind: 'absence' }>;

/** Nothing for `factor` × the expected interval fires; the next sample resolves. */
export class AbsenceEvaluator implements Evaluator {
  state: SeriesState = 'inactive';
  private lastSeen: number | undefined;
  constructor(
    private readonly c: Absence,
    private readonly context: SeriesContext,
  ) {}

  observe(s: Sample): Transition[] {
    if (this.lastSeen !== undefined && s.time < this.lastSeen) return [];
    this.lastSeen = s.time;
    if (this.state === 'firing') {
      this.state = 'inactive';
      return [{ to: 'resolved', at: s.time, value: s.value, detail: 'reporting again' }];
    }
    return [];
  }

  resume(): void {
    this.state = 'firing';
  }

  /** The device was declared offline by ingest: fire now. */
  offline(at: number): Transition[] {
    if (this.state === 'firing') return [];
    this.state = 'firing';
    return [{ to: 'firing', at, value: 0, detail: 'device went offline (ingest)' }];
  }

  tick(now: number): Transition[] {
    if (
      this.state === 'firing' ||
      this.lastSeen === undefined ||
      !(this.context.expectedIntervalMs > 0)
    )
      return [];
    const limit = this.c.factor * this.context.expectedIntervalMs;
    if (now - this.lastSeen <= limit) return [];
    this.state = 'firing';
    return [
      {
        to: 'firing',
        at: now,
        value: 0,
        detail: `no reading for ${Math.round((now - this.lastSeen) / 1000)}s (limit ${limit / 1000}s)`,
      },
    ];
  }
}

type NightFlow = Extract<Condition, { kind: 'night_flow' }>;

/**
 * A leak shows as flow that never drops to zero at night. Each night's window (local hours,
 * may wrap midnight) keeps its minimum; a night with a minimum above the threshold counts, one at
 * or below resets the count. `nights` counted nights in a row fire; a clean night resolves.
 * A night is judged once, when it ends (a later sample, or the clock leaving it): a reading of
 * that night arriving afterwards (a slow link, a batch uplink) no longer changes it.
 */
export class NightFlowEvaluator implements Evaluator {
  state: SeriesState = 'inactive';
  private night: { key: string; min: number } | undefined;
  /** The latest night judged (its local date); earlier nights never open again. */
  private judged: string | undefined;
  private consecutive = 0;
  private lastTime = -Infinity;
  constructor(private readonly c: NightFlow) {}

  /** The night a moment belongs to (the local date the window started), or undefined outside. */
  private nightOf(ms: number): string | undefined {
    const lt = localTime(ms, this.c.timeZone);
    const hour = Math.floor(lt.minuteOfDay / 60);
    const { startHour: s, endHour: e } = this.c;
    if (s < e) return hour >= s && hour < e ? lt.date : undefined;
    if (hour >= s) return lt.date;
    if (hour < e) return localTime(ms - 86_400_000, this.c.timeZone).date;
    return undefined;
  }

  private close(at: number): Transition[] {
    const night = this.night;
    if (!night) return [];
    this.night = undefined;
    this.judged = night.key;
    if (night.min > this.c.threshold) {
      this.consecutive += 1;
      if (this.consecutive >= this.c.nights && this.state !== 'firing') {
        this.state = 'firing';
        return [
          {
            to: 'firing',
            at,
            value: night.min,
            detail: `night-time ${this.c.metric} above ${this.c.threshold} for ${this.consecutive} nights (last minimum ${night.min})`,
          },
        ];
      }
      return [];
    }
    this.consecutive = 0;
    if (this.state === 'firing') {
      this.state = 'inactive';
      return [
        {
          to: 'resolved',
          at,
          value: night.min,
          detail: `night-time ${this.c.metric} dropped to ${night.min}`,
        },
      ];
    }
    return [];
  }

  resume(): void {
    this.state = 'firing';
  }

  observe(s: Sample): Transition[] {
    if (s.time < this.lastTime) return [];
    this.lastTime = s.time;
    const night = this.nightOf(s.time);
    // Local dates as YYYY-MM-DD compare in time order.
    const key =
      night !== undefined && this.judged !== undefined && night <= this.judged ? undefined : night;
    const out: Transition[] = [];
    if (this.night && this.night.key !== key) out.push(...this.close(s.time));
    if (key !== undefined) {
      if (!this.night) this.night = { key, min: s.value };
      else this.night.min = Math.min(this.night.min, s.value);
    }
    return out;
  }

  tick(now: number): Transition[] {
    if (this.night && this.nightOf(now) !== this.night.key) return this.close(now);
    return [];
  }
}

type Baseline = Extract<Condition, { kind: 'baseline' }>;

/**
 * Consumption per local hour against the mean of the same weekday and hour in earlier weeks
 * (at least `minWeeks` of them). An hour above `factor` × baseline fires; an hour within it
 * resolves. Hours are judged when they end.
 */
export class BaselineEvaluator implements Evaluator {
  state: SeriesState = 'inactive';
  private hour: { key: string; slot: string; sum: number } | undefined;
  private readonly history = new Map<string, number[]>();
  private lastTime = -Infinity;
  constructor(private readonly c: Baseline) {}

  private slotOf(ms: number) {
    const lt = localTime(ms, this.c.timeZone);
    const h = Math.floor(lt.minuteOfDay / 60);
    return { key: `${lt.date}T${h}`, slot: `${lt.weekday}-${h}` };
  }

  private close(at: number): Transition[] {
    const hour = this.hour;
    if (!hour) return [];
    this.hour = undefined;
    const past = this.history.get(hour.slot) ?? [];
    const out: Transition[] = [];
    if (past.length >= this.c.minWeeks) {
      const baseline = past.reduce((a, b) => a + b, 0) / past.length;
      const above = hour.sum > this.c.factor * baseline;
      const detail = `${this.c.metric} ${hour.sum.toFixed(2)} in the hour vs baseline ${baseline.toFixed(2)} (×${this.c.factor})`;
      if (above && this.state !== 'firing') {
        this.state = 'firing';
        out.push({ to: 'firing', at, value: hour.sum, detail });
      } else if (!above && this.state === 'firing') {
        this.state = 'inactive';
        out.push({ to: 'resolved', at, value: hour.sum, detail });
      }
    }
    this.history.set(hour.slot, [...past, hour.sum].slice(-8));
    return out;
  }

  resume(): void {
    this.state = 'firing';
  }

  observe(s: Sample): Transition[] {
    if (s.time < this.lastTime) return [];
    this.lastTime = s.time;
    const { key, slot } = this.slotOf(s.time);
    const out = this.hour && this.hour.key !== key ? this.close(s.time) : [];
    if (!this.hour) this.hour = { key, slot, sum: 0 };
    this.hour.sum += s.value;
    return out;
  }

  tick(now: number): Transition[] {
    if (this.hour && this.slotOf(now).key !== this.hour.key) return this.close(now);
    return [];
  }
}

/** The metric a rule reads, or undefined for rules not fed by readings. */
export function ruleMetric(c: Condition): string | undefined {
  return 'metric' in c ? c.metric : undefined;
}

// Live rule evaluation: every reading is matched against the enabled rules of its metric whose
// scope selects the series, and fed to that series' evaluator; transitions become alert
// firings and resolutions. Evaluator state lives in memory (like Prometheus' pending state): a
// restart starts `for` windows afresh, while firing alerts live in the database — a series
// whose alert is open there starts out firing, so its clearing still resolves it. Event rules
// (any subject of any service or neighbour) fire from subject tokens.

import { deviceTypeToken } from '@slimstad/contracts';
import type { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { Clock, Logger, Metrics } from '@slimstad/kit';
import {
  equalMatchers,
  fingerprint,
  type LabelMatcher,
  type Labels,
  matchesAll,
} from '../domain/labels.js';
import {
  type AbsenceEvaluator,
  createEvaluator,
  type Evaluator,
  type RuleDef,
  ruleMetric,
  subjectLabels,
  type Transition,
} from '../domain/rules.js';
import { openAlertsOfRule } from '../store/alert.repository.js';
import type { Db } from '../store/db.js';
import { type Alerts, alertLabels } from './alerts.js';

export interface DeviceInfo {
  type: string;
  zone: string;
  department: string;
  labels: Record<string, string>;
  expectedIntervalMs: number;
}

export class RuleEngine {
  private rules: RuleDef[] = [];
  private byMetric = new Map<string, RuleDef[]>();
  private readonly series = new Map<string, { ev: Evaluator; rule: RuleDef; labels: Labels }>();
  private readonly devices = new Map<string, DeviceInfo>();
  private readonly labelCache = new Map<string, Record<string, string>>();
  private scopes = new Map<RuleDef, LabelMatcher[]>();
  /** Fingerprints of the open alerts: a series whose alert is open starts out firing. */
  private open = new Set<string>();
  private readonly evalSeconds;
  private readonly readings;

  constructor(
    private readonly o: { db: Db; alerts: Alerts; clock: Clock; log: Logger; metrics: Metrics },
  ) {
    this.evalSeconds = o.metrics.histogram(
      'evaluation_seconds',
      'Time to evaluate one message of readings against the rules.',
      [],
      [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    );
    this.readings = o.metrics.counter(
      'readings_evaluated_total',
      'Readings evaluated against the rules.',
    );
  }

  get enabledRules(): readonly RuleDef[] {
    return this.rules;
  }

  /** Replaces the rule set; series of rules that changed version start afresh. */
  setRules(rules: readonly RuleDef[]): void {
    this.rules = rules.filter((r) => r.enabled);
    this.scopes = new Map();
    this.byMetric = new Map();
    for (const r of this.rules) {
      const m = ruleMetric(r.condition) ?? (r.condition.kind === 'absence' ? '*' : undefined);
      if (m === undefined) continue;
      this.byMetric.set(m, [...(this.byMetric.get(m) ?? []), r]);
    }
    const live = new Set(this.rules.map((r) => `${r.id}@${r.version}`));
    for (const key of this.series.keys())
      if (!live.has(key.split('|')[0] as string)) this.series.delete(key);
  }

  /**
   * The alerts open in the database (at start-up and with every rule reload). Evaluator state
   * lives in memory: without this a restarted service would begin a firing series as
   * inactive, and the condition clearing would never resolve its alert.
   */
  setOpenAlerts(fingerprints: Iterable<string>): void {
    this.open = new Set(fingerprints);
  }

  /** What ingest's registry says of a device (its labels scope rules and label alerts). */
  setDevice(id: string, info: DeviceInfo | undefined): void {
    if (info) this.devices.set(id, info);
    else this.devices.delete(id);
    this.labelCache.delete(id);
  }

  /** The labels of a device's series. */
  seriesLabels(deviceId: string, typeToken: string): Record<string, string> {
    const cached = this.labelCache.get(deviceId);
    if (cached) return cached;
    const d = this.devices.get(deviceId);
    const labels = d
      ? {
          ...d.labels,
          device: deviceId,
          device_type: d.type || typeToken,
          zone: d.zone,
          department: d.department,
        }
      : { device: deviceId, device_type: typeToken };
    this.labelCache.set(deviceId, labels);
    return labels;
  }

  private inScope(rule: RuleDef, labels: Labels): boolean {
    let matchers = this.scopes.get(rule);
    if (!matchers) {
      matchers = equalMatchers(rule.scope);
      this.scopes.set(rule, matchers);
    }
    return matchesAll(matchers, labels);
  }

  private evaluator(rule: RuleDef, deviceId: string, labels: Labels): Evaluator | undefined {
    const key = `${rule.id}@${rule.version}|${deviceId}`;
    let s = this.series.get(key);
    if (!s) {
      const ev = createEvaluator(rule.condition, {
        expectedIntervalMs: this.devices.get(deviceId)?.expectedIntervalMs ?? 0,
      });
      if (!ev) return undefined;
      if (this.open.has(fingerprint(alertLabels(rule, labels)))) ev.resume();
      s = { ev, rule, labels };
      this.series.set(key, s);
    }
    return s.ev;
  }

  async onReadings(readings: readonly Reading[]): Promise<void> {
    const started = performance.now();
    const work: { rule: RuleDef; labels: Labels; t: Transition }[] = [];
    for (const r of readings) {
      const rules = [...(this.byMetric.get(r.metric) ?? []), ...(this.byMetric.get('*') ?? [])];
      if (rules.length === 0) continue;
      const labels = this.seriesLabels(r.deviceId, deviceTypeToken(r.deviceType));
      const time = r.observedAt?.getTime() ?? this.o.clock.now();
      for (const rule of rules) {
        if (!this.inScope(rule, labels)) continue;
        const ev = this.evaluator(rule, r.deviceId, labels);
        if (!ev) continue;
        for (const t of ev.observe({ time, value: r.value })) work.push({ rule, labels, t });
      }
    }
    this.readings.inc(readings.length);
    this.evalSeconds.observe((performance.now() - started) / 1000);
    await this.apply(work);
  }

  /** Time passed: `for` windows complete, absences and closed nights or hours are judged. */
  async tick(now = this.o.clock.now()): Promise<void> {
    const work: { rule: RuleDef; labels: Labels; t: Transition }[] = [];
    for (const s of this.series.values())
      for (const t of s.ev.tick(now)) work.push({ rule: s.rule, labels: s.labels, t });
    await this.apply(work);
    await this.expireEventAlerts(now);
  }

  /** Ingest declared a device offline: absence rules selecting it fire. */
  async offline(deviceId: string, typeToken: string, at: number): Promise<void> {
    const labels = this.seriesLabels(deviceId, typeToken);
    const work: { rule: RuleDef; labels: Labels; t: Transition }[] = [];
    for (const rule of this.byMetric.get('*') ?? []) {
      if (!this.inScope(rule, labels)) continue;
      const ev = this.evaluator(rule, deviceId, labels) as AbsenceEvaluator | undefined;
      for (const t of ev?.offline(at) ?? []) work.push({ rule, labels, t });
    }
    await this.apply(work);
  }

  /** Ingest saw the device again: its absence alerts resolve. */
  async online(deviceId: string, typeToken: string, at: number): Promise<void> {
    const labels = this.seriesLabels(deviceId, typeToken);
    const work: { rule: RuleDef; labels: Labels; t: Transition }[] = [];
    for (const rule of this.byMetric.get('*') ?? []) {
      if (!this.inScope(rule, labels)) continue;
      const ev = this.evaluator(rule, deviceId, labels);
      for (const t of ev?.observe({ time: at, value: 0 }) ?? []) work.push({ rule, labels, t });
    }
    await this.apply(work);
  }

  /** An event arrived on `subject` (namespace stripped) for an event rule. */
  async onEvent(rule: RuleDef, subject: string): Promise<void> {
    if (rule.condition.kind !== 'event') return;
    const fire = subjectLabels(rule.condition.subject, subject);
    if (fire) {
      if (this.inScope(rule, fire)) await this.o.alerts.fire(rule, fire, `event on ${subject}`);
      return;
    }
    if (rule.condition.resolveSubject) {
      const resolve = subjectLabels(rule.condition.resolveSubject, subject);
      if (resolve)
        await this.o.alerts.resolveOpen(
          fingerprint(alertLabels(rule, resolve)),
          `event on ${subject}`,
        );
    }
  }

  private async expireEventAlerts(now: number): Promise<void> {
    for (const rule of this.rules) {
      if (rule.condition.kind !== 'event' || !(rule.condition.resolveAfterMs > 0)) continue;
      for (const a of await openAlertsOfRule(this.o.db, rule.id)) {
        if (a.last_seen_at.getTime() + rule.condition.resolveAfterMs <= now)
          await this.o.alerts.resolveOpen(
            a.fingerprint,
            `no event for ${rule.condition.resolveAfterMs / 1000}s`,
            now,
          );
      }
    }
  }

  /**
   * Transitions of one series reach the database in the order they were evaluated, even when
   * several messages are handled at once; different series write side by side.
   */
  private readonly chains = new Map<string, Promise<void>>();
  private apply(work: { rule: RuleDef; labels: Labels; t: Transition }[]): Promise<void> {
    if (work.length === 0) return Promise.resolve();
    const bySeries = new Map<string, typeof work>();
    for (const w of work) {
      const key = `${w.rule.id}|${fingerprint(w.labels)}`;
      bySeries.set(key, [...(bySeries.get(key) ?? []), w]);
    }
    return Promise.all(
      [...bySeries].map(([key, items]) => {
        const next = (this.chains.get(key) ?? Promise.resolve()).then(() => this.write(items));
        const settled = next.catch(() => undefined);
        this.chains.set(key, settled);
        void settled.then(() => {
          if (this.chains.get(key) === settled) this.chains.delete(key);
        });
        return next;
      }),
    ).then(() => undefined);
  }

  private async write(work: { rule: RuleDef; labels: Labels; t: Transition }[]): Promise<void> {
    for (const { rule, labels, t } of work) {
      try {
        const fp = fingerprint(alertLabels(rule, labels));
        if (t.to === 'firing') {
          await this.o.alerts.fire(rule, labels, t.detail);
          this.open.add(fp);
        } else if (t.to === 'resolved') {
          await this.o.alerts.clear(rule, labels, t.detail);
          this.open.delete(fp);
        }
      } catch (error) {
        // The evaluator moved on but the database did not: forget the series, so the
        // redelivered reading evaluates afresh and the transition is not lost.
        this.series.delete(`${rule.id}@${rule.version}|${labels.device ?? ''}`);
        throw error;
      }
    }
  }
}

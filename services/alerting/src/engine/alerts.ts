// The alert lifecycle against the database: firing and clearing from rule evaluation, the
// operators' actions, escalation. Each change is one transaction holding the alert, its
// history entry, its `AlertChanged` event (outbox), the public warning when the rule is public,
// and the scheduling of its notification groups — so a committed change is always notified.
import { AlertChanged } from '@slimstad/contracts';
import {
  type Clock,
  enqueueEvent,
  failedPrecondition,
  type Logger,
  type Metrics,
  notFound,
  traceContextRecord,
} from '@slimstad/kit';
import { toAlertMessage } from '../api/mapping.js';
import { flushAfterChange } from '../domain/grouping.js';
import { fingerprint, type Labels } from '../domain/labels.js';
import { type AlertAction, applyAction, nextEscalationAt } from '../domain/lifecycle.js';
import type { RuleDef } from '../domain/rules.js';
import {
  type AlertRow,
  addHistory,
  alertById,
  dueEscalations,
  factsOf,
  openAlertByFingerprint,
  saveFacts,
  upsertFiring,
} from '../store/alert.repository.js';
import type { Db, Tx } from '../store/db.js';
import { groupsOfAlert, joinGroup, setNextFlush } from '../store/notification.repository.js';
import type { Router } from './ports.js';

/** The public-warning side of a change (CAP 1.2), inside the change's transaction. */
export interface PublicWarningHook {
  onChange(
    trx: Tx,
    alert: AlertRow,
    msgType: 'Alert' | 'Update' | 'Cancel',
    at: number,
  ): Promise<void>;
}

export interface AlertsOptions {
  db: Db;
  clock: Clock;
  router: Router;
  log: Logger;
  metrics: Metrics;
  /** Called after a commit that queued events or notifications. */
  committed: (hint: { flushAt?: number }) => void;
  publicWarnings?: PublicWarningHook;
}

/** The labels of the alert a rule raises for a series. */
export function alertLabels(rule: RuleDef, series: Labels): Record<string, string> {
  return {
    ...series,
    ...rule.labels,
    alertname: rule.name,
    rule_id: rule.id,
    severity: rule.severity,
  };
}

export class Alerts {
  private readonly transitions;
  constructor(private readonly o: AlertsOptions) {
    this.transitions = o.metrics.counter(
      'alert_transitions_total',
      'Alert lifecycle changes, by change.',
      ['change'],
    );
  }

  /** The rule's condition holds for a series: open its alert (or touch the open one). */
  async fire(
    rule: RuleDef,
    series: Labels,
    detail: string,
    at = this.o.clock.now(),
  ): Promise<{ alert: AlertRow; created: boolean }> {
    const labels = alertLabels(rule, series);
    const fp = fingerprint(labels);
    let flushAt: number | undefined;
    const result = await this.o.db.transaction().execute(async (trx) => {
      const r = await upsertFiring(trx, {
        fingerprint: fp,
        ruleId: rule.id,
        ruleVersion: rule.version,
        labels,
        annotations: { ...rule.annotations, detail },
        severity: rule.severity,
        isPublic: rule.isPublic,
        at,
        nextEscalationAt: nextEscalationAt(at, 0, rule.escalateAfterMs),
      });
      if (!r.created) return r;
      await addHistory(trx, r.alert.id, 'fired', 'system', detail, at);
      await this.event(trx, r.alert, 'fired', 'system', at);
      flushAt = await this.route(trx, r.alert, labels, at);
      if (r.alert.public) await this.o.publicWarnings?.onChange(trx, r.alert, 'Alert', at);
      return r;
    });
    if (result.created) {
      this.o.log.debug({ alert: result.alert.id, ms: this.o.clock.now() - at }, 'alert fired');
      this.transitions.inc({ change: 'fired' });
      this.o.committed({ flushAt });
    }
    return result;
  }

  /** The condition cleared: resolve the open alert of the series, if any. */
  async clear(
    rule: RuleDef,
    series: Labels,
    detail: string,
    at = this.o.clock.now(),
  ): Promise<AlertRow | undefined> {
    const fp = fingerprint(alertLabels(rule, series));
    return this.resolveOpen(fp, detail, at);
  }

  async resolveOpen(
    fp: string,
    detail: string,
    at = this.o.clock.now(),
  ): Promise<AlertRow | undefined> {
    let flushAt: number | undefined;
    const alert = await this.o.db.transaction().execute(async (trx) => {
      const open = await openAlertByFingerprint(trx, fp, true);
      if (!open) return undefined;
      const r = await this.change(trx, open, { kind: 'clear', at }, 'system', detail);
      flushAt = r.flushAt;
      return r.alert;
    });
    if (alert) this.o.committed({ flushAt });
    return alert;
  }

  /** An operator's action on an alert (acknowledge, resolve, assign, comment). */
  async act(
    id: string,
    action: Exclude<AlertAction, { kind: 'seen' | 'clear' | 'escalate' }>,
    text: string,
  ): Promise<AlertRow> {
    let flushAt: number | undefined;
    const alert = await this.o.db.transaction().execute(async (trx) => {
      const row = await alertById(trx, id, true);
      if (!row) throw notFound(`alert ${id}`);
      const r = await this.change(trx, row, action, action.actor, text);
      flushAt = r.flushAt;
      return r.alert;
    });
    this.o.committed({ flushAt });
    return alert;
  }

  /** Escalates every unacknowledged alert whose time came; resolves with how many. */
  async escalateDue(rules: ReadonlyMap<string, RuleDef>): Promise<number> {
    const now = this.o.clock.now();
    let flushAt: number | undefined;
    const n = await this.o.db.transaction().execute(async (trx) => {
      const due = await dueEscalations(trx, now);
      for (const row of due) {
        const rule = rules.get(row.rule_id);
        const r = await this.change(
          trx,
          row,
          { kind: 'escalate', at: now },
          'system',
          `not acknowledged in time (escalation ${row.escalations + 1})`,
          rule,
        );
        flushAt = Math.min(
          flushAt ?? Number.POSITIVE_INFINITY,
          r.flushAt ?? Number.POSITIVE_INFINITY,
        );
      }
      return due.length;
    });
    if (n > 0) this.o.committed({ flushAt: Number.isFinite(flushAt) ? flushAt : undefined });
    return n;
  }

  private async change(
    trx: Tx,
    row: AlertRow,
    action: AlertAction,
    actor: string,
    text: string,
    rule?: RuleDef,
  ): Promise<{ alert: AlertRow; flushAt?: number }> {
    const outcome = applyAction(factsOf(row), action);
    if (!outcome.ok) throw failedPrecondition(`alert ${row.id}: ${outcome.reason}`);
    const kind =
      action.kind === 'clear'
        ? 'resolved'
        : action.kind === 'resolve'
          ? 'resolved'
          : action.kind === 'acknowledge'
            ? 'acknowledged'
            : action.kind === 'assign'
              ? 'assigned'
              : action.kind === 'escalate'
                ? 'escalated'
                : 'comment';
    const next =
      action.kind === 'escalate'
        ? nextEscalationAt(
            row.started_at.getTime(),
            outcome.alert.escalations,
            rule?.escalateAfterMs ?? 0,
          )
        : undefined;
    const alert = outcome.changed ? await saveFacts(trx, row.id, outcome.alert, next) : row;
    await addHistory(
      trx,
      row.id,
      kind,
      actor,
      action.kind === 'assign' ? action.assignee || '(unassigned)' : text,
      action.at,
    );
    let flushAt: number | undefined;
    if (kind === 'resolved' || kind === 'escalated' || kind === 'acknowledged') {
      await this.event(trx, alert, kind, actor, action.at);
      this.transitions.inc({ change: kind });
    }
    if (kind === 'resolved') {
      for (const g of await groupsOfAlert(trx, row.id)) {
        const at = flushAfterChange(
          {
            lastFlushAt: g.last_flush_at?.getTime() ?? null,
            nextFlushAt: g.next_flush_at?.getTime() ?? null,
          },
          action.at,
          {
            groupWaitMs: g.group_wait_ms,
            groupIntervalMs: g.group_interval_ms,
            repeatIntervalMs: g.repeat_interval_ms,
          },
        );
        // The resolution's notification continues this change's trace.
        await setNextFlush(trx, g, at, traceContextRecord());
        flushAt = Math.min(flushAt ?? at, at);
      }
      if (alert.public) await this.o.publicWarnings?.onChange(trx, alert, 'Cancel', action.at);
    }
    if (kind === 'escalated') {
      flushAt = await this.route(
        trx,
        alert,
        { ...alert.labels, escalation: String(alert.escalations) },
        action.at,
      );
      // Still no one on it: the public warning is re-issued (CAP Update).
      if (alert.public) await this.o.publicWarnings?.onChange(trx, alert, 'Update', action.at);
    }
    return { alert, flushAt };
  }

  /** Joins the alert to the groups its labels route to; the earliest flush time. */
  private async route(
    trx: Tx,
    alert: AlertRow,
    labels: Labels,
    at: number,
  ): Promise<number | undefined> {
    let earliest: number | undefined;
    for (const target of this.o.router(labels)) {
      let scheduled = 0;
      await joinGroup(
        trx,
        alert.id,
        {
          receiver: target.receiver,
          key: target.groupKey,
          labels: target.groupLabels,
          timing: target.timing,
        },
        (clock) => {
          scheduled = flushAfterChange(clock, at, target.timing);
          return scheduled;
        },
      );
      earliest = Math.min(earliest ?? scheduled, scheduled);
    }
    return earliest;
  }

  private async event(
    trx: Tx,
    alert: AlertRow,
    change: string,
    actor: string,
    at: number,
  ): Promise<void> {
    await enqueueEvent(
      trx as never,
      AlertChanged,
      { severity: alert.severity, rule: alert.rule_id },
      { alert: toAlertMessage(alert), change, actor, time: new Date(at) },
      'alert',
    );
  }
}

// Between the wire (protobuf) and the domain: rules, alerts, silences, matchers, resource points.

import type { Duration } from '@slimstad/contracts/gen/google/protobuf/duration';
import {
  type Alert,
  AlertState,
  Comparison,
  type Matcher,
  MatchOperator,
  type ResourcePoint,
  type Rule,
  Severity,
  type Silence,
} from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import type { LabelMatcher, MatchOp } from '../domain/labels.js';
import type { AlertStatus } from '../domain/lifecycle.js';
import type { Condition, RuleDef, Severity as Sev, Violation } from '../domain/rules.js';
import type { AlertRow, HistoryRow } from '../store/alert.repository.js';
import type { ResourcePointRow } from '../store/directory.repository.js';
import type { SilenceRow } from '../store/silence.repository.js';

export const durationMs = (d: Duration | undefined): number =>
  d ? Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6) : 0;
export const duration = (ms: number): Duration => ({
  seconds: BigInt(Math.floor(ms / 1000)),
  nanos: (ms % 1000) * 1e6,
});

const SEVERITY: Record<Sev, Severity> = {
  info: Severity.SEVERITY_INFO,
  warning: Severity.SEVERITY_WARNING,
  critical: Severity.SEVERITY_CRITICAL,
};
export const severityOf = (s: Severity): Sev =>
  s === Severity.SEVERITY_INFO ? 'info' : s === Severity.SEVERITY_CRITICAL ? 'critical' : 'warning';
export const severityToWire = (s: Sev): Severity => SEVERITY[s];

const STATE: Record<AlertStatus, AlertState> = {
  firing: AlertState.ALERT_STATE_FIRING,
  acknowledged: AlertState.ALERT_STATE_ACKNOWLEDGED,
  resolved: AlertState.ALERT_STATE_RESOLVED,
};
export const stateToWire = (s: AlertStatus): AlertState => STATE[s];
export const stateOf = (s: AlertState): AlertStatus | undefined =>
  (Object.entries(STATE).find(([, v]) => v === s)?.[0] as AlertStatus | undefined) ?? undefined;

/** The domain rule of a wire rule, or the violations that keep it from being one. */
export function ruleFromWire(
  r: Rule,
  version: number,
): { rule?: RuleDef; violations: Violation[] } {
  const c = r.condition;
  const violations: Violation[] = [];
  let condition: Condition | undefined;
  switch (c?.$case) {
    case 'threshold': {
      const t = c.value;
      if (t.comparison === Comparison.COMPARISON_UNSPECIFIED)
        violations.push({
          field: 'rule.threshold.comparison',
          description: 'must be ABOVE or BELOW',
        });
      condition = {
        kind: 'threshold',
        metric: t.metric,
        comparison: t.comparison === Comparison.COMPARISON_BELOW ? 'below' : 'above',
        value: t.value,
        forMs: durationMs(t.for),
        ...(t.clearValue !== undefined ? { clearValue: t.clearValue } : {}),
      };
      break;
    }
    case 'rateOfChange':
      condition = {
        kind: 'rate_of_change',
        metric: c.value.metric,
        delta: c.value.delta,
        windowMs: durationMs(c.value.window),
      };
      break;
    case 'absence':
      condition = { kind: 'absence', factor: c.value.factor };
      break;
    case 'nightFlow':
      condition = {
        kind: 'night_flow',
        metric: c.value.metric,
        startHour: c.value.startHour,
        endHour: c.value.endHour,
        threshold: c.value.threshold,
        nights: c.value.nights,
        timeZone: c.value.timeZone || 'Europe/Brussels',
      };
      break;
    case 'baseline':
      condition = {
        kind: 'baseline',
        metric: c.value.metric,
        factor: c.value.factor,
        minWeeks: c.value.minWeeks || 1,
        timeZone: c.value.timeZone || 'Europe/Brussels',
      };
      break;
    case 'event':
      condition = {
        kind: 'event',
        subject: c.value.subject,
        resolveSubject: c.value.resolveSubject,
        resolveAfterMs: durationMs(c.value.resolveAfter),
      };
      break;
    default:
      violations.push({
        field: 'rule.condition',
        description:
          'is required: one of threshold, rate_of_change, absence, night_flow, baseline, event',
      });
  }
  const pw = r.publicWarning;
  if (pw) {
    if (!pw.event)
      violations.push({
        field: 'rule.public_warning.event',
        description: 'is required (CAP event, e.g. "Flood warning")',
      });
    if (!pw.areaDesc)
      violations.push({
        field: 'rule.public_warning.area_desc',
        description: 'is required (CAP areaDesc)',
      });
    if (pw.polygon.length === 0 && !pw.circle)
      violations.push({
        field: 'rule.public_warning',
        description: 'needs the affected area: a polygon or a circle',
      });
    if (pw.polygon.length > 0) {
      const first = pw.polygon[0];
      const last = pw.polygon.at(-1);
      if (
        pw.polygon.length < 4 ||
        first?.latitude !== last?.latitude ||
        first?.longitude !== last?.longitude
      )
        violations.push({
          field: 'rule.public_warning.polygon',
          description: 'must have at least 4 points, the first repeated last (CAP 1.2 §3.2.4)',
        });
    }
    if (pw.circle && !(pw.circle.radiusKm > 0))
      violations.push({
        field: 'rule.public_warning.circle.radius_km',
        description: 'must be positive',
      });
  }
  if (!condition) return { violations };
  const rule: RuleDef = {
    id: r.id,
    version,
    name: r.name,
    enabled: r.enabled,
    severity: severityOf(r.severity),
    scope: r.scope,
    labels: r.labels,
    annotations: r.annotations,
    condition,
    escalateAfterMs: durationMs(r.escalateAfter),
    isPublic: Boolean(pw),
  };
  return { rule, violations };
}

export function toAlertMessage(
  a: AlertRow,
  history: HistoryRow[] = [],
  flags: { silenced?: boolean; inhibited?: boolean } = {},
): Alert {
  return {
    id: a.id,
    fingerprint: a.fingerprint,
    ruleId: a.rule_id,
    ruleVersion: BigInt(a.rule_version),
    labels: a.labels,
    annotations: a.annotations,
    state: stateToWire(a.state),
    severity: severityToWire(a.severity),
    startTime: a.started_at,
    lastSeenTime: a.last_seen_at,
    endTime: a.ended_at ?? undefined,
    acknowledgedBy: a.acknowledged_by ?? '',
    acknowledgeTime: a.acknowledged_at ?? undefined,
    resolvedBy: a.resolved_by ?? '',
    assignee: a.assignee ?? '',
    escalations: a.escalations,
    silenced: flags.silenced ?? false,
    inhibited: flags.inhibited ?? false,
    history: history.map((h) => ({ kind: h.kind, actor: h.actor, text: h.text, time: h.at })),
    public: a.public,
  };
}

const OPS: Record<MatchOp, MatchOperator> = {
  '=': MatchOperator.MATCH_OPERATOR_EQUAL,
  '!=': MatchOperator.MATCH_OPERATOR_NOT_EQUAL,
  '=~': MatchOperator.MATCH_OPERATOR_REGEX,
  '!~': MatchOperator.MATCH_OPERATOR_NOT_REGEX,
};
export const matcherFromWire = (m: Matcher): LabelMatcher => ({
  name: m.name,
  op: (Object.entries(OPS).find(([, v]) => v === m.operator)?.[0] as MatchOp | undefined) ?? '=',
  value: m.value,
});
export const matcherToWire = (m: LabelMatcher): Matcher => ({
  name: m.name,
  operator: OPS[m.op],
  value: m.value,
});

export const toSilenceMessage = (s: SilenceRow): Silence => ({
  id: s.id,
  matchers: s.matchers.map(matcherToWire),
  startTime: s.starts_at,
  endTime: s.ends_at,
  createdBy: s.created_by,
  comment: s.comment,
  expireTime: s.expired_at ?? undefined,
});

export const toResourcePointMessage = (p: ResourcePointRow): ResourcePoint => ({
  id: p.id,
  kind: p.kind,
  name: p.name,
  location: { latitude: p.latitude, longitude: p.longitude },
  address: p.address,
  zone: p.zone,
  note: p.note,
});

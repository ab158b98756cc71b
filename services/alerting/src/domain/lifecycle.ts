// The alert lifecycle (Alertmanager's, plus the control room's hands): an alert fires, may be
// acknowledged, and is resolved — by the condition clearing or by an operator — with who and
// when; it can be assigned and commented on while open, and escalates when nobody acknowledges
// it in time. A resolved alert is closed for good: the same labels firing again open a new one.
export type AlertStatus = 'firing' | 'acknowledged' | 'resolved';

export interface AlertFacts {
  state: AlertStatus;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  resolvedBy: string | null;
  endedAt: number | null;
  assignee: string | null;
  escalations: number;
  lastSeenAt: number;
}

export type AlertAction =
  | { kind: 'seen'; at: number }
  | { kind: 'acknowledge'; actor: string; at: number }
  | { kind: 'resolve'; actor: string; at: number }
  | { kind: 'clear'; at: number }
  | { kind: 'assign'; actor: string; assignee: string; at: number }
  | { kind: 'comment'; actor: string; at: number }
  | { kind: 'escalate'; at: number };

export type Outcome =
  | { ok: true; alert: AlertFacts; changed: boolean }
  | { ok: false; reason: string };

/** Applies one action; refuses what the lifecycle does not allow, with the reason. */
export function applyAction(a: AlertFacts, action: AlertAction): Outcome {
  const open = a.state !== 'resolved';
  switch (action.kind) {
    case 'seen':
      if (!open) return { ok: false, reason: 'alert is resolved' };
      return {
        ok: true,
        alert: { ...a, lastSeenAt: Math.max(a.lastSeenAt, action.at) },
        changed: false,
      };
    case 'acknowledge':
      if (a.state === 'acknowledged')
        return { ok: false, reason: `alert is already acknowledged by ${a.acknowledgedBy}` };
      if (!open) return { ok: false, reason: 'alert is resolved' };
      return {
        ok: true,
        alert: {
          ...a,
          state: 'acknowledged',
          acknowledgedBy: action.actor,
          acknowledgedAt: action.at,
        },
        changed: true,
      };
    case 'resolve':
    case 'clear':
      if (!open) return { ok: false, reason: 'alert is already resolved' };
      return {
        ok: true,
        alert: {
          ...a,
          state: 'resolved',
          resolvedBy: action.kind === 'clear' ? 'system' : action.actor,
          endedAt: action.at,
        },
        changed: true,
      };
    case 'assign':
      if (!open) return { ok: false, reason: 'alert is resolved' };
      return { ok: true, alert: { ...a, assignee: action.assignee || null }, changed: true };
    case 'comment':
      return { ok: true, alert: a, changed: false };
    case 'escalate':
      if (a.state !== 'firing')
        return { ok: false, reason: 'only unacknowledged firing alerts escalate' };
      return { ok: true, alert: { ...a, escalations: a.escalations + 1 }, changed: true };
  }
}

export const newAlert = (at: number): AlertFacts => ({
  state: 'firing',
  acknowledgedBy: null,
  acknowledgedAt: null,
  resolvedBy: null,
  endedAt: null,
  assignee: null,
  escalations: 0,
  lastSeenAt: at,
});

/** When an unacknowledged alert escalates next (the n-th time after `escalateAfterMs` × n), or null. */
export function nextEscalationAt(
  startedAt: number,
  escalations: number,
  escalateAfterMs: number,
): number | null {
  return escalateAfterMs > 0 ? startedAt + escalateAfterMs * (escalations + 1) : null;
}

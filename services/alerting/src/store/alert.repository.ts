// Alerts and their history. One open alert per fingerprint is the database's promise (the
// partial unique index `alert_open_fingerprint`): concurrent firings — two readings a
// millisecond apart, two replicas — end in one row, the loser seeing `created: false`.
import { sql } from 'kysely';
import type { Labels } from '../domain/labels.js';
import type { AlertFacts, AlertStatus } from '../domain/lifecycle.js';
import type { Severity } from '../domain/rules.js';
import type { Tx } from './db.js';

export interface AlertRow {
  id: string;
  fingerprint: string;
  rule_id: string;
  rule_version: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: AlertStatus;
  severity: Severity;
  public: boolean;
  started_at: Date;
  last_seen_at: Date;
  ended_at: Date | null;
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  resolved_by: string | null;
  assignee: string | null;
  escalations: number;
  next_escalation_at: Date | null;
}

export interface HistoryRow {
  kind: string;
  actor: string;
  text: string;
  at: Date;
}

export interface FireInput {
  fingerprint: string;
  ruleId: string;
  ruleVersion: number;
  labels: Labels;
  annotations: Labels;
  severity: Severity;
  isPublic: boolean;
  at: number;
  nextEscalationAt: number | null;
}

/** Opens the alert of a fingerprint, or touches the open one; says which. */
export async function upsertFiring(
  trx: Tx,
  f: FireInput,
): Promise<{ alert: AlertRow; created: boolean }> {
  const { rows } = await sql<AlertRow & { created: boolean }>`
    insert into alert (fingerprint, rule_id, rule_version, labels, annotations, state, severity, public,
                       started_at, last_seen_at, next_escalation_at)
    values (${f.fingerprint}, ${f.ruleId}, ${f.ruleVersion}, ${JSON.stringify(f.labels)}, ${JSON.stringify(f.annotations)},
            'firing', ${f.severity}, ${f.isPublic}, ${new Date(f.at)}, ${new Date(f.at)},
            ${f.nextEscalationAt === null ? null : new Date(f.nextEscalationAt)})
    on conflict (fingerprint) where state <> 'resolved'
    do update set last_seen_at = greatest(alert.last_seen_at, excluded.last_seen_at),
                  annotations = alert.annotations || excluded.annotations
    returning *, (xmax = 0) as created`.execute(trx);
  const row = rows[0] as AlertRow & { created: boolean };
  const { created, ...alert } = row;
  return { alert, created };
}

export async function openAlertByFingerprint(
  trx: Tx,
  fp: string,
  lock = false,
): Promise<AlertRow | undefined> {
  const { rows } = await sql<AlertRow>`
    select * from alert where fingerprint = ${fp} and state <> 'resolved'
    ${lock ? sql`for update` : sql``}`.execute(trx);
  return rows[0];
}

export async function alertById(trx: Tx, id: string, lock = false): Promise<AlertRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } =
    await sql<AlertRow>`select * from alert where id = ${id} ${lock ? sql`for update` : sql``}`.execute(
      trx,
    );
  return rows[0];
}

export const factsOf = (a: AlertRow): AlertFacts => ({
  state: a.state,
  acknowledgedBy: a.acknowledged_by,
  acknowledgedAt: a.acknowledged_at?.getTime() ?? null,
  resolvedBy: a.resolved_by,
  endedAt: a.ended_at?.getTime() ?? null,
  assignee: a.assignee,
  escalations: a.escalations,
  lastSeenAt: a.last_seen_at.getTime(),
});

/** Writes the lifecycle facts back. */
export async function saveFacts(
  trx: Tx,
  id: string,
  f: AlertFacts,
  nextEscalationAt?: number | null,
): Promise<AlertRow> {
  const d = (ms: number | null) => (ms === null ? null : new Date(ms));
  const { rows } = await sql<AlertRow>`
    update alert set state = ${f.state}, acknowledged_by = ${f.acknowledgedBy}, acknowledged_at = ${d(f.acknowledgedAt)},
      resolved_by = ${f.resolvedBy}, ended_at = ${d(f.endedAt)}, assignee = ${f.assignee},
      escalations = ${f.escalations}, last_seen_at = ${new Date(f.lastSeenAt)},
      next_escalation_at = ${f.state === 'firing' ? (nextEscalationAt === undefined ? sql`next_escalation_at` : d(nextEscalationAt)) : null},
      updated_at = now()
    where id = ${id} returning *`.execute(trx);
  return rows[0] as AlertRow;
}

export async function addHistory(
  trx: Tx,
  alertId: string,
  kind: string,
  actor: string,
  text: string,
  at: number,
): Promise<void> {
  await sql`insert into alert_history (alert_id, kind, actor, text, at) values (${alertId}, ${kind}, ${actor}, ${text}, ${new Date(at)})`.execute(
    trx,
  );
}

export async function historyOf(trx: Tx, alertId: string): Promise<HistoryRow[]> {
  const { rows } =
    await sql<HistoryRow>`select kind, actor, text, at from alert_history where alert_id = ${alertId} order by id`.execute(
      trx,
    );
  return rows;
}

export async function listAlerts(
  trx: Tx,
  filter: { states: AlertStatus[]; after?: { startedAt: Date; id: string }; limit: number },
): Promise<AlertRow[]> {
  const { rows } = await sql<AlertRow>`
    select * from alert
    where (${filter.states.length === 0} or state = any(${filter.states}::text[]))
      ${filter.after ? sql`and (started_at, id) < (${filter.after.startedAt}, ${filter.after.id}::uuid)` : sql``}
    order by started_at desc, id desc limit ${filter.limit}`.execute(trx);
  return rows;
}

export async function openAlerts(trx: Tx): Promise<AlertRow[]> {
  const { rows } = await sql<AlertRow>`select * from alert where state <> 'resolved'`.execute(trx);
  return rows;
}

/** The fingerprints of every open alert (firing or acknowledged). */
export async function openFingerprints(trx: Tx): Promise<string[]> {
  const { rows } = await sql<{
    fingerprint: string;
  }>`select fingerprint from alert where state <> 'resolved'`.execute(trx);
  return rows.map((r) => r.fingerprint);
}

/** Open alerts of one rule (when the rule is deleted, or for event rules' timed resolution). */
export async function openAlertsOfRule(trx: Tx, ruleId: string): Promise<AlertRow[]> {
  const { rows } =
    await sql<AlertRow>`select * from alert where rule_id = ${ruleId} and state <> 'resolved'`.execute(
      trx,
    );
  return rows;
}

/** Unacknowledged alerts whose escalation is due, locked for this transaction. */
export async function dueEscalations(trx: Tx, now: number, limit = 50): Promise<AlertRow[]> {
  const { rows } = await sql<AlertRow>`
    select * from alert where state = 'firing' and next_escalation_at <= ${new Date(now)}
    order by next_escalation_at limit ${limit} for update skip locked`.execute(trx);
  return rows;
}

export async function countByState(trx: Tx): Promise<Record<string, number>> {
  const { rows } = await sql<{ state: string; n: bigint }>`
    select state, count(*) as n from alert group by state`.execute(trx);
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

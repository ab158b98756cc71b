// The notification outbox. In the transaction that fires or resolves an alert, the alert joins
// its route groups and the group's next flush is scheduled; a flush (under `for update skip
// locked`, so replicas share the work) writes one `notification` row per group and flush
// sequence (unique: never two for one interval) and commits; senders then claim rows, deliver
// them and record the outcome. A process that dies anywhere in between leaves a row that is
// picked up again — so a committed firing is always notified. The group keeps the trace context
// of the latest change that scheduled its flush and the notification carries it to the send.
import { traceContextRecord } from '@slimstad/kit';
import { sql } from 'kysely';
import type { GroupTiming } from '../domain/grouping.js';
import type { AlertRow } from './alert.repository.js';
import type { Tx } from './db.js';

export interface GroupRow {
  receiver: string;
  group_key: string;
  group_labels: Record<string, string>;
  group_wait_ms: number;
  group_interval_ms: number;
  repeat_interval_ms: number;
  next_flush_at: Date | null;
  last_flush_at: Date | null;
  last_hash: string | null;
  flush_seq: bigint;
  /** Trace context (`traceparent`) of the change that scheduled the next flush; `{}` when none. */
  trace: Record<string, string>;
}

export interface NotificationRow {
  id: bigint;
  receiver: string;
  group_key: string;
  flush_seq: bigint;
  payload: NotificationPayload;
  alert_ids: string[];
  status: 'pending' | 'sending' | 'retrying' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  /** The trace the send continues (the group's at the flush). */
  trace: Record<string, string>;
}

/** What a receiver gets: Alertmanager's webhook payload, version 4 (built by `notify/`). */
export interface NotificationPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
}

/**
 * The alert joins the group (created on first use) and the group's flush is (re)scheduled,
 * continuing the active trace.
 */
export async function joinGroup(
  trx: Tx,
  alertId: string,
  g: { receiver: string; key: string; labels: Record<string, string>; timing: GroupTiming },
  flushAt: (group: { lastFlushAt: number | null; nextFlushAt: number | null }) => number,
): Promise<void> {
  await sql`
    insert into notification_group (receiver, group_key, group_labels, group_wait_ms, group_interval_ms, repeat_interval_ms)
    values (${g.receiver}, ${g.key}, ${JSON.stringify(g.labels)}, ${g.timing.groupWaitMs}, ${g.timing.groupIntervalMs}, ${g.timing.repeatIntervalMs})
    on conflict (receiver, group_key) do update
      set group_wait_ms = excluded.group_wait_ms, group_interval_ms = excluded.group_interval_ms,
          repeat_interval_ms = excluded.repeat_interval_ms`.execute(trx);
  await sql`
    insert into group_member (receiver, group_key, alert_id) values (${g.receiver}, ${g.key}, ${alertId})
    on conflict do nothing`.execute(trx);
  const { rows } = await sql<GroupRow>`
    select * from notification_group where receiver = ${g.receiver} and group_key = ${g.key} for update`.execute(
    trx,
  );
  const row = rows[0] as GroupRow;
  const next = flushAt({
    lastFlushAt: row.last_flush_at?.getTime() ?? null,
    nextFlushAt: row.next_flush_at?.getTime() ?? null,
  });
  await sql`update notification_group set next_flush_at = ${new Date(next)},
              trace = ${JSON.stringify(traceContextRecord())}
            where receiver = ${g.receiver} and group_key = ${g.key}`.execute(trx);
}

/** The groups an alert belongs to (to reschedule them when it changes). */
export async function groupsOfAlert(trx: Tx, alertId: string): Promise<GroupRow[]> {
  const { rows } = await sql<GroupRow>`
    select g.* from notification_group g join group_member m using (receiver, group_key)
    where m.alert_id = ${alertId} order by g.receiver, g.group_key for update of g`.execute(trx);
  return rows;
}

/**
 * Reschedules the group's flush. A change passes its trace context (the flush continues it);
 * the dispatcher, deciding not to send, passes `{}` so a later flush is not tied to it.
 */
export async function setNextFlush(
  trx: Tx,
  g: GroupRow,
  at: number | null,
  trace: Record<string, string>,
): Promise<void> {
  await sql`update notification_group set next_flush_at = ${at === null ? null : new Date(at)},
              trace = ${JSON.stringify(trace)}
            where receiver = ${g.receiver} and group_key = ${g.group_key}`.execute(trx);
}

/** Groups due for a flush, locked (skipped when another replica holds them). */
export async function dueGroups(trx: Tx, now: number, limit: number): Promise<GroupRow[]> {
  const { rows } = await sql<GroupRow>`
    select * from notification_group where next_flush_at <= ${new Date(now)}
    order by next_flush_at limit ${limit} for update skip locked`.execute(trx);
  return rows;
}

export async function membersOf(trx: Tx, g: GroupRow): Promise<AlertRow[]> {
  const { rows } = await sql<AlertRow>`
    select a.* from alert a join group_member m on m.alert_id = a.id
    where m.receiver = ${g.receiver} and m.group_key = ${g.group_key} order by a.started_at, a.id`.execute(
    trx,
  );
  return rows;
}

/** Resolved alerts leave the group once a notification has said so. */
export async function dropMembers(trx: Tx, g: GroupRow, alertIds: string[]): Promise<void> {
  if (alertIds.length === 0) return;
  await sql`delete from group_member where receiver = ${g.receiver} and group_key = ${g.group_key}
            and alert_id = any(${alertIds}::uuid[])`.execute(trx);
}

export async function recordFlush(
  trx: Tx,
  g: GroupRow,
  now: number,
  hash: string | null,
  nextFlushAt: number | null,
): Promise<bigint> {
  const { rows } = await sql<{ flush_seq: bigint }>`
    update notification_group set last_flush_at = ${new Date(now)}, last_hash = ${hash},
      next_flush_at = ${nextFlushAt === null ? null : new Date(nextFlushAt)}, flush_seq = flush_seq + 1,
      trace = '{}'
    where receiver = ${g.receiver} and group_key = ${g.group_key} returning flush_seq`.execute(trx);
  return (rows[0] as { flush_seq: bigint }).flush_seq;
}

export async function insertNotification(
  trx: Tx,
  n: {
    receiver: string;
    groupKey: string;
    flushSeq: bigint;
    payload: NotificationPayload;
    alertIds: string[];
    at: number;
    trace: Record<string, string>;
  },
): Promise<bigint> {
  const { rows } = await sql<{ id: bigint }>`
    insert into notification (receiver, group_key, flush_seq, payload, alert_ids, next_attempt_at, trace)
    values (${n.receiver}, ${n.groupKey}, ${n.flushSeq}, ${JSON.stringify(n.payload)}, ${n.alertIds}::uuid[], ${new Date(n.at)}, ${JSON.stringify(n.trace)})
    returning id`.execute(trx);
  return (rows[0] as { id: bigint }).id;
}

/**
 * Claims due notifications for sending: pending or retrying ones whose time came, and ones a
 * crashed sender left in `sending` past their claim. The claim lasts `claimMs`.
 */
export async function claimDue(
  trx: Tx,
  now: number,
  claimMs: number,
  limit: number,
): Promise<NotificationRow[]> {
  const { rows } = await sql<NotificationRow>`
    update notification set status = 'sending', attempts = attempts + 1,
      claimed_until = ${new Date(now + claimMs)}
    where id in (
      select id from notification
      where (status in ('pending', 'retrying') and next_attempt_at <= ${new Date(now)})
         or (status = 'sending' and claimed_until < ${new Date(now)})
      order by id limit ${limit} for update skip locked)
    returning *`.execute(trx);
  return rows;
}

export async function markDelivered(trx: Tx, id: bigint, now: number): Promise<void> {
  await sql`update notification set status = 'delivered', delivered_at = ${new Date(now)}, claimed_until = null, last_error = null
            where id = ${id}`.execute(trx);
}

export async function markFailed(
  trx: Tx,
  id: bigint,
  error: string,
  retryAt: number | null,
): Promise<void> {
  await sql`update notification set status = ${retryAt === null ? 'failed' : 'retrying'}, last_error = ${error},
            next_attempt_at = ${retryAt === null ? sql`next_attempt_at` : new Date(retryAt)}, claimed_until = null
            where id = ${id}`.execute(trx);
}

export async function listNotifications(
  trx: Tx,
  f: { status?: string; beforeId?: bigint; limit: number },
): Promise<NotificationRow[]> {
  const { rows } = await sql<NotificationRow>`
    select * from notification
    where (${f.status ?? ''} = '' or status = ${f.status ?? ''})
      ${f.beforeId !== undefined ? sql`and id < ${f.beforeId}` : sql``}
    order by id desc limit ${f.limit}`.execute(trx);
  return rows;
}

export async function countNotificationsByStatus(trx: Tx): Promise<Record<string, number>> {
  const { rows } = await sql<{
    status: string;
    n: bigint;
  }>`select status, count(*) as n from notification group by status`.execute(trx);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

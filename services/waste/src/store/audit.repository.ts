// The append-only audit of operator actions: written in the transaction of the change it
// records, read newest first, purged only past its retention.
import { purgeExpired } from '@slimstad/kit';
import type { Kysely, Selectable } from 'kysely';
import type { AuditRow, WasteDatabase } from './db.js';
import type { Db } from './topology.repository.js';

export interface AuditRecord {
  at: Date;
  actor: string;
  action: string;
  target: string;
  detail: string;
  traceId?: string;
}

export async function writeAudit(db: Db, r: AuditRecord): Promise<void> {
  await db
    .insertInto('audit')
    .values({
      at: r.at,
      actor: r.actor,
      action: r.action,
      target: r.target,
      detail: r.detail,
      trace_id: r.traceId ?? null,
    })
    .execute();
}

/** Newest first; `before` continues after the last id of a previous page. */
export async function listAudit(
  db: Db,
  target: string | undefined,
  before: string | undefined,
  limit: number,
): Promise<Selectable<AuditRow>[]> {
  let q = db.selectFrom('audit').selectAll().orderBy('id', 'desc').limit(limit);
  if (target) q = q.where('target', '=', target);
  if (before !== undefined) q = q.where('id', '<', before);
  return q.execute();
}

export function purgeAudit(db: Kysely<WasteDatabase>, retentionDays: number): Promise<number> {
  return purgeExpired(db as never, 'audit', 'at', retentionDays);
}

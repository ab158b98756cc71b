// The append-only audit of every change and control action: who, what, on what, why, and the
// trace it happened in. A trigger refuses updates and deletes.
import type { Selectable } from 'kysely';
import type { AuditRow } from './db.js';
import type { Db } from './topology.repository.js';

export interface AuditEntry {
  at: Date;
  actor: string;
  /** e.g. `override.set`, `profile.set`, `lamp.create`. */
  action: string;
  /** e.g. `zone:warandepark`, `lamp:wp-014`, `override:12`. */
  target: string;
  detail: Record<string, unknown>;
  traceId?: string;
}

export async function appendAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit')
    .values({
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      detail: JSON.stringify(entry.detail),
      trace_id: entry.traceId ?? null,
    })
    .execute();
}

export async function auditOf(db: Db, target: string): Promise<Selectable<AuditRow>[]> {
  return db.selectFrom('audit').selectAll().where('target', '=', target).orderBy('id').execute();
}

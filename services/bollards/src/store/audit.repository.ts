// Reading the append-only audit (writes go through work.repository.ts), and purging entries
// past the retention period.
import { purgeExpired } from '@slimstad/kit';
import type { Kysely, Selectable } from 'kysely';
import type { AuditRow, BollardsDatabase } from './db.js';
import type { Db } from './topology.repository.js';

export interface AuditFilter {
  zoneId?: string;
  bollardId?: string;
  kind?: string;
  requestId?: string;
}

/** Newest first; `before` continues after the last id of a previous page. */
export async function listAudit(
  db: Db,
  filter: AuditFilter,
  before: string | undefined,
  limit: number,
): Promise<Selectable<AuditRow>[]> {
  let q = db.selectFrom('audit').selectAll().orderBy('id', 'desc').limit(limit);
  if (filter.zoneId) q = q.where('zone_id', '=', filter.zoneId);
  if (filter.bollardId) q = q.where('bollard_id', '=', filter.bollardId);
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  if (filter.requestId) q = q.where('request_id', '=', filter.requestId);
  if (before !== undefined) q = q.where('id', '<', before);
  return q.execute();
}

/** Deletes audit entries older than the retention; resolves with how many went. */
export function purgeAudit(db: Kysely<BollardsDatabase>, retentionDays: number): Promise<number> {
  return purgeExpired(db as never, 'audit', 'at', retentionDays);
}

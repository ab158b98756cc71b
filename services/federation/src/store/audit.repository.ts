// The append-only audit of sharing policy changes.
import type { Kysely, Selectable } from 'kysely';
import type { FederationDatabase, PolicyAuditRow } from './db.js';

export async function appendPolicyAudit(
  db: Kysely<FederationDatabase>,
  row: Omit<PolicyAuditRow, 'id'>,
): Promise<void> {
  await db.insertInto('policy_audit').values(row).execute();
}

export async function recentPolicyAudit(
  db: Kysely<FederationDatabase>,
  limit: number,
): Promise<Selectable<PolicyAuditRow>[]> {
  return db.selectFrom('policy_audit').selectAll().orderBy('id', 'desc').limit(limit).execute();
}

// Creates the reading table's daily partitions ahead of time and drops those past retention.
import { type Kysely, sql } from 'kysely';
import {
  CLASSIFICATIONS,
  daysBetween,
  expiredPartitions,
  partitionName,
} from '../domain/partitions.js';
import type { Classification } from './reading.table.js';

const DAY_MS = 86_400_000;

/** Ensures partitions exist for every day in [from, to] and every given classification. */
export async function ensurePartitions(
  db: Kysely<unknown>,
  from: Date,
  to: Date,
  classifications: readonly Classification[] = CLASSIFICATIONS,
): Promise<string[]> {
  const created: string[] = [];
  const existing = new Set(await listPartitions(db));
  for (const day of daysBetween(from, to)) {
    for (const classification of classifications) {
      const name = partitionName(classification, day);
      if (existing.has(name)) continue;
      const next = new Date(day.getTime() + DAY_MS);
      await sql`
        create table if not exists ${sql.id(name)} partition of ${sql.id(`reading_${classification}`)}
        for values from (${sql.lit(day.toISOString())}) to (${sql.lit(next.toISOString())})`.execute(
        db,
      );
      created.push(name);
    }
  }
  return created;
}

export async function listPartitions(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select child.relname as name
    from pg_inherits
    join pg_class parent on parent.oid = pg_inherits.inhparent
    join pg_class child on child.oid = pg_inherits.inhrelid
    join pg_namespace ns on ns.oid = parent.relnamespace
    where ns.nspname = current_schema() and parent.relname like 'reading\\_%'`.execute(db);
  return rows.map((r) => r.name);
}

/** Drops whole partitions past their classification's retention; returns their names. */
export async function dropExpiredPartitions(
  db: Kysely<unknown>,
  retentionDays: Record<Classification, number>,
  now: Date,
): Promise<string[]> {
  const expired = expiredPartitions(await listPartitions(db), retentionDays, now);
  for (const name of expired) await sql`drop table if exists ${sql.id(name)}`.execute(db);
  return expired;
}

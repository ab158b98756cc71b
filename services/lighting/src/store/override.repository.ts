// Overrides: stored with who set them and why; they end by themselves at end_at, or earlier
// when an operator clears them.
import type { Selectable } from 'kysely';
import type { OverrideRule } from '../domain/model.js';
import type { OverrideRow } from './db.js';
import type { Db } from './topology.repository.js';

export interface StoredOverride extends OverrideRule {
  clearedBy?: string;
}

const toOverride = (row: Selectable<OverrideRow>): StoredOverride => ({
  id: row.id,
  zoneId: row.zone_id,
  lampId: row.lamp_id ?? undefined,
  level: row.level,
  startMs: row.start_at.getTime(),
  endMs: row.end_at.getTime(),
  reason: row.reason,
  createdBy: row.created_by,
  clearedAtMs: row.cleared_at?.getTime(),
  clearedBy: row.cleared_by ?? undefined,
});

export async function insertOverride(db: Db, o: Omit<OverrideRule, 'id'>): Promise<StoredOverride> {
  const row = await db
    .insertInto('override')
    .values({
      zone_id: o.zoneId,
      lamp_id: o.lampId ?? null,
      level: o.level,
      start_at: new Date(o.startMs),
      end_at: new Date(o.endMs),
      reason: o.reason,
      created_by: o.createdBy,
      cleared_at: null,
      cleared_by: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toOverride(row);
}

export async function findOverride(db: Db, id: string): Promise<StoredOverride | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  const row = await db.selectFrom('override').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toOverride(row);
}

export async function clearOverride(db: Db, id: string, actor: string, at: Date) {
  const row = await db
    .updateTable('override')
    .set({ cleared_at: at, cleared_by: actor })
    .where('id', '=', id)
    .where('cleared_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row && toOverride(row);
}

/** Overrides not cleared that end after `now` (in force or scheduled). */
export async function overridesInForce(
  db: Db,
  now: Date,
  zoneId?: string,
): Promise<StoredOverride[]> {
  let q = db
    .selectFrom('override')
    .selectAll()
    .where('cleared_at', 'is', null)
    .where('end_at', '>', now)
    .orderBy('id');
  if (zoneId) q = q.where('zone_id', '=', zoneId);
  return (await q.execute()).map(toOverride);
}

/** The most recent overrides, ended ones included. */
export async function recentOverrides(db: Db, zoneId: string | undefined, limit: number) {
  let q = db.selectFrom('override').selectAll().orderBy('id', 'desc').limit(limit);
  if (zoneId) q = q.where('zone_id', '=', zoneId);
  return (await q.execute()).map(toOverride);
}

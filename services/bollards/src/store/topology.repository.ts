// Zones and bollards: the row ↔ domain mapping lives here and nowhere else.
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { BollardSpec, ZoneSpec } from '../domain/bollard-control.js';
import type { BollardRow, BollardsDatabase, ZoneRow } from './db.js';

export type Db = Kysely<BollardsDatabase> | Transaction<BollardsDatabase>;

export interface Versioned<T> {
  value: T;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface StoredZone extends Versioned<ZoneSpec> {
  emergency: boolean;
  emergencyReason?: string;
}

const toZone = (row: Selectable<ZoneRow>): StoredZone => ({
  value: { id: row.id, name: row.name, timeZone: row.time_zone },
  emergency: row.emergency,
  emergencyReason: row.emergency_reason ?? undefined,
  version: Number(row.version),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toBollard = (row: Selectable<BollardRow>): Versioned<BollardSpec> => ({
  value: {
    id: row.id,
    zoneId: row.zone_id,
    name: row.name,
    location: { latitude: row.latitude, longitude: row.longitude },
    controllerId: row.controller_id,
    loopId: row.loop_id,
    failMode: row.fail_mode,
  },
  version: Number(row.version),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const bollardColumns = (b: BollardSpec) => ({
  name: b.name,
  latitude: b.location.latitude,
  longitude: b.location.longitude,
  controller_id: b.controllerId,
  loop_id: b.loopId,
  fail_mode: b.failMode,
});

export async function insertZone(db: Db, zone: ZoneSpec, at: Date): Promise<StoredZone> {
  const row = await db
    .insertInto('zone')
    .values({
      id: zone.id,
      name: zone.name,
      time_zone: zone.timeZone,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toZone(row);
}

export async function findZone(db: Db, id: string): Promise<StoredZone | undefined> {
  const row = await db.selectFrom('zone').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toZone(row);
}

export async function listZones(db: Db, after?: string, limit = 100_000): Promise<StoredZone[]> {
  let q = db.selectFrom('zone').selectAll().orderBy('id').limit(limit);
  if (after !== undefined) q = q.where('id', '>', after);
  return (await q.execute()).map(toZone);
}

export async function countZones(db: Db): Promise<number> {
  const { n } = await db
    .selectFrom('zone')
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  return n;
}

export async function insertBollard(
  db: Db,
  bollard: BollardSpec,
  at: Date,
): Promise<Versioned<BollardSpec>> {
  const row = await db
    .insertInto('bollard')
    .values({
      id: bollard.id,
      zone_id: bollard.zoneId,
      ...bollardColumns(bollard),
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toBollard(row);
}

/** Updates a bollard if `version` is still current; undefined if it changed meanwhile. */
export async function updateBollard(
  db: Db,
  bollard: BollardSpec,
  version: number,
  at: Date,
): Promise<Versioned<BollardSpec> | undefined> {
  const row = await db
    .updateTable('bollard')
    .set({ ...bollardColumns(bollard), version: sql`version + 1`, updated_at: at })
    .where('id', '=', bollard.id)
    .where('version', '=', String(version))
    .returningAll()
    .executeTakeFirst();
  return row && toBollard(row);
}

export async function findBollard(db: Db, id: string): Promise<Versioned<BollardSpec> | undefined> {
  const row = await db.selectFrom('bollard').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toBollard(row);
}

export async function listBollards(
  db: Db,
  options: { zoneId?: string; after?: string; limit?: number } = {},
): Promise<Versioned<BollardSpec>[]> {
  let q = db
    .selectFrom('bollard')
    .selectAll()
    .orderBy('id')
    .limit(options.limit ?? 1_000_000);
  if (options.zoneId) q = q.where('zone_id', '=', options.zoneId);
  if (options.after !== undefined) q = q.where('id', '>', options.after);
  return (await q.execute()).map(toBollard);
}

export async function countBollards(db: Db, zoneId?: string): Promise<number> {
  let q = db.selectFrom('bollard').select(sql<number>`count(*)::int`.as('n'));
  if (zoneId) q = q.where('zone_id', '=', zoneId);
  return (await q.executeTakeFirstOrThrow()).n;
}

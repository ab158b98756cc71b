// Zones, lamps and profiles: the row ↔ domain mapping lives here and nowhere else.
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { defaultProfile, type LampSpec, type Profile, type ZoneSpec } from '../domain/model.js';
import type { LampRow, LightingDatabase, ZoneRow } from './db.js';

export type Db = Kysely<LightingDatabase> | Transaction<LightingDatabase>;

export interface Versioned<T> {
  value: T;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface StoredProfile {
  profile: Profile;
  /** 0: never set (the default profile). */
  version: number;
  updatedBy: string;
  updatedAt?: Date;
}

const toZone = (row: Selectable<ZoneRow>): Versioned<ZoneSpec> => ({
  value: {
    id: row.id,
    name: row.name,
    kind: row.kind,
    location: { latitude: row.latitude, longitude: row.longitude },
    timeZone: row.time_zone,
  },
  version: Number(row.version),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toLamp = (row: Selectable<LampRow>): Versioned<LampSpec> => ({
  value: {
    id: row.id,
    zoneId: row.zone_id,
    name: row.name,
    location: { latitude: row.latitude, longitude: row.longitude },
    ratedPowerWatts: row.rated_power_w,
    minLevel: row.min_level,
    controllerId: row.controller_id,
    neighbourIds: row.neighbour_ids,
    detectorIds: row.detector_ids,
  },
  version: Number(row.version),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const zoneColumns = (zone: ZoneSpec) => ({
  name: zone.name,
  kind: zone.kind,
  latitude: zone.location.latitude,
  longitude: zone.location.longitude,
  time_zone: zone.timeZone,
});

const lampColumns = (lamp: LampSpec) => ({
  zone_id: lamp.zoneId,
  name: lamp.name,
  latitude: lamp.location.latitude,
  longitude: lamp.location.longitude,
  rated_power_w: lamp.ratedPowerWatts,
  min_level: lamp.minLevel,
  controller_id: lamp.controllerId || lamp.id,
  neighbour_ids: [...lamp.neighbourIds],
  detector_ids: [...lamp.detectorIds],
});

export async function findZone(db: Db, id: string): Promise<Versioned<ZoneSpec> | undefined> {
  const row = await db.selectFrom('zone').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toZone(row);
}

export async function listZones(db: Db, after: string | undefined, limit: number) {
  let q = db.selectFrom('zone').selectAll().orderBy('id').limit(limit);
  if (after !== undefined) q = q.where('id', '>', after);
  return (await q.execute()).map(toZone);
}

export async function countZones(db: Db): Promise<number> {
  const row = await db
    .selectFrom('zone')
    .select((e) => e.fn.countAll<string>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function insertZone(db: Db, zone: ZoneSpec, at: Date): Promise<Versioned<ZoneSpec>> {
  const row = await db
    .insertInto('zone')
    .values({ id: zone.id, ...zoneColumns(zone), created_at: at, updated_at: at })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toZone(row);
}

/** Undefined when the zone does not exist at that version (the caller tells which). */
export async function updateZone(db: Db, zone: ZoneSpec, version: number, at: Date) {
  const row = await db
    .updateTable('zone')
    .set({ ...zoneColumns(zone), version: sql`version + 1`, updated_at: at })
    .where('id', '=', zone.id)
    .where('version', '=', String(version))
    .returningAll()
    .executeTakeFirst();
  return row && toZone(row);
}

export async function deleteZone(db: Db, id: string): Promise<boolean> {
  await db.deleteFrom('override').where('zone_id', '=', id).execute();
  const result = await db.deleteFrom('zone').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function findLamp(db: Db, id: string): Promise<Versioned<LampSpec> | undefined> {
  const row = await db.selectFrom('lamp').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toLamp(row);
}

export async function listLamps(
  db: Db,
  filter: { zoneId?: string; after?: string; limit?: number } = {},
): Promise<Versioned<LampSpec>[]> {
  let q = db.selectFrom('lamp').selectAll().orderBy('id');
  if (filter.zoneId) q = q.where('zone_id', '=', filter.zoneId);
  if (filter.after !== undefined) q = q.where('id', '>', filter.after);
  if (filter.limit !== undefined) q = q.limit(filter.limit);
  return (await q.execute()).map(toLamp);
}

export async function countLamps(db: Db, zoneId?: string): Promise<number> {
  let q = db.selectFrom('lamp').select((e) => e.fn.countAll<string>().as('n'));
  if (zoneId) q = q.where('zone_id', '=', zoneId);
  return Number((await q.executeTakeFirst())?.n ?? 0);
}

export async function existingLampIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('lamp')
    .select('id')
    .where('id', 'in', [...ids])
    .execute();
  return new Set(rows.map((r) => r.id));
}

export async function insertLamp(db: Db, lamp: LampSpec, at: Date): Promise<Versioned<LampSpec>> {
  const row = await db
    .insertInto('lamp')
    .values({ id: lamp.id, ...lampColumns(lamp), created_at: at, updated_at: at })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toLamp(row);
}

export async function updateLamp(db: Db, lamp: LampSpec, version: number, at: Date) {
  const row = await db
    .updateTable('lamp')
    .set({ ...lampColumns(lamp), version: sql`version + 1`, updated_at: at })
    .where('id', '=', lamp.id)
    .where('version', '=', String(version))
    .returningAll()
    .executeTakeFirst();
  return row && toLamp(row);
}

/** Deletes a lamp and takes it off its neighbours' lists and the curfew exceptions. */
export async function deleteLamp(db: Db, id: string): Promise<boolean> {
  await db
    .updateTable('lamp')
    .set({ neighbour_ids: sql`array_remove(neighbour_ids, ${id})`, version: sql`version + 1` })
    .where(sql<boolean>`${id} = any(neighbour_ids)`)
    .execute();
  await db.deleteFrom('override').where('lamp_id', '=', id).execute();
  await db.deleteFrom('lamp_state').where('lamp_id', '=', id).execute();
  const result = await db.deleteFrom('lamp').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Profiles round-trip as JSON of the domain shape. */
export async function findProfile(db: Db, zoneId: string): Promise<StoredProfile> {
  const row = await db
    .selectFrom('profile')
    .selectAll()
    .where('zone_id', '=', zoneId)
    .executeTakeFirst();
  if (!row) return { profile: defaultProfile(zoneId), version: 0, updatedBy: '' };
  return {
    profile: { ...defaultProfile(zoneId), ...(row.settings as Profile), zoneId },
    version: Number(row.version),
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

export async function listProfiles(db: Db): Promise<Map<string, Profile>> {
  const rows = await db.selectFrom('profile').selectAll().execute();
  return new Map(
    rows.map((r) => [
      r.zone_id,
      { ...defaultProfile(r.zone_id), ...(r.settings as Profile), zoneId: r.zone_id },
    ]),
  );
}

/**
 * Stores a profile if `expectedVersion` is current (0: none stored yet). Undefined on a
 * version conflict.
 */
export async function saveProfile(
  db: Db,
  profile: Profile,
  expectedVersion: number,
  actor: string,
  at: Date,
): Promise<StoredProfile | undefined> {
  const settings = JSON.stringify(profile);
  if (expectedVersion === 0) {
    const row = await db
      .insertInto('profile')
      .values({ zone_id: profile.zoneId, settings, version: 1, updated_by: actor, updated_at: at })
      .onConflict((oc) => oc.column('zone_id').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row && { profile, version: Number(row.version), updatedBy: actor, updatedAt: at };
  }
  const row = await db
    .updateTable('profile')
    .set({ settings, version: sql`version + 1`, updated_by: actor, updated_at: at })
    .where('zone_id', '=', profile.zoneId)
    .where('version', '=', String(expectedVersion))
    .returningAll()
    .executeTakeFirst();
  return row && { profile, version: Number(row.version), updatedBy: actor, updatedAt: at };
}

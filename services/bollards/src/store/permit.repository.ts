// Permits: identities only as keyed hashes. The row ↔ domain mapping lives here.
import { type Selectable, sql } from 'kysely';
import type { Permit, TimeWindow, VehicleClass } from '../domain/access.js';
import type { PermitRow } from './db.js';
import type { Db } from './topology.repository.js';

export interface StoredPermit {
  permit: Permit;
  credentialKind: 'plate' | 'badge';
  reason: string;
  revokeReason?: string;
  createdBy: string;
  createdAt: Date;
}

const toPermit = (row: Selectable<PermitRow>): StoredPermit => ({
  permit: {
    id: row.id,
    identityHash: row.identity_hash,
    vehicleClass: row.vehicle_class as VehicleClass,
    zoneIds: row.zone_ids,
    validFromMs: row.valid_from.getTime(),
    validUntilMs: row.valid_until.getTime(),
    windows: row.windows as TimeWindow[],
    oneOff: row.one_off,
    usedAtMs: row.used_at?.getTime(),
    revokedAtMs: row.revoked_at?.getTime(),
  },
  credentialKind: row.credential_kind,
  reason: row.reason,
  revokeReason: row.revoke_reason ?? undefined,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

export async function insertPermit(
  db: Db,
  input: Omit<StoredPermit, 'createdAt'>,
  at: Date,
): Promise<StoredPermit> {
  const { permit } = input;
  const row = await db
    .insertInto('permit')
    .values({
      id: permit.id,
      identity_hash: permit.identityHash,
      credential_kind: input.credentialKind,
      vehicle_class: permit.vehicleClass,
      zone_ids: [...permit.zoneIds],
      valid_from: new Date(permit.validFromMs),
      valid_until: new Date(permit.validUntilMs),
      windows: JSON.stringify(permit.windows),
      one_off: permit.oneOff,
      reason: input.reason,
      created_by: input.createdBy,
      created_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toPermit(row);
}

export async function findPermit(db: Db, id: string): Promise<StoredPermit | undefined> {
  const row = await db.selectFrom('permit').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toPermit(row);
}

export async function revokePermit(
  db: Db,
  id: string,
  reason: string,
  at: Date,
): Promise<StoredPermit | undefined> {
  const row = await db
    .updateTable('permit')
    .set({ revoked_at: at, revoke_reason: reason })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row && toPermit(row);
}

/** One-off permits used up by admissions. */
export interface PermitFilter {
  zoneId?: string;
  identityHash?: string;
  /** Only permits still usable at this time. */
  activeAt?: Date;
}

function filtered(db: Db, filter: PermitFilter) {
  let q = db.selectFrom('permit');
  if (filter.zoneId) q = q.where(sql<boolean>`${filter.zoneId} = any(zone_ids)`);
  if (filter.identityHash) q = q.where('identity_hash', '=', filter.identityHash);
  if (filter.activeAt) {
    q = q
      .where('revoked_at', 'is', null)
      .where('used_at', 'is', null)
      .where('valid_until', '>', filter.activeAt);
  }
  return q;
}

export async function listPermits(
  db: Db,
  filter: PermitFilter,
  after?: string,
  limit = 1_000_000,
): Promise<StoredPermit[]> {
  let q = filtered(db, filter).selectAll().orderBy('id').limit(limit);
  if (after !== undefined) q = q.where('id', '>', after);
  return (await q.execute()).map(toPermit);
}

export async function countPermits(db: Db, filter: PermitFilter): Promise<number> {
  const { n } = await filtered(db, filter)
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  return n;
}

// Bins, vehicles and bins' fill models in Postgres. Functions take `db` or a transaction first.
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { FillState } from '../domain/fill-model.js';
import type { AccessWindow, BinSpec, VehicleSpec, WasteStreamName } from '../domain/model.js';
import type { BinRow, WasteDatabase } from './db.js';

export type Db = Kysely<WasteDatabase> | Transaction<WasteDatabase>;

export interface StoredBin {
  spec: BinSpec;
  mustVisit: boolean;
  version: number;
  createdAt: Date;
}

export function binFromRow(row: Selectable<BinRow>): StoredBin {
  return {
    spec: {
      id: row.id,
      name: row.name,
      location: { latitude: row.latitude, longitude: row.longitude },
      volumeLitres: row.volume_litres,
      stream: row.stream as WasteStreamName,
      deviceId: row.device_id,
      accessWindow: (row.access_window as AccessWindow | null) ?? undefined,
    },
    mustVisit: row.must_visit,
    version: Number(row.version),
    createdAt: row.created_at,
  };
}

export async function insertBin(db: Db, bin: BinSpec, at: Date): Promise<StoredBin> {
  const row = await db
    .insertInto('bin')
    .values({
      id: bin.id,
      name: bin.name,
      latitude: bin.location.latitude,
      longitude: bin.location.longitude,
      volume_litres: bin.volumeLitres,
      stream: bin.stream,
      device_id: bin.deviceId,
      access_window: bin.accessWindow ? JSON.stringify(bin.accessWindow) : null,
      created_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return binFromRow(row);
}

export async function updateBin(db: Db, bin: BinSpec): Promise<StoredBin | undefined> {
  const row = await db
    .updateTable('bin')
    .set({
      name: bin.name,
      latitude: bin.location.latitude,
      longitude: bin.location.longitude,
      volume_litres: bin.volumeLitres,
      stream: bin.stream,
      device_id: bin.deviceId,
      access_window: bin.accessWindow ? JSON.stringify(bin.accessWindow) : null,
      version: sql`version + 1`,
    })
    .where('id', '=', bin.id)
    .returningAll()
    .executeTakeFirst();
  return row && binFromRow(row);
}

export async function setMustVisit(
  db: Db,
  binId: string,
  mustVisit: boolean,
): Promise<StoredBin | undefined> {
  const row = await db
    .updateTable('bin')
    .set({ must_visit: mustVisit, version: sql`version + 1` })
    .where('id', '=', binId)
    .returningAll()
    .executeTakeFirst();
  return row && binFromRow(row);
}

export async function loadBins(db: Db): Promise<StoredBin[]> {
  return (await db.selectFrom('bin').selectAll().orderBy('id').execute()).map(binFromRow);
}

export async function loadFillStates(db: Db): Promise<Map<string, FillState>> {
  const rows = await db.selectFrom('fill_state').selectAll().execute();
  return new Map(rows.map((r) => [r.bin_id, r.state as FillState]));
}

export async function saveFillState(db: Db, binId: string, state: FillState): Promise<void> {
  const json = JSON.stringify(state);
  await db
    .insertInto('fill_state')
    .values({ bin_id: binId, state: json, updated_at: new Date(state.lastAt) })
    .onConflict((oc) =>
      oc.column('bin_id').doUpdateSet({ state: json, updated_at: new Date(state.lastAt) }),
    )
    .execute();
}

export async function insertReading(
  db: Db,
  binId: string,
  at: number,
  percent: number,
  kg: number | undefined,
): Promise<void> {
  await db
    .insertInto('fill_reading')
    .values({ bin_id: binId, at: new Date(at), percent, kg: kg ?? null })
    .onConflict((oc) => oc.columns(['bin_id', 'at']).doNothing())
    .execute();
}

/** Deletes fill readings older than the retention (by the city clock); resolves with how many. */
export async function purgeReadings(db: Db, now: number, retentionDays: number): Promise<number> {
  const result = await db
    .deleteFrom('fill_reading')
    .where('at', '<', new Date(now - retentionDays * 86_400_000))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function insertRejected(
  db: Db,
  r: { receivedAt: number; deviceId: string; metric: string; value: number; reason: string },
): Promise<void> {
  await db
    .insertInto('rejected_reading')
    .values({
      received_at: new Date(r.receivedAt),
      device_id: r.deviceId,
      metric: r.metric,
      value: Number.isFinite(r.value) ? r.value : 0,
      reason: r.reason,
    })
    .execute();
}

export interface StoredVehicle {
  spec: VehicleSpec;
  version: number;
}

export async function insertVehicle(db: Db, v: VehicleSpec, at: Date): Promise<StoredVehicle> {
  const row = await db
    .insertInto('vehicle')
    .values({ id: v.id, spec: JSON.stringify(v), created_at: at })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { spec: row.spec as VehicleSpec, version: Number(row.version) };
}

export async function updateVehicle(db: Db, v: VehicleSpec): Promise<StoredVehicle | undefined> {
  const row = await db
    .updateTable('vehicle')
    .set({ spec: JSON.stringify(v), version: sql`version + 1` })
    .where('id', '=', v.id)
    .returningAll()
    .executeTakeFirst();
  return row && { spec: row.spec as VehicleSpec, version: Number(row.version) };
}

export async function loadVehicles(db: Db): Promise<StoredVehicle[]> {
  const rows = await db.selectFrom('vehicle').selectAll().orderBy('id').execute();
  return rows.map((r) => ({ spec: r.spec as VehicleSpec, version: Number(r.version) }));
}

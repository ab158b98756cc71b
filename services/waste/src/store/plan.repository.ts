// Plans and their visits: stored when planned, visits marked as bins are emptied, the rest
// marked re-planned when a new plan takes them over.
import type { Selectable } from 'kysely';
import type { PlannedVehicleRoute } from '../domain/planning.js';
import type { PlanRow, PlanVisitRow } from './db.js';
import type { Db } from './topology.repository.js';

export interface StoredPlan {
  id: string;
  stream: string;
  shiftDate: string;
  dayStart: number;
  distanceMeters: number;
  matrixSource: string;
  replacesPlanId?: string;
  routes: (Omit<PlannedVehicleRoute, 'visits'> & { visits: StoredVisit[] })[];
  unassigned: { binId: string; reason: string }[];
  createdBy: string;
  createdAt: Date;
}

export interface StoredVisit {
  sequence: number;
  binId?: string;
  unload: boolean;
  arrival: number;
  departure: number;
  loadLitres: number;
  loadKg: number;
  lateSeconds: number;
  status: 'planned' | 'emptied' | 'replanned';
  emptiedAt?: number;
}

export async function insertPlan(
  db: Db,
  plan: Omit<StoredPlan, 'routes'> & { routes: PlannedVehicleRoute[] },
): Promise<void> {
  await db
    .insertInto('plan')
    .values({
      id: plan.id,
      stream: plan.stream,
      shift_date: plan.shiftDate,
      day_start: new Date(plan.dayStart),
      distance_meters: plan.distanceMeters,
      matrix_source: plan.matrixSource,
      replaces_plan_id: plan.replacesPlanId ?? null,
      routes: JSON.stringify(
        plan.routes.map((r) => ({
          vehicleId: r.vehicleId,
          start: r.start,
          end: r.end,
          distanceMeters: r.distanceMeters,
        })),
      ),
      unassigned: JSON.stringify(plan.unassigned),
      created_by: plan.createdBy,
      created_at: plan.createdAt,
    })
    .execute();
  const visits = plan.routes.flatMap((r) =>
    r.visits.map((v) => ({
      plan_id: plan.id,
      vehicle_id: r.vehicleId,
      sequence: v.sequence,
      bin_id: v.binId ?? null,
      unload: v.unload,
      arrival: new Date(v.arrival),
      departure: new Date(v.departure),
      load_litres: v.loadLitres,
      load_kg: v.loadKg,
      late_seconds: v.lateSeconds,
      status: 'planned' as const,
      emptied_at: null,
    })),
  );
  if (visits.length > 0) await db.insertInto('plan_visit').values(visits).execute();
}

function planFromRows(row: Selectable<PlanRow>, visits: Selectable<PlanVisitRow>[]): StoredPlan {
  const headers = row.routes as Omit<PlannedVehicleRoute, 'visits'>[];
  return {
    id: row.id,
    stream: row.stream,
    shiftDate: row.shift_date,
    dayStart: row.day_start.getTime(),
    distanceMeters: row.distance_meters,
    matrixSource: row.matrix_source,
    replacesPlanId: row.replaces_plan_id ?? undefined,
    unassigned: row.unassigned as { binId: string; reason: string }[],
    createdBy: row.created_by,
    createdAt: row.created_at,
    routes: headers.map((h) => ({
      ...h,
      visits: visits
        .filter((v) => v.vehicle_id === h.vehicleId)
        .sort((a, b) => a.sequence - b.sequence)
        .map((v) => ({
          sequence: v.sequence,
          binId: v.bin_id ?? undefined,
          unload: v.unload,
          arrival: v.arrival.getTime(),
          departure: v.departure.getTime(),
          loadLitres: v.load_litres,
          loadKg: v.load_kg,
          lateSeconds: v.late_seconds,
          status: v.status,
          emptiedAt: v.emptied_at?.getTime(),
        })),
    })),
  };
}

export async function findPlan(db: Db, id: string): Promise<StoredPlan | undefined> {
  const row = await db.selectFrom('plan').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const visits = await db.selectFrom('plan_visit').selectAll().where('plan_id', '=', id).execute();
  return planFromRows(row, visits);
}

/** Newest first; `before` is the created_at|id of the last plan of the previous page. */
export async function listPlans(
  db: Db,
  stream: string | undefined,
  afterId: string | undefined,
  limit: number,
): Promise<StoredPlan[]> {
  let q = db.selectFrom('plan').selectAll().orderBy('id', 'desc').limit(limit);
  if (stream) q = q.where('stream', '=', stream);
  if (afterId) q = q.where('id', '<', afterId);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const visits = await db
    .selectFrom('plan_visit')
    .selectAll()
    .where(
      'plan_id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  return rows.map((r) =>
    planFromRows(
      r,
      visits.filter((v) => v.plan_id === r.id),
    ),
  );
}

/** The open (planned) visit of a bin, the newest plan first. */
export async function openVisitOf(
  db: Db,
  binId: string,
): Promise<{ planId: string; vehicleId: string; sequence: number; arrival: number } | undefined> {
  const row = await db
    .selectFrom('plan_visit')
    .select(['plan_id', 'vehicle_id', 'sequence', 'arrival'])
    .where('bin_id', '=', binId)
    .where('status', '=', 'planned')
    .orderBy('plan_id', 'desc')
    .executeTakeFirst();
  return (
    row && {
      planId: row.plan_id,
      vehicleId: row.vehicle_id,
      sequence: row.sequence,
      arrival: row.arrival.getTime(),
    }
  );
}

export async function markEmptied(
  db: Db,
  visit: { planId: string; vehicleId: string; sequence: number },
  at: number,
): Promise<void> {
  await db
    .updateTable('plan_visit')
    .set({ status: 'emptied', emptied_at: new Date(at) })
    .where('plan_id', '=', visit.planId)
    .where('vehicle_id', '=', visit.vehicleId)
    .where('sequence', '=', visit.sequence)
    .execute();
}

export async function markReplanned(db: Db, planId: string, binIds: string[]): Promise<void> {
  if (binIds.length === 0) return;
  await db
    .updateTable('plan_visit')
    .set({ status: 'replanned' })
    .where('plan_id', '=', planId)
    .where('status', '=', 'planned')
    .where('bin_id', 'in', binIds)
    .execute();
}

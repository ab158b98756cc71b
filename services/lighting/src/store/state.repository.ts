// The live state of lamps (command sequence, levels, health) and energy bookings: written in
// batches by the control loop, read at start-up and by the API.
import { type Selectable, sql } from 'kysely';
import type { EnergyBooking } from '../domain/energy.js';
import type { LampStateRow } from './db.js';
import type { Db } from './topology.repository.js';

export type StoredLampState = Selectable<LampStateRow>;

export interface LampStateUpdate {
  lampId: string;
  zoneId: string;
  sequence: bigint;
  commandedLevel: number | null;
  actualLevel: number | null;
  powerWatts: number | null;
  status: 'ok' | 'unreachable' | 'failed';
  failureReason: string | null;
  failureDetail: string | null;
  meteredUntil: Date | null;
  lastReportAt: Date | null;
}

export async function loadLampStates(db: Db): Promise<Map<string, StoredLampState>> {
  const rows = await db.selectFrom('lamp_state').selectAll().execute();
  return new Map(rows.map((r) => [r.lamp_id, r]));
}

export async function saveLampStates(db: Db, updates: readonly LampStateUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  await db
    .insertInto('lamp_state')
    .values(
      updates.map((u) => ({
        lamp_id: u.lampId,
        zone_id: u.zoneId,
        sequence: u.sequence.toString(),
        commanded_level: u.commandedLevel,
        actual_level: u.actualLevel,
        power_w: u.powerWatts,
        status: u.status,
        failure_reason: u.failureReason,
        failure_detail: u.failureDetail,
        metered_until: u.meteredUntil,
        last_report_at: u.lastReportAt,
      })),
    )
    .onConflict((oc) =>
      oc.column('lamp_id').doUpdateSet((eb) => ({
        zone_id: eb.ref('excluded.zone_id'),
        // A sequence never goes back, even if two writers race.
        sequence: sql`greatest(lamp_state.sequence, excluded.sequence)`,
        commanded_level: eb.ref('excluded.commanded_level'),
        actual_level: eb.ref('excluded.actual_level'),
        power_w: eb.ref('excluded.power_w'),
        status: eb.ref('excluded.status'),
        failure_reason: eb.ref('excluded.failure_reason'),
        failure_detail: eb.ref('excluded.failure_detail'),
        metered_until: eb.ref('excluded.metered_until'),
        last_report_at: eb.ref('excluded.last_report_at'),
        updated_at: sql`now()`,
      })),
    )
    .execute();
}

/** Adds bookings to the daily energy of each lamp (one statement). */
export async function addEnergy(db: Db, bookings: readonly EnergyBooking[]): Promise<void> {
  if (bookings.length === 0) return;
  await db
    .insertInto('energy_daily')
    .values(
      bookings.map((b) => ({
        zone_id: b.zoneId,
        day: b.date,
        lamp_id: b.lampId,
        used_wh: b.usedWh,
        baseline_wh: b.baselineWh,
        night_ms: Math.round(b.nightMs),
      })),
    )
    .onConflict((oc) =>
      oc.columns(['zone_id', 'day', 'lamp_id']).doUpdateSet({
        used_wh: sql`energy_daily.used_wh + excluded.used_wh`,
        baseline_wh: sql`energy_daily.baseline_wh + excluded.baseline_wh`,
        night_ms: sql`energy_daily.night_ms + excluded.night_ms`,
      }),
    )
    .execute();
}

export interface ZoneDayEnergyRow {
  zoneId: string;
  date: string;
  usedWh: number;
  baselineWh: number;
  nightMs: number;
  lampCount: number;
}

export async function energyByZoneAndDay(
  db: Db,
  range: { zoneId?: string; from: string; to: string },
): Promise<ZoneDayEnergyRow[]> {
  let q = db
    .selectFrom('energy_daily')
    .select([
      'zone_id',
      sql<string>`to_char(day, 'YYYY-MM-DD')`.as('date'),
      sql<number>`sum(used_wh)::float8`.as('used_wh'),
      sql<number>`sum(baseline_wh)::float8`.as('baseline_wh'),
      sql<string>`max(night_ms)`.as('night_ms'),
      sql<string>`count(*)`.as('lamps'),
    ])
    .where('day', '>=', range.from)
    .where('day', '<=', range.to)
    .groupBy(['zone_id', 'day'])
    .orderBy('zone_id')
    .orderBy('day');
  if (range.zoneId) q = q.where('zone_id', '=', range.zoneId);
  return (await q.execute()).map((r) => ({
    zoneId: r.zone_id,
    date: r.date,
    usedWh: Number(r.used_wh),
    baselineWh: Number(r.baseline_wh),
    nightMs: Number(r.night_ms),
    lampCount: Number(r.lamps),
  }));
}

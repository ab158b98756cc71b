// The waste schema's tables as Kysely sees them.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;
type Version = ColumnType<string, number | bigint | undefined, number | bigint>;

export interface BinRow {
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  volume_litres: number;
  stream: string;
  device_id: string;
  /** AccessWindow as JSON, or null. */
  access_window: Json<unknown> | null;
  must_visit: ColumnType<boolean, boolean | undefined, boolean>;
  version: Version;
  created_at: Timestamp;
}

export interface FillStateRow {
  bin_id: string;
  /** FillState as JSON. */
  state: Json<unknown>;
  updated_at: Timestamp;
}

export interface FillReadingRow {
  bin_id: string;
  at: Timestamp;
  percent: number;
  kg: number | null;
}

export interface RejectedReadingRow {
  id: Generated<string>;
  received_at: Timestamp;
  device_id: string;
  metric: string;
  value: number;
  reason: string;
}

export interface VehicleRow {
  id: string;
  /** VehicleSpec as JSON. */
  spec: Json<unknown>;
  version: Version;
  created_at: Timestamp;
}

export interface PlanRow {
  id: string;
  stream: string;
  shift_date: string;
  day_start: Timestamp;
  distance_meters: number;
  matrix_source: string;
  replaces_plan_id: string | null;
  /** Route headers (vehicle, start, end, distance) as JSON. */
  routes: Json<unknown>;
  unassigned: Json<unknown>;
  created_by: string;
  created_at: Timestamp;
}

export interface PlanVisitRow {
  plan_id: string;
  vehicle_id: string;
  sequence: number;
  bin_id: string | null;
  unload: boolean;
  arrival: Timestamp;
  departure: Timestamp;
  load_litres: number;
  load_kg: number;
  late_seconds: number;
  status: 'planned' | 'emptied' | 'replanned';
  emptied_at: Timestamp | null;
}

export interface AuditRow {
  id: Generated<string>;
  at: Timestamp;
  actor: string;
  action: string;
  target: string;
  detail: string;
  trace_id: string | null;
}

export interface WasteDatabase {
  bin: BinRow;
  fill_state: FillStateRow;
  fill_reading: FillReadingRow;
  rejected_reading: RejectedReadingRow;
  vehicle: VehicleRow;
  plan: PlanRow;
  plan_visit: PlanVisitRow;
  audit: AuditRow;
}

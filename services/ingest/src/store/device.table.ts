// Row types of the device registry (see migrations/20261123000000_device_registry.ts).
// Enums are stored as their lower-case tokens (`water_level`, `lorawan_chirpstack`) so the
// tables read well in SQL and survive renumbering-free proto evolution.
import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { Classification } from './reading.table.js';

export interface MetricSpecJson {
  name: string;
  unit: string;
  min?: number;
  max?: number;
}

export type DeviceStatusToken = 'active' | 'decommissioned';

export interface DeviceRow {
  id: string;
  type: string;
  name: string;
  latitude: number;
  longitude: number;
  altitude_m: number | null;
  zone: string;
  metrics: JSONColumnType<MetricSpecJson[], string, string>;
  owner_department: string;
  classification: Classification;
  /** Expected interval between reports in seconds; 0 when the device reports on change. */
  expected_interval_s: number;
  network_kind: string;
  network_id: string;
  labels: JSONColumnType<Record<string, string>, string, string>;
  status: DeviceStatusToken;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: Date;
  decommissioned_at: Date | null;
  /** Bumped by every change; the directory cache and concurrent updates rely on it. */
  version: ColumnType<number, number | undefined, number>;
}

export type DeviceAction = 'register' | 'update' | 'decommission';

/** Append-only: the migration forbids UPDATE and DELETE on this table. */
export interface DeviceAuditRow {
  id: Generated<string>;
  at: Date;
  actor: string;
  action: DeviceAction;
  device_id: string;
  /** The fields that changed, or the decommission reason; and the import it was part of. */
  detail: JSONColumnType<Record<string, unknown>, string, never>;
  trace_id: string | null;
}

export interface DeviceTables {
  device: DeviceRow;
  device_audit: DeviceAuditRow;
}

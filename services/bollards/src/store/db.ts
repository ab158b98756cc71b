// The bollards schema's tables as Kysely sees them.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Version = ColumnType<string, number | bigint | undefined, number | bigint>;

export interface ZoneRow {
  id: string;
  name: string;
  time_zone: string;
  emergency: ColumnType<boolean, boolean | undefined, boolean>;
  emergency_reason: string | null;
  version: Version;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BollardRow {
  id: string;
  zone_id: string;
  name: string;
  latitude: number;
  longitude: number;
  controller_id: string;
  loop_id: string;
  fail_mode: 'safe' | 'secure';
  version: Version;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PermitRow {
  id: string;
  identity_hash: string;
  credential_kind: 'plate' | 'badge';
  vehicle_class: string;
  zone_ids: string[];
  valid_from: Timestamp;
  valid_until: Timestamp;
  /** TimeWindow[] as JSON. */
  windows: ColumnType<unknown, string, string>;
  one_off: boolean;
  reason: string;
  used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoke_reason: string | null;
  created_by: string;
  created_at: Timestamp;
}

export interface BollardStateRow {
  bollard_id: string;
  /** BollardSnapshot as JSON. */
  snapshot: ColumnType<unknown, string, string>;
  state: string;
  sequence: ColumnType<string, number | bigint, number | bigint>;
  updated_at: Generated<Date>;
}

export interface AuditRow {
  id: Generated<string>;
  at: Timestamp;
  kind: string;
  actor: string;
  zone_id: string;
  bollard_id: string | null;
  detail: string;
  outcome: string;
  sequence: ColumnType<string | null, number | null, never>;
  attempt: number | null;
  request_id: string | null;
  trace_id: string | null;
}

export interface BollardsDatabase {
  zone: ZoneRow;
  bollard: BollardRow;
  permit: PermitRow;
  bollard_state: BollardStateRow;
  audit: AuditRow;
}

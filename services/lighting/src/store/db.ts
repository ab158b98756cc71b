// The lighting schema's tables as Kysely sees them.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface ZoneRow {
  id: string;
  name: string;
  kind: 'park' | 'street' | 'square';
  latitude: number;
  longitude: number;
  time_zone: string;
  version: ColumnType<string, number | bigint | undefined, number | bigint>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LampRow {
  id: string;
  zone_id: string;
  name: string;
  latitude: number;
  longitude: number;
  rated_power_w: number;
  min_level: number;
  controller_id: string;
  neighbour_ids: string[];
  detector_ids: string[];
  version: ColumnType<string, number | bigint | undefined, number | bigint>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ProfileRow {
  zone_id: string;
  /** The domain Profile as JSON. */
  settings: ColumnType<unknown, string, string>;
  version: ColumnType<string, number | bigint | undefined, number | bigint>;
  updated_by: string;
  updated_at: Timestamp;
}

export interface OverrideRow {
  id: Generated<string>;
  zone_id: string;
  lamp_id: string | null;
  level: number;
  start_at: Timestamp;
  end_at: Timestamp;
  reason: string;
  created_by: string;
  cleared_at: Timestamp | null;
  cleared_by: string | null;
}

export interface LampStateRow {
  lamp_id: string;
  zone_id: string;
  sequence: ColumnType<string, string | bigint, string | bigint>;
  commanded_level: number | null;
  actual_level: number | null;
  power_w: number | null;
  status: 'ok' | 'unreachable' | 'failed';
  failure_reason: string | null;
  failure_detail: string | null;
  metered_until: Timestamp | null;
  last_report_at: Timestamp | null;
  updated_at: Generated<Date>;
}

export interface EnergyDailyRow {
  zone_id: string;
  day: ColumnType<string, string, string>;
  lamp_id: string;
  used_wh: number;
  baseline_wh: number;
  night_ms: ColumnType<string, number, number>;
}

export interface AuditRow {
  id: Generated<string>;
  at: Timestamp;
  actor: string;
  action: string;
  target: string;
  detail: ColumnType<unknown, string, never>;
  trace_id: string | null;
}

export interface LightingDatabase {
  zone: ZoneRow;
  lamp: LampRow;
  profile: ProfileRow;
  override: OverrideRow;
  lamp_state: LampStateRow;
  energy_daily: EnergyDailyRow;
  audit: AuditRow;
}

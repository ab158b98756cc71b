// Row types of the reading path's tables (see migrations/20261123000100_readings.ts).
import type { ColumnType, Generated } from 'kysely';

/** Partition key of `reading`: retention differs per data classification. */
export type Classification = 'public' | 'internal' | 'personal';

export type QuarantineStatus = 'quarantined' | 'replayed' | 'discarded';

export interface ReadingRow {
  classification: Classification;
  device_id: string;
  metric: string;
  observed_at: Date;
  value: number;
  unit: string;
  sequence: ColumnType<bigint, bigint | number, bigint | number>;
  received_at: Date;
  source: string;
  channel: string | null;
  /** `<stream>:<sequence>` of the intake message that delivered the reading. */
  intake_ref: string;
}

export interface LatestReadingRow {
  device_id: string;
  metric: string;
  value: number;
  unit: string;
  observed_at: Date;
  received_at: Date;
  max_sequence: ColumnType<bigint, bigint | number | undefined, bigint | number>;
}

export interface QuarantineRow {
  id: string;
  reason: string;
  detail: string;
  source: string;
  device_id: string | null;
  payload: Buffer | null;
  /** The reading as submitted (proto JSON), when the payload parsed that far. */
  reading: unknown | null;
  received_at: Date;
  status: ColumnType<QuarantineStatus, QuarantineStatus | undefined, QuarantineStatus>;
  replay_count: Generated<number>;
  replayed_at: Date | null;
}

export interface ReadingTables {
  reading: ReadingRow;
  latest_reading: LatestReadingRow;
  quarantine: QuarantineRow;
}

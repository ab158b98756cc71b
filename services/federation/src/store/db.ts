// Row types of the federation schema.
import type { Generated } from 'kysely';

export interface PolicyAuditRow {
  id: Generated<string>;
  at: Date;
  actor: string;
  reason: string;
  digest: string;
  changed: boolean;
  outcome: 'applied' | 'refused';
  detail: string;
  trace_id: string | null;
}

/** An aggregation window of a share: open until emitted, then remembered a while. */
export interface ShareWindowRow {
  stream: string;
  key: string;
  metric: string;
  window_start: Date;
  window_seconds: number;
  fn: string;
  unit: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  emitted_at: Date | null;
}

/** A reading counted in an open window (per share: it counts once). */
export interface ShareWindowReadingRow {
  stream: string;
  reading: string;
  key: string;
  metric: string;
  window_start: Date;
}

export interface FederationDatabase {
  policy_audit: PolicyAuditRow;
  share_window: ShareWindowRow;
  share_window_reading: ShareWindowReadingRow;
}

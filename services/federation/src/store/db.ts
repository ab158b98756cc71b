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

export interface FederationDatabase {
  policy_audit: PolicyAuditRow;
}

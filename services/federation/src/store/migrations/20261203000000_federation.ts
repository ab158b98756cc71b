// The federation schema: the append-only audit of sharing policy changes (who put which
// policy in force, or had one refused, and why).
import { makeAppendOnly } from '@slimstad/kit';
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table policy_audit (
      id bigint generated always as identity primary key,
      at timestamptz not null,
      actor text not null,
      reason text not null,
      digest text not null,
      changed boolean not null,
      outcome text not null check (outcome in ('applied', 'refused')),
      detail text not null default '',
      trace_id text
    )`.execute(db);
  await makeAppendOnly(db, 'policy_audit');
}

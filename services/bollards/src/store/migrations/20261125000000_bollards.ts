// The bollards schema: access zones (with their emergency mode), bollards, permits (identities
// as keyed hashes only), each bollard's control state (its command sequence must survive
// restarts), the append-only audit of every decision, command and change, and the outbox.
import { createOutboxTable, makeAppendOnly } from '@slimstad/kit';
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table zone (
      id text primary key,
      name text not null,
      time_zone text not null,
      emergency boolean not null default false,
      emergency_reason text,
      version bigint not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`
    create table bollard (
      id text primary key,
      zone_id text not null references zone (id),
      name text not null,
      latitude double precision not null,
      longitude double precision not null,
      controller_id text not null,
      loop_id text not null,
      fail_mode text not null check (fail_mode in ('safe', 'secure')),
      version bigint not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`create index bollard_by_zone on bollard (zone_id, id)`.execute(db);
  await sql`
    create table permit (
      id text primary key,
      identity_hash text not null check (identity_hash ~ '^[0-9a-f]{64}$'),
      credential_kind text not null check (credential_kind in ('plate', 'badge')),
      vehicle_class text not null,
      zone_ids text[] not null,
      valid_from timestamptz not null,
      valid_until timestamptz not null check (valid_until > valid_from),
      windows jsonb not null default '[]',
      one_off boolean not null default false,
      reason text not null,
      used_at timestamptz,
      revoked_at timestamptz,
      revoke_reason text,
      created_by text not null,
      created_at timestamptz not null
    )`.execute(db);
  await sql`create index permit_by_identity on permit (identity_hash)`.execute(db);
  await sql`
    create table bollard_state (
      bollard_id text primary key references bollard (id) on delete cascade,
      snapshot jsonb not null,
      state text not null,
      sequence bigint not null,
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table audit (
      id bigint generated always as identity primary key,
      at timestamptz not null,
      kind text not null,
      actor text not null,
      zone_id text not null,
      bollard_id text,
      detail text not null,
      outcome text not null,
      sequence bigint,
      attempt integer,
      request_id text,
      trace_id text
    )`.execute(db);
  await sql`create index audit_by_bollard on audit (bollard_id, id)`.execute(db);
  await sql`create index audit_by_zone on audit (zone_id, id)`.execute(db);
  await sql`create index audit_by_request on audit (request_id) where request_id is not null`.execute(
    db,
  );
  await sql`create index audit_by_time on audit (at)`.execute(db);
  await makeAppendOnly(db, 'audit', { retentionColumn: 'at' });
  await createOutboxTable(db);
}

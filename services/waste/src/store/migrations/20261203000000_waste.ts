// The waste schema: bins, each bin's fill model, fill readings, readings refused (with their
// reason), vehicles, plans and their visits (with progress), the append-only audit of operator
// actions, and the outbox.
import { createOutboxTable, makeAppendOnly } from '@slimstad/kit';
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table bin (
      id text primary key,
      name text not null,
      latitude double precision not null,
      longitude double precision not null,
      volume_litres double precision not null check (volume_litres > 0),
      stream text not null check (stream in ('residual', 'paper', 'glass', 'pmd', 'organic')),
      device_id text not null unique,
      access_window jsonb,
      must_visit boolean not null default false,
      version bigint not null default 1,
      created_at timestamptz not null
    )`.execute(db);
  await sql`create index bin_by_stream on bin (stream, id)`.execute(db);
  await sql`
    create table fill_state (
      bin_id text primary key references bin (id) on delete cascade,
      state jsonb not null,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`
    create table fill_reading (
      bin_id text not null references bin (id) on delete cascade,
      at timestamptz not null,
      percent double precision not null,
      kg double precision,
      primary key (bin_id, at)
    )`.execute(db);
  await sql`
    create table rejected_reading (
      id bigint generated always as identity primary key,
      received_at timestamptz not null,
      device_id text not null,
      metric text not null,
      value double precision not null,
      reason text not null
    )`.execute(db);
  await sql`
    create table vehicle (
      id text primary key,
      spec jsonb not null,
      version bigint not null default 1,
      created_at timestamptz not null
    )`.execute(db);
  await sql`
    create table plan (
      id text primary key,
      stream text not null,
      shift_date text not null,
      day_start timestamptz not null,
      distance_meters double precision not null,
      matrix_source text not null,
      replaces_plan_id text references plan (id),
      routes jsonb not null,
      unassigned jsonb not null,
      created_by text not null,
      created_at timestamptz not null
    )`.execute(db);
  await sql`create index plan_by_stream on plan (stream, created_at desc)`.execute(db);
  await sql`
    create table plan_visit (
      plan_id text not null references plan (id) on delete cascade,
      vehicle_id text not null,
      sequence integer not null,
      bin_id text,
      unload boolean not null,
      arrival timestamptz not null,
      departure timestamptz not null,
      load_litres double precision not null,
      load_kg double precision not null,
      late_seconds integer not null,
      status text not null check (status in ('planned', 'emptied', 'replanned')),
      emptied_at timestamptz,
      primary key (plan_id, vehicle_id, sequence)
    )`.execute(db);
  await sql`create index plan_visit_open on plan_visit (bin_id) where status = 'planned'`.execute(
    db,
  );
  await sql`
    create table audit (
      id bigint generated always as identity primary key,
      at timestamptz not null,
      actor text not null,
      action text not null,
      target text not null,
      detail text not null,
      trace_id text
    )`.execute(db);
  await sql`create index audit_by_target on audit (target, id)`.execute(db);
  await sql`create index audit_by_time on audit (at)`.execute(db);
  await makeAppendOnly(db, 'audit', { retentionColumn: 'at' });
  await createOutboxTable(db);
}

// The lighting schema: zones, lamps along paths, one profile per zone, overrides that expire,
// the live state of every lamp (and the command sequence that must survive restarts), energy
// per lamp and operating day, an append-only audit, and the outbox of lamp failure events.
import { createOutboxTable, makeAppendOnly } from '@slimstad/kit';
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table zone (
      id text primary key,
      name text not null,
      kind text not null check (kind in ('park', 'street', 'square')),
      latitude double precision not null,
      longitude double precision not null,
      time_zone text not null,
      version bigint not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`
    create table lamp (
      id text primary key,
      zone_id text not null references zone (id),
      name text not null,
      latitude double precision not null,
      longitude double precision not null,
      rated_power_w double precision not null check (rated_power_w > 0),
      min_level integer not null check (min_level between 0 and 100),
      controller_id text not null,
      neighbour_ids text[] not null default '{}',
      detector_ids text[] not null default '{}',
      version bigint not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`create index lamp_by_zone on lamp (zone_id, id)`.execute(db);
  await sql`
    create table profile (
      zone_id text primary key references zone (id) on delete cascade,
      settings jsonb not null,
      version bigint not null default 1,
      updated_by text not null,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`
    create table override (
      id bigint generated always as identity primary key,
      zone_id text not null references zone (id),
      lamp_id text,
      level integer not null check (level between 0 and 100),
      start_at timestamptz not null,
      end_at timestamptz not null check (end_at > start_at),
      reason text not null,
      created_by text not null,
      cleared_at timestamptz,
      cleared_by text
    )`.execute(db);
  await sql`create index override_in_force on override (end_at) where cleared_at is null`.execute(
    db,
  );
  await sql`
    create table lamp_state (
      lamp_id text primary key,
      zone_id text not null,
      sequence bigint not null default 0,
      commanded_level integer,
      actual_level integer,
      power_w double precision,
      status text not null default 'ok' check (status in ('ok', 'unreachable', 'failed')),
      failure_reason text,
      failure_detail text,
      metered_until timestamptz,
      last_report_at timestamptz,
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table energy_daily (
      zone_id text not null,
      day date not null,
      lamp_id text not null,
      used_wh double precision not null default 0,
      baseline_wh double precision not null default 0,
      night_ms bigint not null default 0,
      primary key (zone_id, day, lamp_id)
    )`.execute(db);
  await sql`
    create table audit (
      id bigint generated always as identity primary key,
      at timestamptz not null,
      actor text not null,
      action text not null,
      target text not null,
      detail jsonb not null default '{}',
      trace_id text
    )`.execute(db);
  await sql`create index audit_by_target on audit (target, at)`.execute(db);
  await makeAppendOnly(db, 'audit');
  await createOutboxTable(db);
}

// The device registry: one row per device ever registered (decommissioned ones stay, their ids
// are never reused) and an append-only audit of every change to it.
import { makeAppendOnly } from '@slimstad/kit';
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table device (
      id text primary key check (id ~ '^[A-Za-z0-9_-]{1,64}$'),
      type text not null,
      name text not null,
      latitude double precision not null check (latitude between -90 and 90),
      longitude double precision not null check (longitude between -180 and 180),
      altitude_m double precision,
      zone text not null default '',
      metrics jsonb not null,
      owner_department text not null,
      classification text not null check (classification in ('public', 'internal', 'personal')),
      expected_interval_s double precision not null default 0,
      network_kind text not null,
      network_id text not null,
      labels jsonb not null default '{}',
      status text not null default 'active' check (status in ('active', 'decommissioned')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      decommissioned_at timestamptz,
      version integer not null default 1
    )`.execute(db);
  // One active device per network identity: an uplink must map to exactly one device. A
  // decommissioned device frees its DevEUI for the replacement.
  await sql`
    create unique index device_network_identity on device (network_kind, network_id)
    where status = 'active'`.execute(db);
  await sql`create index device_by_zone on device (zone, id)`.execute(db);
  await sql`create index device_by_type on device (type, id)`.execute(db);
  // The directory cache polls for changes since its last look.
  await sql`create index device_by_updated on device (updated_at)`.execute(db);

  await sql`
    create table device_audit (
      id bigint generated always as identity primary key,
      at timestamptz not null,
      actor text not null,
      action text not null check (action in ('register', 'update', 'decommission')),
      device_id text not null,
      detail jsonb not null,
      trace_id text
    )`.execute(db);
  await sql`create index device_audit_by_device on device_audit (device_id, at)`.execute(db);
  await makeAppendOnly(db, 'device_audit');
}

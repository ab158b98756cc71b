// The alerting schema: versioned rules, alerts (one open alert per fingerprint, enforced by a
// partial unique index — deduplication that holds across replicas), the append-only history of
// every alert (state changes, assignments, comments: the audit), silences, the notification
// outbox (groups, their members, one row per notification with its delivery state), public
// warnings (CAP), resource points and the device directory learnt from ingest's events.
import { createOutboxTable, makeAppendOnly } from '@slimstad/kit';
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table rule (
      id text not null,
      version bigint not null,
      spec jsonb not null,
      enabled boolean not null,
      deleted boolean not null default false,
      updated_by text not null,
      updated_at timestamptz not null default now(),
      primary key (id, version)
    )`.execute(db);
  await makeAppendOnly(db, 'rule');

  await sql`
    create table alert (
      id uuid primary key default gen_random_uuid(),
      fingerprint text not null,
      rule_id text not null,
      rule_version bigint not null,
      labels jsonb not null,
      annotations jsonb not null default '{}',
      state text not null check (state in ('firing', 'acknowledged', 'resolved')),
      severity text not null,
      public boolean not null default false,
      started_at timestamptz not null,
      last_seen_at timestamptz not null,
      ended_at timestamptz,
      acknowledged_by text,
      acknowledged_at timestamptz,
      resolved_by text,
      assignee text,
      escalations integer not null default 0,
      next_escalation_at timestamptz,
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index alert_open_fingerprint on alert (fingerprint) where state <> 'resolved'`.execute(
    db,
  );
  await sql`create index alert_started on alert (started_at desc)`.execute(db);
  await sql`create index alert_escalation on alert (next_escalation_at) where state = 'firing'`.execute(
    db,
  );

  await sql`
    create table alert_history (
      id bigint generated always as identity primary key,
      alert_id uuid not null references alert (id),
      kind text not null,
      actor text not null,
      text text not null default '',
      at timestamptz not null
    )`.execute(db);
  await sql`create index alert_history_alert on alert_history (alert_id, id)`.execute(db);
  await makeAppendOnly(db, 'alert_history');

  await sql`
    create table silence (
      id uuid primary key default gen_random_uuid(),
      matchers jsonb not null,
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      created_by text not null,
      comment text not null,
      expired_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table notification_group (
      receiver text not null,
      group_key text not null,
      group_labels jsonb not null,
      group_wait_ms integer not null,
      group_interval_ms integer not null,
      repeat_interval_ms integer not null,
      next_flush_at timestamptz,
      last_flush_at timestamptz,
      last_hash text,
      flush_seq bigint not null default 0,
      primary key (receiver, group_key)
    )`.execute(db);
  await sql`create index notification_group_due on notification_group (next_flush_at) where next_flush_at is not null`.execute(
    db,
  );
  await sql`
    create table group_member (
      receiver text not null,
      group_key text not null,
      alert_id uuid not null references alert (id),
      primary key (receiver, group_key, alert_id)
    )`.execute(db);
  await sql`
    create table notification (
      id bigint generated always as identity primary key,
      receiver text not null,
      group_key text not null,
      flush_seq bigint not null,
      payload jsonb not null,
      alert_ids uuid[] not null,
      status text not null default 'pending'
        check (status in ('pending', 'sending', 'retrying', 'delivered', 'failed')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null,
      claimed_until timestamptz,
      last_error text,
      created_at timestamptz not null default now(),
      delivered_at timestamptz,
      unique (receiver, group_key, flush_seq)
    )`.execute(db);
  await sql`create index notification_due on notification (next_attempt_at) where status in ('pending', 'sending', 'retrying')`.execute(
    db,
  );

  await sql`
    create table cap_message (
      id bigint generated always as identity primary key,
      identifier text not null unique,
      alert_id uuid not null references alert (id),
      msg_type text not null,
      sent_at timestamptz not null,
      sent text not null,
      event text not null,
      severity text not null,
      area_desc text not null,
      refs text[] not null default '{}',
      xml text not null
    )`.execute(db);
  await makeAppendOnly(db, 'cap_message');

  await sql`
    create table resource_point (
      id text primary key,
      kind text not null,
      name text not null,
      latitude double precision not null,
      longitude double precision not null,
      address text not null default '',
      zone text not null default '',
      note text not null default '',
      updated_by text not null,
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table device (
      id text primary key,
      type text not null,
      zone text not null default '',
      department text not null default '',
      labels jsonb not null default '{}',
      latitude double precision,
      longitude double precision,
      expected_interval_ms bigint not null default 0,
      updated_at timestamptz not null default now()
    )`.execute(db);

  // Who changed what outside an alert's own history: rules, silences, resource points.
  await sql`
    create table audit (
      id bigint generated always as identity primary key,
      at timestamptz not null default now(),
      actor text not null,
      action text not null,
      target text not null,
      detail jsonb not null default '{}'
    )`.execute(db);
  await makeAppendOnly(db, 'audit');

  await createOutboxTable(db);
}

// Readings, partitioned first by data classification (each has its own retention) and then
// by day (native range partitions, created ahead and dropped whole by retention); the latest
// value per device and metric; and the quarantine of refused readings.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table reading (
      classification text not null,
      device_id text not null,
      metric text not null,
      observed_at timestamptz not null,
      value double precision not null,
      unit text not null,
      sequence bigint not null default 0,
      received_at timestamptz not null,
      source text not null,
      channel text,
      intake_ref text not null,
      primary key (classification, device_id, metric, observed_at)
    ) partition by list (classification)`.execute(db);
  for (const classification of ['public', 'internal', 'personal']) {
    await sql`
      create table ${sql.id(`reading_${classification}`)} partition of reading
      for values in (${sql.lit(classification)}) partition by range (observed_at)`.execute(db);
  }
  // Finds an earlier copy of the same device message (same sequence) for deduplication.
  await sql`create index reading_sequence on reading (device_id, metric, sequence) where sequence > 0`.execute(
    db,
  );

  await sql`
    create table latest_reading (
      device_id text not null,
      metric text not null,
      value double precision not null,
      unit text not null,
      observed_at timestamptz not null,
      received_at timestamptz not null,
      -- Highest sequence stored for the device and metric: a reading above it is new, so only
      -- readings at or below it (repeats, reordering, counter resets) are looked up in reading.
      max_sequence bigint not null default 0,
      primary key (device_id, metric)
    )`.execute(db);

  await sql`
    create table quarantine (
      id text primary key,
      reason text not null,
      detail text not null,
      source text not null,
      device_id text,
      payload bytea,
      reading jsonb,
      received_at timestamptz not null,
      status text not null default 'quarantined' check (status in ('quarantined', 'replayed', 'discarded')),
      replay_count integer not null default 0,
      replayed_at timestamptz
    )`.execute(db);
  await sql`create index quarantine_by_reason on quarantine (status, reason, received_at)`.execute(
    db,
  );
  await sql`create index quarantine_by_device on quarantine (device_id, received_at)`.execute(db);
}

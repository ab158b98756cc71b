// The open windows of the aggregated shares, kept here rather than in memory: a restart loses
// none of the readings they hold (already acknowledged on the bus), a redelivered reading counts
// once (its id per share), and a window once emitted is remembered so later readings for it
// are late rather than a second aggregate.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table share_window (
      stream text not null,
      key text not null,
      metric text not null,
      window_start timestamptz not null,
      window_seconds integer not null,
      fn text not null,
      unit text not null,
      count integer not null,
      sum double precision not null,
      min double precision not null,
      max double precision not null,
      emitted_at timestamptz,
      primary key (stream, key, metric, window_start)
    )`.execute(db);
  await sql`create index share_window_open on share_window (window_start) where emitted_at is null`.execute(
    db,
  );
  await sql`
    create table share_window_reading (
      stream text not null,
      reading text not null,
      key text not null,
      metric text not null,
      window_start timestamptz not null,
      primary key (stream, reading)
    )`.execute(db);
  await sql`create index share_window_reading_window on share_window_reading (stream, key, metric, window_start)`.execute(
    db,
  );
}

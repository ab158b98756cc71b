// The trace a notification continues: a group keeps the trace context of the latest change that
// scheduled its flush, and the notification written at the flush carries it to the send, so a
// webhook request is one trace with the reading that raised the alert (as the kit's outbox does
// for events).
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table notification_group add column trace jsonb not null default '{}'`.execute(
    db,
  );
  await sql`alter table notification add column trace jsonb not null default '{}'`.execute(db);
}

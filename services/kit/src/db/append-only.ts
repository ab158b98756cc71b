// Append-only tables (audit logs): a statement-level trigger refuses every UPDATE and DELETE,
// so not even the service's own code can rewrite history. Call from a migration.
import { type Kysely, sql } from 'kysely';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export async function makeAppendOnly(db: Kysely<unknown>, table: string): Promise<void> {
  if (!IDENTIFIER.test(table)) throw new Error(`not a plain table name: ${table}`);
  await sql`
    create function ${sql.raw(`${table}_is_append_only`)}() returns trigger language plpgsql as $$
    begin
      raise exception '${sql.raw(table)} is append-only: % is not allowed', tg_op;
    end $$`.execute(db);
  await sql`
    create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.raw(table)}
    for each statement execute function ${sql.raw(`${table}_is_append_only`)}()`.execute(db);
}

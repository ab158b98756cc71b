// Append-only tables (audit logs): a trigger refuses every UPDATE and DELETE, so not even the
// service's own code can rewrite history. Call from a migration. A table with a retention
// column may lose rows only by `purgeExpired`: rows older than the retention the purging
// transaction declares (at least a day), never a recent one.
import { type Kysely, sql, type Transaction } from 'kysely';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return name;
}

export async function makeAppendOnly(
  db: Kysely<unknown>,
  table: string,
  options: { retentionColumn?: string } = {},
): Promise<void> {
  identifier(table);
  await sql`
    create function ${sql.raw(`${table}_is_append_only`)}() returns trigger language plpgsql as $$
    begin
      raise exception '${sql.raw(table)} is append-only: % is not allowed', tg_op;
    end $$`.execute(db);
  const refused = options.retentionColumn ? 'update' : 'update or delete';
  await sql`
    create trigger ${sql.raw(`${table}_append_only`)} before ${sql.raw(refused)} on ${sql.raw(table)}
    for each statement execute function ${sql.raw(`${table}_is_append_only`)}()`.execute(db);
  if (!options.retentionColumn) return;
  const column = identifier(options.retentionColumn);
  await sql`
    create function ${sql.raw(`${table}_purge_only`)}() returns trigger language plpgsql as $$
    declare
      retention interval := nullif(current_setting('slimstad.retention', true), '')::interval;
    begin
      if retention is null or retention < interval '1 day' then
        raise exception '${sql.raw(table)} is append-only: rows go only by a purge past a retention of at least a day';
      end if;
      if old.${sql.raw(column)} >= now() - retention then
        raise exception '${sql.raw(table)} is append-only: this row is within its retention of %', retention;
      end if;
      return old;
    end $$`.execute(db);
  await sql`
    create trigger ${sql.raw(`${table}_purge_only`)} before delete on ${sql.raw(table)}
    for each row execute function ${sql.raw(`${table}_purge_only`)}()`.execute(db);
}

/**
 * Deletes the rows of an append-only table older than the retention (in days, at least 1);
 * resolves with how many went.
 */
export async function purgeExpired(
  db: Kysely<unknown>,
  table: string,
  column: string,
  retentionDays: number,
): Promise<number> {
  identifier(table);
  identifier(column);
  if (!(retentionDays >= 1)) throw new Error('a retention is at least one day');
  return db.transaction().execute(async (trx: Transaction<unknown>) => {
    await sql`select set_config('slimstad.retention', ${`${retentionDays} days`}, true)`.execute(
      trx,
    );
    const result = await sql`
      delete from ${sql.raw(table)}
      where ${sql.raw(column)} < now() - make_interval(days => ${retentionDays})`.execute(trx);
    return Number(result.numAffectedRows ?? 0n);
  });
}

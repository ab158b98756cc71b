// Migrations live in each service and run at start-up. A session-level advisory lock keyed by
// the schema serialises replicas that start together: the second waits, then finds nothing
// left to do. Kysely's migrator records what ran in `<schema>.kysely_migration` and, on
// PostgreSQL, applies all pending migrations in one transaction: all or nothing.
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import type { Logger } from '../log.js';

export type Migrations = Record<string, Migration>;

export interface MigrationReport {
  /** Names of the migrations this call applied (empty when already up to date). */
  applied: string[];
}

export async function migrateToLatest(
  db: Kysely<unknown>,
  options: { schema: string; migrations: Migrations; log?: Logger },
): Promise<MigrationReport> {
  const { schema, migrations, log } = options;
  return db.connection().execute(async (connection) => {
    const lockKey = `slimstad.migrate.${schema}`;
    await sql`select pg_advisory_lock(hashtext(${lockKey}))`.execute(connection);
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(connection);
      const migrator = new Migrator({
        db: connection,
        provider: { getMigrations: async () => migrations },
        migrationTableSchema: schema,
      });
      const { error, results = [] } = await migrator.migrateToLatest();
      const failed = results.find((r) => r.status === 'Error');
      if (error || failed) {
        throw new Error(
          `migration ${failed?.migrationName ?? '(unknown)'} of schema ${schema} failed: ${(error as Error | undefined)?.message ?? 'see cause'}. ` +
            'Pending migrations run in one transaction, so the schema is as it was before; fix the migration and restart.',
          { cause: error },
        );
      }
      const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
      if (applied.length > 0) log?.info({ schema, applied }, 'migrations applied');
      return { applied };
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${lockKey}))`.execute(connection);
    }
  });
}

/** Readiness check factory: ready once migrations have completed in this process. */
export function migrationsDone(state: { done: boolean }) {
  return () =>
    state.done ? { ok: true as const } : { ok: false as const, reason: 'migrations pending' };
}

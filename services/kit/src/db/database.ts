// PostgreSQL through Kysely + pg. Each service owns one schema: every pooled connection sets
// its search_path to it, so queries name tables without a schema and no service reads
// another's tables by accident.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { CheckResult } from '../health.js';

export interface DatabaseOptions {
  url: string;
  /** The service's schema, e.g. `ingest`. */
  schema: string;
  poolMax?: number;
  applicationName?: string;
}

export interface Database<DB> {
  db: Kysely<DB>;
  schema: string;
  pool: pg.Pool;
  /** Readiness check: the database answers a trivial query. */
  ping(): Promise<CheckResult>;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// Postgres BIGINT (int8) arrives as a string by default; parse it to bigint so sequence
// numbers and counters above 2^53 stay exact and match the protobuf (forceLong=bigint) types.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => BigInt(value));

export function createDatabase<DB>(options: DatabaseOptions): Database<DB> {
  if (!SCHEMA_NAME.test(options.schema)) {
    throw new Error(
      `database schema ${JSON.stringify(options.schema)} must be lower-case letters, digits and '_'`,
    );
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 10,
    application_name: options.applicationName ?? options.schema,
    connectionTimeoutMillis: 5_000,
    // A startup parameter: set before the first query on every connection, with no extra
    // round trip and no race with the pool handing the connection out.
    options: `-c search_path=${options.schema},public`,
  });
  // A client losing its connection must not crash the process. The pool listens for that only
  // while a client is idle; a checked-out one (inside a transaction, between its queries) emits
  // 'error' on itself. The next query fails with a clear error and the pool discards the client.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    schema: options.schema,
    pool,
    ping: async () => {
      try {
        await sql`select 1`.execute(db);
        return { ok: true };
      } catch (error) {
        return { ok: false, reason: `postgres: ${(error as Error).message}` };
      }
    },
    close: () => db.destroy(),
  };
}

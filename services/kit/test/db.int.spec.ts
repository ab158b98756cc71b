// Migrations on a real PostgreSQL: idempotent, and safe when two replicas start together.
import { createTestDatabase, type TestDatabase } from '@slimstad/test-harness';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeAppendOnly, purgeExpired } from '../src/db/append-only.js';
import { createDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { collectOutput, exited, fixture, spawnTs } from './support.js';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'), 'kit_db');
});
afterAll(async () => {
  await testDb.drop();
});

const migrations = {
  '20261122000000_create_device': {
    up: async (db: never) => {
      await sql`create table device (id text primary key, seq bigint not null)`.execute(db);
    },
  },
  '20261122000100_add_zone': {
    up: async (db: never) => {
      await sql`alter table device add column zone text`.execute(db);
    },
  },
};

describe('createDatabase', () => {
  it('survives its connection being cut inside a transaction, and serves the next query', async () => {
    const database = createDatabase({
      url: testDb.url,
      schema: 'public',
      applicationName: 'kit-cut',
    });
    const uncaught: unknown[] = [];
    const note = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', note);
    try {
      const cut = database.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        // Between two queries of the transaction, the server ends the backend (a failover).
        const admin = createDatabase({ url: testDb.url, schema: 'public' });
        await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'kit-cut'`.execute(
          admin.db,
        );
        await admin.close();
        await new Promise((r) => setTimeout(r, 200));
        await sql`select 2`.execute(trx);
      });
      await expect(cut).rejects.toThrow();
      const after = await sql<{ n: number }>`select 3 as n`.execute(database.db);
      expect(after.rows).toEqual([{ n: 3 }]);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', note);
      await database.close();
    }
  });
});

describe('makeAppendOnly', () => {
  it('lets rows be added to a table but never changed or removed', async () => {
    const database = createDatabase({ url: testDb.url, schema: 'public' });
    try {
      await sql`create table log_entry (id int primary key, what text)`.execute(database.db);
      await makeAppendOnly(database.db as never, 'log_entry');
      await sql`insert into log_entry values (1, 'opened')`.execute(database.db);
      await expect(sql`update log_entry set what = 'nothing'`.execute(database.db)).rejects.toThrow(
        'log_entry is append-only: UPDATE is not allowed',
      );
      await expect(sql`delete from log_entry`.execute(database.db)).rejects.toThrow(
        'log_entry is append-only: DELETE is not allowed',
      );
      await expect(makeAppendOnly(database.db as never, 'log; drop table x')).rejects.toThrow(
        /plain identifier/,
      );
    } finally {
      await database.close();
    }
  });

  it('with a retention, lets only a purge remove rows, and only those past the retention', async () => {
    const database = createDatabase({ url: testDb.url, schema: 'public' });
    try {
      await sql`create table decision_log (id int primary key, at timestamptz not null)`.execute(
        database.db,
      );
      await makeAppendOnly(database.db as never, 'decision_log', { retentionColumn: 'at' });
      await sql`insert into decision_log values
        (1, now() - interval '400 days'), (2, now() - interval '10 days'), (3, now())`.execute(
        database.db,
      );
      await expect(sql`update decision_log set at = now()`.execute(database.db)).rejects.toThrow(
        'decision_log is append-only: UPDATE is not allowed',
      );
      // A plain delete, even of an old row, is refused; so is a purge that declares a tiny retention.
      await expect(sql`delete from decision_log where id = 1`.execute(database.db)).rejects.toThrow(
        /retention of at least a day/,
      );
      await expect(
        database.db.transaction().execute(async (trx) => {
          await sql`select set_config('slimstad.retention', '1 day', true)`.execute(trx);
          await sql`delete from decision_log where id = 3`.execute(trx);
        }),
      ).rejects.toThrow(/within its retention/);
      await expect(purgeExpired(database.db as never, 'decision_log', 'at', 0)).rejects.toThrow(
        /at least one day/,
      );
      expect(await purgeExpired(database.db as never, 'decision_log', 'at', 365)).toBe(1);
      const left = await sql<{ id: number }>`select id from decision_log order by id`.execute(
        database.db,
      );
      expect(left.rows.map((r) => r.id)).toEqual([2, 3]);
    } finally {
      await database.close();
    }
  });
});

describe('migrateToLatest', () => {
  it('applies pending migrations in the service schema and is a no-op the second time', async () => {
    const database = createDatabase({ url: testDb.url, schema: 'registry' });
    try {
      const first = await migrateToLatest(database.db as never, { schema: 'registry', migrations });
      const second = await migrateToLatest(database.db as never, {
        schema: 'registry',
        migrations,
      });
      expect(first.applied).toEqual(['20261122000000_create_device', '20261122000100_add_zone']);
      expect(second.applied).toEqual([]);
      // Tables land in the service's own schema, found through search_path.
      await sql`insert into device (id, seq, zone) values ('d1', 9007199254740993, 'park')`.execute(
        database.db,
      );
      const rows = await sql<{
        schemaname: string;
      }>`select schemaname from pg_tables where tablename = 'device'`.execute(database.db);
      expect(rows.rows).toEqual([{ schemaname: 'registry' }]);
      // BIGINT comes back exact, as bigint.
      const seq = await sql<{ seq: bigint }>`select seq from device`.execute(database.db);
      expect(seq.rows[0]!.seq).toBe(9007199254740993n);
    } finally {
      await database.close();
    }
  });

  it('names the failing migration and applies none of the batch', async () => {
    const database = createDatabase({ url: testDb.url, schema: 'broken' });
    try {
      await expect(
        migrateToLatest(database.db as never, {
          schema: 'broken',
          migrations: {
            ...migrations,
            '20261122000200_bad': {
              up: async (db: never) =>
                void (await sql`alter table nope add column x int`.execute(db)),
            },
          },
        }),
      ).rejects.toThrow(/migration 20261122000200_bad of schema broken failed/);
      const applied = await sql<{
        name: string;
      }>`select name from broken.kysely_migration order by name`.execute(database.db);
      expect(applied.rows).toEqual([]);
      const tables =
        await sql`select 1 from pg_tables where schemaname = 'broken' and tablename = 'device'`.execute(
          database.db,
        );
      expect(tables.rows).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('lets two processes migrate the same schema at once without colliding', async () => {
    const env = { DATABASE_URL: testDb.url, MIGRATE_SCHEMA: 'race' };
    const children = [
      spawnTs(fixture('migrate-once.ts'), env),
      spawnTs(fixture('migrate-once.ts'), env),
    ];
    const outputs = children.map(collectOutput);
    const codes = await Promise.all(children.map(exited));
    expect(codes, outputs.map((o) => o()).join('\n')).toEqual([0, 0]);
    const reports = outputs.map(
      (o) => JSON.parse(o().trim().split('\n').at(-1)!) as { applied: string[] },
    );
    // Exactly one of them applied the migration; the other waited on the lock and found nothing to do.
    expect(reports.map((r) => r.applied.length).sort()).toEqual([0, 1]);
    const database = createDatabase({ url: testDb.url, schema: 'race' });
    try {
      const rows = await sql<{ n: bigint }>`select count(*) as n from counter`.execute(database.db);
      expect(rows.rows[0]!.n).toBe(1n);
    } finally {
      await database.close();
    }
  });
});

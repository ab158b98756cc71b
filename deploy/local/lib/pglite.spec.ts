// The embedded PostgreSQL fallback: a PGlite wire server (own process) that pg clients use like
// PostgreSQL. One test on purpose: PGlite costs ~5 s and ~1 GB to initialise.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { assertPortFree, startPglite } from './pglite.mjs';
import { alive, freePort, tempDir } from './test-support.js';

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  c.on('error', () => {});
  await c.connect();
  return c;
}

describe('PGlite fallback', () => {
  it('serves pg: queries, transactions, advisory locks, several connections, data kept across restarts', async () => {
    const state = tempDir('pglite');
    const templateDir = join(state.dir, 'pglite', '.template');
    const dataDir = join(state.dir, 'pglite', 'ingest');
    const port = await freePort();
    let instance: Awaited<ReturnType<typeof startPglite>> | undefined;
    const clients: pg.Client[] = [];
    try {
      // startPglite itself checks query, transaction and advisory lock before it resolves.
      instance = await startPglite({ dataDir, templateDir, port });
      expect(instance.url).toBe(`postgres://postgres@127.0.0.1:${port}/postgres`);
      expect(instance.created).toBe(true);
      expect(existsSync(join(templateDir, 'PG_VERSION'))).toBe(true);
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
      expect(alive(instance.pid)).toBe(true);

      const a = await client(instance.url);
      const b = await client(instance.url);
      clients.push(a, b);
      expect((await a.query('select $1::int + 1 as n', [41])).rows).toEqual([{ n: 42 }]);

      // A transaction: committed rows stay, rolled-back rows do not.
      await a.query('create schema ingest');
      await a.query('create table ingest.device (id text primary key)');
      await a.query('begin');
      await a.query("insert into ingest.device values ('kept')");
      await a.query('commit');
      await a.query('begin');
      await a.query("insert into ingest.device values ('undone')");
      await a.query('rollback');
      expect((await a.query('select id from ingest.device')).rows).toEqual([{ id: 'kept' }]);

      // The kit's migration lock.
      await a.query("select pg_advisory_lock(hashtext('slimstad.migrate.ingest'))");
      const released = await a.query(
        "select pg_advisory_unlock(hashtext('slimstad.migrate.ingest')) as ok",
      );
      expect(released.rows).toEqual([{ ok: true }]);
      await a.query('begin'); // Kysely's migrator takes a transaction-scoped lock
      await a.query('select pg_advisory_xact_lock(12345)');
      await a.query('commit');

      // Several connections: another connection's statement waits until a transaction ends,
      // so a transaction is never interleaved with someone else's statements.
      await a.query('begin');
      await a.query("insert into ingest.device values ('in-tx')");
      let seen: number | undefined;
      const counted = b
        .query('select count(*)::int as n from ingest.device')
        .then((r) => (seen = r.rows[0].n));
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toBeUndefined();
      await a.query('commit');
      await counted;
      expect(seen).toBe(2);

      // Documented limitations (deploy/README.md): one PostgreSQL session behind every
      // connection, so session state is shared and session advisory locks do not exclude.
      await a.query('set search_path to ingest');
      expect((await b.query('show search_path')).rows).toEqual([{ search_path: 'ingest' }]);
      await b.query('reset search_path');
      await a.query('select pg_advisory_lock(7)');
      const second = await Promise.race([
        b.query('select pg_advisory_lock(7)').then(() => 'granted'),
        new Promise((r) => setTimeout(() => r('blocked'), 1_000)),
      ]);
      expect(second).toBe('granted');
      await b.query('select pg_advisory_unlock_all()');

      for (const c of clients.splice(0)) await c.end();
      expect(await instance.stop()).toEqual({ forced: false });
      expect(alive(instance.pid)).toBe(false);
      await expect(assertPortFree(port)).resolves.toBeUndefined();

      // Reopened from its data directory (no template copy this time), the data is there.
      const reopenedAt = Date.now();
      instance = await startPglite({ dataDir, templateDir, port });
      expect(instance.created).toBe(false);
      expect(Date.now() - reopenedAt).toBeLessThan(15_000);
      const again = await client(instance.url);
      clients.push(again);
      expect((await again.query('select id from ingest.device order by id')).rows).toEqual([
        { id: 'in-tx' },
        { id: 'kept' },
      ]);
    } finally {
      for (const c of clients) await c.end().catch(() => {});
      await instance?.stop();
      state.remove();
    }
  }, 180_000);
});

// The runbook's backup procedure works: `pg_dump --format=custom --schema=<service>` and
// `pg_restore` bring back one service's schema — tables, rows, identity sequences and the
// append-only audit trigger — without touching any other schema (docs/runbook.md, "Backing up
// and restoring a service's schema"). Done on the bollards schema with its real migrations.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrations } from '@slimstad/bollards/store/migrations/index';
import { createDatabase, createLogger, migrateToLatest } from '@slimstad/kit';
import { createTestDatabase, type TestDatabase } from '@slimstad/test-harness';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';

let testDb: TestDatabase;
let dir: string;
beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'), 'backup');
  dir = mkdtempSync(join(tmpdir(), 'slimstad-backup-'));
});
afterAll(async () => {
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

it('dumps one service schema and restores it exactly, leaving the others alone', async () => {
  const database = createDatabase({ url: testDb.url, schema: 'bollards' });
  const q = async <R>(text: string, params: unknown[] = []) =>
    (await database.pool.query(text, params)).rows as R[];
  const log = createLogger('backup', 'silent');
  try {
    await migrateToLatest(database.db as never, { schema: 'bollards', migrations, log });
    const now = new Date('2026-12-03T10:00:00Z');
    await q(
      `insert into bollards.zone (id, name, time_zone, created_at, updated_at)
       values ('grote-markt', 'Grote Markt', 'Europe/Brussels', $1, $1)`,
      [now],
    );
    const audit = `insert into bollards.audit (at, kind, actor, zone_id, detail, outcome)
       values ($1, 'decision', 'test', 'grote-markt', $2, 'admitted')`;
    for (let i = 0; i < 3; i++) await q(audit, [now, `entry ${i}`]);
    // Another service's schema in the same database must survive the restore untouched.
    await q('create schema lighting');
    await q('create table lighting.lamp (id text primary key)');
    await q(`insert into lighting.lamp values ('l1')`);

    const dump = join(dir, 'bollards.dump');
    execFileSync('pg_dump', [
      '--format=custom',
      '--schema=bollards',
      '--no-owner',
      `--file=${dump}`,
      testDb.url,
    ]);
    await q('drop schema bollards cascade');
    await q(`insert into lighting.lamp values ('l2')`);
    execFileSync('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${testDb.url}`, dump]);

    const restored = await q<{ detail: string }>('select detail from bollards.audit order by id');
    expect(restored.map((r) => r.detail)).toEqual(['entry 0', 'entry 1', 'entry 2']);
    expect(await q('select id from bollards.zone')).toEqual([{ id: 'grote-markt' }]);
    // The identity sequence continues after the restored rows.
    await q(audit, [now, 'after restore']);
    const ids = await q<{ id: bigint }>('select id from bollards.audit order by id');
    expect(ids.map((r) => Number(r.id))).toEqual([1, 2, 3, 4]);
    // The append-only trigger came back with the schema.
    await expect(q(`update bollards.audit set detail = 'tampered'`)).rejects.toThrow();
    // Migrations see the restored schema as current: the service starts on it as it is.
    await migrateToLatest(database.db as never, { schema: 'bollards', migrations, log });
    // The other service's schema kept its newer row.
    const lamps = await q<{ id: string }>('select id from lighting.lamp order by id');
    expect(lamps.map((r) => r.id)).toEqual(['l1', 'l2']);
  } finally {
    await database.close();
  }
}, 60_000);

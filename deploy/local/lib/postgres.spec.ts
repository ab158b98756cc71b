// PostgreSQL detection and the database the city needs, against the real server.
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  checkSession,
  databaseName,
  ensureDatabase,
  probePostgres,
  redactUrl,
} from './postgres.mjs';
import { freePort, tcpServer } from './test-support.js';

const databaseUrl = inject('databaseUrl');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe('probePostgres', () => {
  it('finds the running server (connects to its postgres database and runs select 1)', async () => {
    const probe = await probePostgres(databaseUrl);
    expect(probe).toMatchObject({ ok: true });
    expect(probe.ok && probe.version).toMatch(/^PostgreSQL \d+/);
  });

  it('finds the server even when the URL names a database that does not exist yet', async () => {
    const url = new URL(databaseUrl);
    url.pathname = `/slimstad_missing_${process.pid}`;
    expect(await probePostgres(url.toString())).toMatchObject({ ok: true });
  });

  it('says no for a closed loopback port, at once', async () => {
    const started = Date.now();
    const probe = await probePostgres(`postgres://postgres@127.0.0.1:${await freePort()}/slimstad`);
    expect(probe).toEqual({ ok: false, reason: 'ECONNREFUSED' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('says no within its time limit for a server that accepts and never answers', async () => {
    const silent = await tcpServer(() => {});
    cleanups.push(silent.close);
    const started = Date.now();
    const probe = await probePostgres(`postgres://postgres@127.0.0.1:${silent.port}/slimstad`, {
      timeoutMs: 400,
    });
    expect(probe.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('says no for a server that speaks something else', async () => {
    const garbage = await tcpServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    cleanups.push(garbage.close);
    const probe = await probePostgres(`postgres://postgres@127.0.0.1:${garbage.port}/x`, {
      timeoutMs: 1_000,
    });
    expect(probe.ok).toBe(false);
  });
});

describe('ensureDatabase', () => {
  it('creates the database when missing, and only then', async () => {
    const name = `slimstad_deploy_test_${process.pid}_${Date.now()}`;
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    cleanups.push(async () => {
      await admin.query(`drop database if exists "${name}"`);
      await admin.end();
    });
    expect(await ensureDatabase(url.toString())).toBe(true);
    expect(await ensureDatabase(url.toString())).toBe(false);
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    expect(rowCount).toBe(1);
  });
});

describe('checkSession', () => {
  it('passes on a real server: query, transaction, advisory lock', async () => {
    await expect(checkSession(databaseUrl)).resolves.toBeUndefined();
  });

  it('names the step and the server when it fails, without the password', async () => {
    const url = `postgres://postgres:secret@127.0.0.1:${await freePort()}/x`;
    await expect(checkSession(url, { timeoutMs: 1_000 })).rejects.toThrow(
      /check failed at "connect" on postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/,
    );
  });
});

describe('URL helpers', () => {
  it('reads the database name and hides passwords', () => {
    expect(databaseName('postgres://postgres@127.0.0.1:5432/slimstad')).toBe('slimstad');
    expect(databaseName('postgres://alice@db')).toBe('alice');
    expect(redactUrl('postgres://u:p%40ss@h:1/d')).toBe('postgres://u:***@h:1/d');
  });
});

// PostgreSQL for the local city: detect a server, create the city's database, and check that a
// server (real or PGlite) handles what the services need: queries, transactions, advisory locks.
import pg from 'pg';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/slimstad';

/** The URL with its password replaced by `***`, for printing. */
export function redactUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** The database a URL names (`slimstad` in `postgres://…/slimstad`); the user's name when none. */
export function databaseName(url) {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return name || decodeURIComponent(parsed.username) || 'postgres';
}

/** The same server's maintenance database (`postgres`), where the city's database is created. */
function maintenanceUrl(url) {
  const parsed = new URL(url);
  parsed.pathname = '/postgres';
  return parsed.toString();
}

/**
 * Whether a PostgreSQL server answers at the URL's host: a pg client connects to the server's
 * `postgres` database and runs `select 1` within `timeoutMs`. Never throws, never hangs.
 *
 * @param {string} url
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<{ ok: true, version: string } | { ok: false, reason: string }>}
 */
export async function probePostgres(url, { timeoutMs = 2_000 } = {}) {
  let client;
  try {
    client = new pg.Client({
      connectionString: maintenanceUrl(url),
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
    });
  } catch (error) {
    return { ok: false, reason: `invalid URL: ${error.message}` };
  }
  // A connection that dies after connect() emits 'error'; unhandled, it would crash the launcher.
  client.on('error', () => {});
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  const attempt = (async () => {
    try {
      await client.connect();
      const { rows } = await client.query('select 1 as one, version() as version');
      if (rows[0]?.one !== 1) return { ok: false, reason: 'select 1 did not return 1' };
      return { ok: true, version: String(rows[0].version).split(' ').slice(0, 2).join(' ') };
    } catch (error) {
      return { ok: false, reason: error.code ?? error.message };
    }
  })();
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
    client.end().catch(() => {});
  }
}

/** Creates the URL's database when it does not exist yet; true when it created it. */
export async function ensureDatabase(url) {
  const name = databaseName(url);
  const client = new pg.Client({
    connectionString: maintenanceUrl(url),
    connectionTimeoutMillis: 5_000,
  });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount > 0) return false;
    try {
      await client.query(`create database "${name.replace(/"/g, '""')}"`);
    } catch (error) {
      // Someone else created it between the check and now: fine.
      if (error.code === '42P04') return false;
      throw error;
    }
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Checks that the server at `url` handles what every service does at start-up over the pg
 * wire protocol: a query, a transaction (commit kept, rollback undone) and the session
 * advisory lock the kit's migrations take. Throws with the step that failed.
 */
export async function checkSession(url, { timeoutMs = 10_000 } = {}) {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => {});
  let step = 'connect';
  try {
    await client.connect();
    step = 'query';
    const { rows } = await client.query('select 1 + 1 as two');
    if (rows[0]?.two !== 2) throw new Error('select 1 + 1 did not return 2');
    step = 'transaction';
    await client.query('create temporary table slimstad_check (n int)');
    await client.query('begin');
    await client.query('insert into slimstad_check values (1)');
    await client.query('commit');
    await client.query('begin');
    await client.query('insert into slimstad_check values (2)');
    await client.query('rollback');
    const kept = await client.query('select n from slimstad_check order by n');
    if (kept.rows.map((r) => r.n).join() !== '1') {
      throw new Error(`expected only the committed row, found ${JSON.stringify(kept.rows)}`);
    }
    await client.query('drop table slimstad_check');
    step = 'advisory lock';
    await client.query("select pg_advisory_lock(hashtext('slimstad.local.check'))");
    const unlocked = await client.query(
      "select pg_advisory_unlock(hashtext('slimstad.local.check')) as released",
    );
    if (unlocked.rows[0]?.released !== true) throw new Error('pg_advisory_unlock returned false');
  } catch (error) {
    throw new Error(`PostgreSQL check failed at "${step}" on ${redactUrl(url)}: ${error.message}`, {
      cause: error,
    });
  } finally {
    await client.end().catch(() => {});
  }
}

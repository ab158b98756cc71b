// Embedded PostgreSQL for a machine without one: PGlite served over the wire protocol by
// PGLiteSocketServer (@electric-sql/pglite-socket), one server process per service.
//
// Why one per service: PGlite is a single PostgreSQL session. The socket server multiplexes
// many client connections onto it and keeps each transaction whole, but session state is
// shared by every connection: the kit's `SET search_path TO <service schema>` from one service
// would redirect another service's unqualified table names, and session advisory locks never
// block (all callers are the same session). Within one service those are harmless.
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSession } from './postgres.mjs';
import { startChild } from './processes.mjs';

const SERVER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'pglite-server.mjs');

export const DEFAULT_PGLITE_PORT = 54329;

/** Rejects when something already listens on 127.0.0.1:`port`. */
export function assertPortFree(port) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port 127.0.0.1:${port} is already in use (set SLIMSTAD_PGLITE_PORT to another first port)`
            : `cannot use port 127.0.0.1:${port}: ${error.message}`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

const isDataDir = (dir) => existsSync(join(dir, 'PG_VERSION'));

/**
 * Creates a cleanly closed, empty PGlite data directory at `templateDir` once (initdb takes
 * ~5 s and ~1 GB); each service's directory starts as a copy of it (opening one takes < 1 s).
 */
export async function ensureTemplate(templateDir, { timeoutMs = 180_000 } = {}) {
  if (isDataDir(templateDir)) return false;
  const parent = dirname(templateDir);
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  // Left by a city stopped while it built the template (one city per state dir: see the lock).
  const prefix = `${basename(templateDir)}.building-`;
  for (const stale of readdirSync(parent).filter((name) => name.startsWith(prefix))) {
    rmSync(join(parent, stale), { recursive: true, force: true });
  }
  const building = `${templateDir}.building-${process.pid}`;
  const child = startChild({
    name: 'pglite-init',
    command: process.execPath,
    args: [SERVER_SCRIPT, 'init', building],
  });
  const timer = setTimeout(() => child.signal('SIGKILL'), timeoutMs);
  const { code } = await child.exit;
  clearTimeout(timer);
  if (code !== 0 || !isDataDir(building)) {
    rmSync(building, { recursive: true, force: true });
    throw new Error(`PGlite initdb failed (${child.exitDescription}):\n${child.tail()}`);
  }
  renameSync(building, templateDir);
  return true;
}

/**
 * Starts a PGlite wire server on 127.0.0.1:`port` with its data in `dataDir`, waits until it
 * listens, and checks that pg can query, run a transaction and take an advisory lock on it.
 *
 * @param {{
 *   dataDir: string,
 *   port: number,
 *   templateDir?: string,
 *   maxConnections?: number,
 *   readyTimeoutMs?: number,
 *   log?: (line: string) => void,
 *   label?: string,
 * }} options
 */
export async function startPglite({
  dataDir,
  port,
  templateDir,
  maxConnections = 64,
  readyTimeoutMs = 180_000,
  log = () => {},
  label = 'pglite',
}) {
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o700 });
  let created = false;
  if (!isDataDir(dataDir) && templateDir) {
    await ensureTemplate(templateDir);
    // Copied aside and renamed, so an interrupted copy never looks like a data directory.
    const copying = `${dataDir}.copying`;
    rmSync(copying, { recursive: true, force: true });
    cpSync(templateDir, copying, { recursive: true });
    rmSync(dataDir, { recursive: true, force: true });
    renameSync(copying, dataDir);
    created = true;
  }
  await assertPortFree(port);

  let ready;
  const readyLine = new Promise((resolve) => {
    ready = resolve;
  });
  const child = startChild({
    name: label,
    command: process.execPath,
    args: [SERVER_SCRIPT, 'serve', dataDir, String(port), String(maxConnections)],
    stdin: 'pipe',
    onLine: (line, stream) => {
      if (stream === 'stdout' && line.startsWith('{"ready":true')) ready(true);
      else log(`${label} | ${line}`);
    },
  });
  let timer;
  const outcome = await Promise.race([
    readyLine,
    child.exit.then(() => false),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(false), readyTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!outcome) {
    await child.stop(2_000);
    throw new Error(
      `PGlite on 127.0.0.1:${port} did not start (${child.exitDescription || `no answer within ${readyTimeoutMs} ms`}):\n${child.tail()}`,
    );
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await checkSession(url);
  } catch (error) {
    await child.stop(5_000);
    throw error;
  }
  return {
    url,
    port,
    pid: child.pid,
    created,
    /** Resolves when the server exits, with how it exited. */
    exit: child.exit.then(() => ({ description: child.exitDescription })),
    /** Closes PGlite cleanly (SIGTERM); SIGKILL after `timeoutMs`. */
    stop: (timeoutMs = 15_000) => child.stop(timeoutMs),
  };
}

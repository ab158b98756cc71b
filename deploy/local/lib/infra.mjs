// Which PostgreSQL and NATS the local city uses. Layers, the first that applies wins:
//   1. DATABASE_URL / NATS_URL from the environment: that server must answer, or start-up stops
//      (someone asked for it; silently using another would be a surprise);
//   2. the servers this machine runs: postgres://postgres@127.0.0.1:5432, nats://127.0.0.1:4222;
//   3. embedded fallbacks: PGlite (one wire server per service) and a nats-server binary.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NATS_URL, findNatsServer, probeNats, startNatsServer } from './nats.mjs';
import { DEFAULT_PGLITE_PORT, ensureTemplate, startPglite } from './pglite.mjs';
import {
  DEFAULT_DATABASE_URL,
  databaseName,
  ensureDatabase,
  probePostgres,
  redactUrl,
} from './postgres.mjs';

/**
 * NATS with JetStream for the city.
 *
 * @param {{
 *   env?: NodeJS.ProcessEnv,
 *   stateDir: string,
 *   log?: (line: string) => void,
 *   findBinary?: (env: NodeJS.ProcessEnv) => string | undefined,
 *   defaultUrl?: string,
 *   timeoutMs?: number,
 * }} options
 * @returns {Promise<{ source: 'environment' | 'detected' | 'started', url: string, version: string, describe: string, exit?: Promise<{ description: string }>, stop: () => Promise<unknown> }>}
 */
export async function resolveNats({
  env = process.env,
  stateDir,
  log = () => {},
  findBinary = findNatsServer,
  defaultUrl = DEFAULT_NATS_URL,
  timeoutMs = 2_000,
}) {
  const explicit = env.NATS_URL?.trim();
  const url = explicit || defaultUrl;
  const probe = await probeNats(url, { timeoutMs });
  if (probe.ok) {
    return {
      source: explicit ? 'environment' : 'detected',
      url,
      version: probe.version,
      describe: `NATS ${probe.version} with JetStream at ${redactUrl(probe.url)} (${explicit ? 'NATS_URL' : 'running on this machine'})`,
      stop: async () => {},
    };
  }
  if (explicit) {
    throw new Error(
      `NATS_URL=${redactUrl(url)} does not answer as NATS with JetStream: ${probe.reason}. ` +
        'Start that server (with JetStream), or unset NATS_URL to use or start a local one.',
    );
  }
  const binary = findBinary(env);
  if (!binary) {
    throw new Error(
      `no NATS with JetStream at ${url} (${probe.reason}) and no nats-server binary on PATH. ` +
        'Install it (Debian/Ubuntu: sudo apt-get install nats-server; others: ' +
        'https://github.com/nats-io/nats-server/releases) or set NATS_URL to a NATS server with JetStream.',
    );
  }
  const port = Number(env.SLIMSTAD_NATS_PORT || 4222);
  const storeDir = join(stateDir, 'nats');
  const server = await startNatsServer({ binary, port, storeDir, log });
  return {
    source: 'started',
    url: server.url,
    version: server.version,
    describe: `NATS ${server.version} with JetStream at ${server.url}: started ${binary} (pid ${server.pid}, data in ${storeDir}) because ${url} did not answer (${probe.reason})`,
    exit: server.exit,
    stop: () => server.stop(),
  };
}

/**
 * PostgreSQL for the city's services.
 *
 * @param {{
 *   env?: NodeJS.ProcessEnv,
 *   stateDir: string,
 *   services: readonly { name: string }[],
 *   log?: (line: string) => void,
 *   defaultUrl?: string,
 *   timeoutMs?: number,
 * }} options
 * @returns {Promise<{
 *   source: 'environment' | 'detected' | 'pglite',
 *   describe: string,
 *   urlFor: (service: string) => string,
 *   instances: Map<string, { url: string, port: number, pid: number | undefined, exit: Promise<{ description: string }> }>,
 *   stop: () => Promise<unknown>,
 * }>}
 */
export async function resolvePostgres({
  env = process.env,
  stateDir,
  services,
  log = () => {},
  defaultUrl = DEFAULT_DATABASE_URL,
  timeoutMs = 2_000,
}) {
  const explicit = env.DATABASE_URL?.trim();
  const url = explicit || defaultUrl;
  const probe = await probePostgres(url, { timeoutMs });
  if (probe.ok) {
    const created = await ensureDatabase(url);
    const where = new URL(url).host;
    return {
      source: explicit ? 'environment' : 'detected',
      describe:
        `${probe.version} at ${where}, database ${databaseName(url)}` +
        `${created ? ' (created now)' : ''} (${explicit ? 'DATABASE_URL' : 'running on this machine'})`,
      urlFor: () => url,
      instances: new Map(),
      stop: async () => {},
    };
  }
  if (explicit) {
    throw new Error(
      `DATABASE_URL=${redactUrl(url)} does not answer: ${probe.reason}. ` +
        'Start that server, or unset DATABASE_URL to use or embed a local one.',
    );
  }
  const basePort = Number(env.SLIMSTAD_PGLITE_PORT || DEFAULT_PGLITE_PORT);
  const pgliteDir = join(stateDir, 'pglite');
  const templateDir = join(pgliteDir, '.template');
  // Build the empty data directory once, then start the instances (copies of it) in parallel.
  if (services.length > 0) await ensureTemplate(templateDir);
  const started = await Promise.allSettled(
    services.map((service, i) =>
      startPglite({
        dataDir: join(pgliteDir, service.name),
        templateDir,
        port: basePort + i,
        log,
        label: `pglite:${service.name}`,
      }),
    ),
  );
  const instances = new Map();
  started.forEach((result, i) => {
    if (result.status === 'fulfilled') instances.set(services[i].name, result.value);
  });
  const stop = () =>
    Promise.all(
      [...instances].map(async ([name, instance]) => ({
        name: `PGlite for ${name}`,
        ...(await instance.stop()),
      })),
    );
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const why = `no PostgreSQL at ${new URL(url).host} (${probe.reason})`;
  return {
    source: 'pglite',
    describe:
      services.length === 0
        ? `${why}: each service will get an embedded PGlite server from port ${basePort} (none defined yet)`
        : `${why}: embedded PGlite, one wire server per service on 127.0.0.1:${basePort}-${basePort + services.length - 1}, data in ${pgliteDir}`,
    urlFor: (name) => {
      const instance = instances.get(name);
      if (!instance) throw new Error(`no PGlite instance for ${name}`);
      return instance.url;
    },
    instances,
    stop,
  };
}

/**
 * Makes sure only one city runs on a state directory (two PGlite processes on one data
 * directory would corrupt it). Returns a function that releases the lock.
 */
export function acquireStateLock(stateDir) {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, 'city.pid');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(
          `another local city (pid ${pid}) is running with state in ${stateDir}; stop it first (Ctrl-C in its terminal, or kill ${pid})`,
        );
      }
      rmSync(file, { force: true }); // left by a city that died; take over
    }
  }
  throw new Error(`cannot take the lock ${file}`);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

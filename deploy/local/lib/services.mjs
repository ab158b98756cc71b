// The city's service list (deploy/local/services.json): validation, each service's
// environment, and the table of what runs where.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const isPort = (value) => Number.isInteger(value) && value > 0 && value < 65536;

/**
 * @typedef {{ name: string, dir: string, grpcPort: number, opsPort: number, env: Record<string, string>, pgliteEnv: Record<string, string> }} Service
 */

/**
 * Reads and validates the service list; `dir` comes back absolute (relative to `repo`).
 * Throws one error listing every problem.
 *
 * @param {string} file
 * @param {string} repo
 * @returns {Service[]}
 */
export function loadServices(file, repo) {
  let list;
  try {
    list = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the service list ${file}: ${error.message}`);
  }
  if (!Array.isArray(list)) throw new Error(`${file} must hold a JSON array of services`);
  const problems = [];
  const names = new Set();
  const ports = new Map();
  const services = list.map((entry, i) => {
    const where = `${file}[${i}]${typeof entry?.name === 'string' ? ` (${entry.name})` : ''}`;
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`${where}: must be an object`);
      return undefined;
    }
    const { name, dir, grpcPort, opsPort, env = {}, pgliteEnv = {} } = entry;
    if (typeof name !== 'string' || !NAME.test(name)) {
      problems.push(`${where}: "name" must be lower-case letters, digits and '-'`);
    } else if (names.has(name)) problems.push(`${where}: "name" ${name} appears twice`);
    else names.add(name);
    if (typeof dir !== 'string' || dir === '') problems.push(`${where}: "dir" is required`);
    for (const [key, value] of [
      ['grpcPort', grpcPort],
      ['opsPort', opsPort],
    ]) {
      if (!isPort(value)) problems.push(`${where}: "${key}" must be a port number`);
      else if (ports.has(value)) {
        problems.push(`${where}: "${key}" ${value} is already used by ${ports.get(value)}`);
      } else ports.set(value, `${name}.${key}`);
    }
    for (const [key, value] of [
      ['env', env],
      ['pgliteEnv', pgliteEnv],
    ]) {
      if (
        typeof value !== 'object' ||
        value === null ||
        Array.isArray(value) ||
        Object.values(value).some((v) => typeof v !== 'string')
      ) {
        problems.push(`${where}: "${key}" must be an object of string values`);
      }
    }
    return {
      name,
      dir: resolve(repo, String(dir)),
      grpcPort,
      opsPort,
      env: { ...env },
      pgliteEnv: { ...pgliteEnv },
    };
  });
  if (problems.length > 0) {
    throw new Error(`invalid service list:\n  - ${problems.join('\n  - ')}`);
  }
  return /** @type {Service[]} */ (services);
}

/** Services whose `dist/main.js` is missing (not built yet). */
export function unbuilt(services) {
  return services.filter((s) => !existsSync(join(s.dir, 'dist', 'main.js')));
}

/**
 * The environment one service starts with (added to the launcher's own). Its `env` from the
 * service list comes last, so it can override anything; on the embedded PGlite fallback its
 * `pgliteEnv` is added on top (e.g. ingest writing without COPY, which PGlite's wire server
 * cannot take).
 *
 * @param {Service} service
 * @param {{ databaseUrl: string, natsUrl: string, authKey: string, logLevel: string, embedded?: boolean }} shared
 */
export function serviceEnv(service, { databaseUrl, natsUrl, authKey, logLevel, embedded = false }) {
  return {
    SERVICE_NAME: service.name,
    DATABASE_URL: databaseUrl,
    NATS_URL: natsUrl,
    GRPC_PORT: String(service.grpcPort),
    OPS_PORT: String(service.opsPort),
    // On a workstation nothing listens beyond loopback (the kit's default is 0.0.0.0, for pods).
    LISTEN_HOST: '127.0.0.1',
    AUTH_JWT_KEY: authKey,
    LOG_LEVEL: logLevel,
    ...service.env,
    ...(embedded ? service.pgliteEnv : {}),
  };
}

/**
 * Aligned table rows: header first.
 * @param {readonly (readonly string[])[]} rows
 */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd(),
  );
}

// `pnpm start`: the whole city on this machine. Finds or starts PostgreSQL and NATS (see
// lib/infra.mjs for the layers), mints a development operator token, then runs every service in
// services.json until Ctrl-C or SIGTERM, which stops the services first and the
// infrastructure it started last.
//
// Plain JavaScript so it runs before (and without) a build. Importing this file starts nothing;
// the functions below are re-exported for tests and tools.
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateDevKey, signDevToken } from './lib/auth.mjs';
import { acquireStateLock, resolveNats, resolvePostgres } from './lib/infra.mjs';
import { Supervisor } from './lib/processes.mjs';
import { loadServices, serviceEnv, table, unbuilt } from './lib/services.mjs';

export { loadOrCreateDevKey, signDevToken } from './lib/auth.mjs';
export { acquireStateLock, resolveNats, resolvePostgres } from './lib/infra.mjs';
export { findNatsServer, probeNats, startNatsServer } from './lib/nats.mjs';
export { startPglite } from './lib/pglite.mjs';
export { checkSession, ensureDatabase, probePostgres } from './lib/postgres.mjs';
export { Supervisor } from './lib/processes.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STOP_SERVICES_MS = 20_000;

const say = (line) => void process.stdout.write(`[city] ${line}\n`);
const shown = (path) => (path.startsWith(REPO) ? relative(REPO, path) || '.' : path);

/** What has been started, stopped in reverse order. */
const cleanup = [];
let supervisor;
let stopping = false;
let releaseLock = () => {};

async function main(env = process.env) {
  const stateDir = resolve(env.SLIMSTAD_STATE_DIR || join(REPO, '.slimstad'));
  const servicesFile = resolve(
    env.SLIMSTAD_SERVICES_FILE || join(REPO, 'deploy/local/services.json'),
  );
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  releaseLock = acquireStateLock(stateDir);

  const services = loadServices(servicesFile, REPO);
  const missing = unbuilt(services);
  if (missing.length > 0) {
    throw new Error(
      `not built: ${missing.map((s) => `${shown(s.dir)}/dist/main.js`).join(', ')}. Run \`pnpm run build\` (or \`pnpm start\`, which builds first).`,
    );
  }

  const nats = await resolveNats({ env, stateDir, log: say });
  cleanup.push(['nats-server', () => nats.stop()]);
  say(`NATS: ${nats.describe}`);
  nats.exit?.then(({ description }) => {
    if (!stopping)
      say(
        `nats-server exited unexpectedly (${description}); services lose the bus until the city restarts`,
      );
  });
  if (stopping) return;

  if (services.length > 0)
    say(`PostgreSQL: looking for a server (PGlite may take ~10 s on first use)…`);
  const postgres = await resolvePostgres({ env, stateDir, services, log: say });
  cleanup.push(['PGlite', () => postgres.stop()]);
  say(`PostgreSQL: ${postgres.describe}`);
  for (const [name, instance] of postgres.instances) {
    say(
      `  PGlite for ${name}: ${instance.url} (pid ${instance.pid}) — query, transaction, advisory lock checked`,
    );
    instance.exit.then(({ description }) => {
      if (!stopping)
        say(
          `PGlite for ${name} exited unexpectedly (${description}); ${name} loses its database until the city restarts`,
        );
    });
  }
  if (stopping) return;

  let authKey = env.AUTH_JWT_KEY;
  if (authKey) say('auth: AUTH_JWT_KEY from the environment');
  else {
    const keyFile = join(stateDir, 'dev-jwt-key');
    const loaded = loadOrCreateDevKey(keyFile);
    authKey = loaded.key;
    say(`auth: development HS256 key ${loaded.created ? 'created in' : 'from'} ${shown(keyFile)}`);
  }

  const labelWidth = Math.max(10, ...services.map((s) => s.name.length));
  supervisor = new Supervisor({
    log: (line) => void process.stdout.write(`${line}\n`),
    labelWidth,
  });
  cleanup.push(['services', () => supervisor.stop(STOP_SERVICES_MS)]);
  const logLevel = env.LOG_LEVEL || 'info';
  for (const service of services) {
    supervisor.start({
      name: service.name,
      command: process.execPath,
      args: ['--import', '@slimstad/kit/register', 'dist/main.js'],
      cwd: service.dir,
      env: serviceEnv(service, {
        databaseUrl: postgres.urlFor(service.name),
        natsUrl: nats.url,
        authKey,
        logLevel,
        embedded: postgres.source === 'pglite',
      }),
    });
  }

  if (services.length === 0) {
    say(
      `no services are defined yet (${shown(servicesFile)} is empty); the infrastructure stays up.`,
    );
  } else {
    const rows = table([
      ['service', 'gRPC', 'metrics', 'database'],
      ...services.map((s) => [
        s.name,
        `127.0.0.1:${s.grpcPort}`,
        `http://127.0.0.1:${s.opsPort}/metrics`,
        new URL(postgres.urlFor(s.name)).host,
      ]),
    ]);
    say(`running ${services.length} service(s):`);
    for (const row of rows) say(`  ${row}`);
  }

  if (authKey.includes('-----BEGIN')) {
    say('AUTH_JWT_KEY is a public key: get operator tokens from your identity provider.');
  } else {
    const token = signDevToken({ key: authKey, subject: 'dev-operator', roles: ['admin'] });
    // Also in a file, for scripts and other terminals: `export SLIMSTAD_TOKEN=$(cat …)`.
    const tokenFile = join(stateDir, 'dev-token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    say(
      `development operator token (sub dev-operator, role admin, valid 12 h; also in ${shown(tokenFile)}), for the slimstad CLI:`,
    );
    say(`  export SLIMSTAD_TOKEN=${token}`);
    if (services[0])
      say(
        `  export SLIMSTAD_API=127.0.0.1:${services[0].grpcPort}   # or another service's gRPC port`,
      );
    const lighting = services.find((s) => s.name === 'lighting');
    if (lighting) say(`  export SLIMSTAD_LIGHTING_API=127.0.0.1:${lighting.grpcPort}`);
    const bollards = services.find((s) => s.name === 'bollards');
    if (bollards) say(`  export SLIMSTAD_BOLLARDS_API=127.0.0.1:${bollards.grpcPort}`);
    for (const [name, variable] of [
      ['waste', 'SLIMSTAD_WASTE_API'],
      ['federation', 'SLIMSTAD_FEDERATION_API'],
    ]) {
      const service = services.find((s) => s.name === name);
      if (service) say(`  export ${variable}=127.0.0.1:${service.grpcPort}`);
    }
    const alerting = services.find((s) => s.name === 'alerting');
    if (alerting) {
      say(`  export SLIMSTAD_ALERTING_API=127.0.0.1:${alerting.grpcPort}`);
      say(
        `  public warnings (CAP 1.2 Atom feed): http://127.0.0.1:${alerting.env.HTTP_PORT}/cap/feed.atom`,
      );
    }
  }
  if (services.some((s) => s.name === 'simulator')) {
    say(
      'the demo city (Brussels): try `slimstad devices list`, `slimstad readings latest --zone grote-markt`,',
    );
    say(
      '  `slimstad lighting state --zone warandepark`, `slimstad bollards status`, `slimstad bollards audit`',
    );
  }
  say('Ctrl-C (or SIGTERM) stops the city.');
}

async function stop(signal) {
  if (stopping) {
    say(`${signal} again: killing everything now`);
    process.exit(1); // the exit hook in lib/processes.mjs sends SIGTERM to what still runs
  }
  stopping = true;
  say(
    `${signal}: stopping${supervisor ? ` services (up to ${STOP_SERVICES_MS / 1000} s), then` : ''} the infrastructure started here`,
  );
  await runCleanup();
  say('stopped');
  process.exit(0);
}

async function runCleanup() {
  while (cleanup.length > 0) {
    const [name, run] = cleanup.pop();
    try {
      const result = await run();
      const forced = [result]
        .flat()
        .filter((r) => r?.forced)
        .map((r) => r.name ?? name);
      if (forced.length > 0) say(`${name}: killed after the grace period: ${forced.join(', ')}`);
    } catch (error) {
      say(`stopping ${name} failed: ${error.message}`);
    }
  }
  releaseLock();
}

const invokedDirectly = (() => {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Keeps the launcher alive while the infrastructure runs, even with no services.
  const keepAlive = setInterval(() => {}, 1 << 30);
  main().catch(async (error) => {
    process.stderr.write(`[city] cannot start: ${error.message}\n`);
    await runCleanup();
    clearInterval(keepAlive);
    process.exit(1);
  });
}

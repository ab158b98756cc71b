// city.mjs end to end, against the real servers: a fake service (a script in a temporary
// directory, with a stand-in for @slimstad/kit/register) is started with its environment,
// supervised and drained on Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTokenVerifier } from '@slimstad/kit/grpc/auth';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { freePort, tempDir } from './test-support.js';

const CITY = fileURLToPath(new URL('../city.mjs', import.meta.url));
const tmp = tempDir('city');
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  tmp.remove();
});

// A stand-in for the kit's preload, found from the services' directories.
const kit = join(tmp.dir, 'node_modules', '@slimstad', 'kit');
mkdirSync(kit, { recursive: true });
writeFileSync(
  join(kit, 'package.json'),
  JSON.stringify({
    name: '@slimstad/kit',
    type: 'module',
    exports: { './register': './register.mjs' },
  }),
);
writeFileSync(join(kit, 'register.mjs'), "console.log('register preloaded');\n");

function service(name: string, main: string): string {
  const dir = join(tmp.dir, 'services', name);
  mkdirSync(join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'main.js'), main);
  return dir;
}

const KEYS = [
  'SERVICE_NAME',
  'DATABASE_URL',
  'NATS_URL',
  'GRPC_PORT',
  'OPS_PORT',
  'AUTH_JWT_KEY',
  'LOG_LEVEL',
  'LISTEN_HOST',
  'ZONE',
];
const steady = service(
  'steady',
  `process.on('SIGTERM', () => { console.log('drained'); process.exit(0); });
   console.log('env ' + JSON.stringify(Object.fromEntries(${JSON.stringify(KEYS)}.map((k) => [k, process.env[k]]))));
   setInterval(() => {}, 1000);`,
);
const crashy = service('crashy', "console.log('crashing'); process.exit(1);");

function startCity(env: Record<string, string | undefined>) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['AUTH_JWT_KEY', 'LOG_LEVEL', 'DATABASE_URL', 'NATS_URL']) delete childEnv[key];
  const child = spawn(process.execPath, [CITY], {
    env: { ...childEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const out: string[] = [];
  let err = '';
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    out.push(...lines);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, out, stderr: () => err, exited };
}

function servicesFile(name: string, value: unknown): string {
  const file = join(tmp.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('city.mjs', () => {
  it('starts the services with their environment, restarts a crashing one, prints a token, and drains on SIGINT', async () => {
    const [grpcPort, opsPort, crashyGrpc, crashyOps] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const state = join(tmp.dir, 'state-1');
    const city = startCity({
      DATABASE_URL: inject('databaseUrl'),
      NATS_URL: inject('natsUrl'),
      SLIMSTAD_STATE_DIR: state,
      SLIMSTAD_SERVICES_FILE: servicesFile('two', [
        { name: 'steady', dir: steady, grpcPort, opsPort, env: { ZONE: 'centrum' } },
        { name: 'crashy', dir: crashy, grpcPort: crashyGrpc, opsPort: crashyOps },
      ]),
    });
    await vi.waitFor(
      () => {
        expect(city.out.some((l) => l.startsWith('steady     | env '))).toBe(true);
        expect(city.out.some((l) => /crashy exited unexpectedly \(code 1\)/.test(l))).toBe(true);
        expect(city.out).toContain('[city] Ctrl-C (or SIGTERM) stops the city.');
      },
      { timeout: 15_000, interval: 50 },
    );
    const out = city.out.join('\n');
    expect(out).toContain('[city] NATS: NATS ');
    expect(out).toMatch(/\[city\] PostgreSQL: PostgreSQL \d+.* \(DATABASE_URL\)/);
    expect(out).toContain('steady     | register preloaded');
    expect(out).toMatch(
      /crashy exited unexpectedly \(code 1\) after \d+ ms; restarting in 500 ms \(restart #1\)/,
    );
    expect(out).toMatch(
      new RegExp(`steady +127\\.0\\.0\\.1:${grpcPort} +http://127\\.0\\.0\\.1:${opsPort}/metrics`),
    );

    // The development key was created in the state directory, mode 600, and handed over.
    const keyFile = join(state, 'dev-jwt-key');
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const envLine = city.out.find((l) => l.startsWith('steady     | env '))!;
    expect(JSON.parse(envLine.slice('steady     | env '.length))).toEqual({
      SERVICE_NAME: 'steady',
      DATABASE_URL: inject('databaseUrl'),
      NATS_URL: inject('natsUrl'),
      GRPC_PORT: String(grpcPort),
      OPS_PORT: String(opsPort),
      AUTH_JWT_KEY: key,
      LOG_LEVEL: 'info',
      LISTEN_HOST: '127.0.0.1',
      ZONE: 'centrum',
    });

    const token = /export SLIMSTAD_TOKEN=(\S+)/.exec(out)?.[1];
    const verify = createTokenVerifier({ key, issuer: 'slimstad', audience: 'slimstad' });
    expect(await verify(token ?? '')).toEqual({ subject: 'dev-operator', roles: ['admin'] });
    // The same token in a file only its owner reads, for scripts and other terminals.
    const tokenFile = join(state, 'dev-token');
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(existsSync(join(state, 'city.pid'))).toBe(true);

    city.child.kill('SIGINT');
    expect(await city.exited).toBe(0);
    expect(city.out).toContain('steady     | drained');
    expect(city.out).toContain('[city] stopped');
    expect(existsSync(join(state, 'city.pid'))).toBe(false);
  });

  it('with no services, says so and keeps running until SIGTERM', async () => {
    const city = startCity({
      DATABASE_URL: inject('databaseUrl'),
      NATS_URL: inject('natsUrl'),
      AUTH_JWT_KEY: 'a-key-from-the-environment-0123456789',
      SLIMSTAD_STATE_DIR: join(tmp.dir, 'state-2'),
      SLIMSTAD_SERVICES_FILE: servicesFile('empty', []),
    });
    await vi.waitFor(
      () => expect(city.out.some((l) => l.includes('no services are defined yet'))).toBe(true),
      { timeout: 10_000 },
    );
    expect(city.out).toContain('[city] auth: AUTH_JWT_KEY from the environment');
    await new Promise((r) => setTimeout(r, 500));
    expect(city.child.exitCode).toBeNull();
    city.child.kill('SIGTERM');
    expect(await city.exited).toBe(0);
    expect(city.out).toContain('[city] stopped');
  });

  it('stops with a clear message when NATS_URL does not answer', async () => {
    const city = startCity({
      DATABASE_URL: inject('databaseUrl'),
      NATS_URL: `nats://127.0.0.1:${await freePort()}`,
      SLIMSTAD_STATE_DIR: join(tmp.dir, 'state-3'),
      SLIMSTAD_SERVICES_FILE: servicesFile('empty', []),
    });
    expect(await city.exited).toBe(1);
    expect(city.stderr()).toMatch(
      /cannot start: NATS_URL=nats:\/\/127\.0\.0\.1:\d+ does not answer/,
    );
  });

  it('stops with a clear message when a service is not built', async () => {
    const city = startCity({
      DATABASE_URL: inject('databaseUrl'),
      NATS_URL: inject('natsUrl'),
      SLIMSTAD_STATE_DIR: join(tmp.dir, 'state-4'),
      SLIMSTAD_SERVICES_FILE: servicesFile('unbuilt', [
        { name: 'ghost', dir: join(tmp.dir, 'services', 'ghost'), grpcPort: 1, opsPort: 2 },
      ]),
    });
    expect(await city.exited).toBe(1);
    expect(city.stderr()).toMatch(/not built: .*ghost\/dist\/main\.js\. Run `pnpm run build`/);
  });
});

// The one Dockerfile for every service. No Docker engine runs here, so no image is built: the
// file's structure is checked (multi-stage, Node 24 LTS, SERVICE build argument, `pnpm deploy`
// of the one package, a numeric non-root user, exec-form entrypoint with the kit's telemetry
// preload), and what the build stage does is done for real — `pnpm deploy --prod` of a service
// into a directory — and the runtime stage's ENTRYPOINT started from it, which must come up.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTestDatabase,
  createTestNamespace,
  eventually,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const dockerfile = readFileSync(join(repo, 'deploy/Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stages = instructions.filter((l) => l.startsWith('FROM '));
const runtime = instructions.slice(instructions.lastIndexOf(stages.at(-1) as string));
const entrypoint = JSON.parse(
  (runtime.find((l) => l.startsWith('ENTRYPOINT ')) ?? 'ENTRYPOINT []').slice(11),
) as string[];

describe('deploy/Dockerfile', () => {
  it('builds any service in two stages on Node 24 LTS', () => {
    expect(instructions).toContain('ARG NODE_IMAGE=node:24-alpine');
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/);
    expect(stages[1]).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/);
    expect(instructions.filter((l) => l === 'ARG SERVICE')).toHaveLength(2);
    const build = instructions.find((l) => l.startsWith('RUN pnpm install')) ?? '';
    expect(build).toMatch(/--frozen-lockfile --filter "@slimstad\/\$\{SERVICE\}\.\.\."/);
    expect(build).toMatch(/pnpm --filter "@slimstad\/\$\{SERVICE\}" deploy --prod --legacy \/out/);
  });

  it('runs as a numeric non-root user, only the deployed package, drained by SIGTERM', () => {
    expect(runtime).toContain('COPY --from=build --chown=0:0 /out /app');
    expect(runtime.filter((l) => l.startsWith('COPY'))).toHaveLength(1);
    const user = runtime.find((l) => l.startsWith('USER '))?.slice(5) ?? '';
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(runtime.find((l) => l.startsWith('EXPOSE'))).toBe('EXPOSE 50051 9464');
    expect(entrypoint.slice(0, 1)).toEqual(['node']);
    expect(entrypoint).toContain('@slimstad/kit/register');
    expect(entrypoint.at(-1)).toBe('dist/main.js');
  });

  it('keeps build output and local state out of the build context', () => {
    const ignored = readFileSync(join(repo, '.dockerignore'), 'utf8');
    for (const entry of ['**/node_modules', '**/dist', '.git', '.env'])
      expect(ignored).toContain(entry);
  });
});

describe('the runtime stage on a deployed package (what the image runs)', () => {
  let db: TestDatabase;
  let ns: TestNamespace;
  let out: string;
  beforeAll(async () => {
    db = await createTestDatabase(inject('databaseUrl'), 'image');
    ns = createTestNamespace(inject('natsUrl'), 'image');
    out = join(mkdtempSync(join(tmpdir(), 'slimstad-image-')), 'app');
  });
  afterAll(async () => {
    await ns?.cleanup();
    await db?.drop();
    if (out) rmSync(join(out, '..'), { recursive: true, force: true });
  });

  it('pnpm deploy of bollards starts with the ENTRYPOINT and answers /healthz', async () => {
    execFileSync('pnpm', ['exec', 'tsc', '-b', 'services/bollards'], { cwd: repo, stdio: 'pipe' });
    execFileSync('pnpm', ['--filter', '@slimstad/bollards', 'deploy', '--prod', '--legacy', out], {
      cwd: repo,
      stdio: 'pipe',
    });
    expect(existsSync(join(out, 'dist/main.js'))).toBe(true);
    expect(existsSync(join(out, 'node_modules/vitest'))).toBe(false); // production dependencies only
    const [command, ...args] = entrypoint;
    const child = spawn(command === 'node' ? process.execPath : (command as string), args, {
      cwd: out,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        SERVICE_NAME: 'bollards',
        LISTEN_HOST: '127.0.0.1',
        GRPC_PORT: '0',
        OPS_PORT: '0',
        AUTH_JWT_KEY: 'image-test-key-0123456789abcdef',
        DATABASE_URL: db.url,
        NATS_URL: inject('natsUrl'),
        NATS_NAMESPACE: ns.namespace,
        BOLLARDS_IDENTITY_SECRET: 'image-test-identity-secret-0123456789abcdef',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    try {
      const opsPort = await eventually(() => {
        const m = output.match(/"opsPort":(\d+)[^\n]*"runtime started"/);
        if (!m)
          throw new Error(`not started yet (exit ${child.exitCode}):\n${output.slice(-2000)}`);
        return Number(m[1]);
      }, 60_000);
      const health = await fetch(`http://127.0.0.1:${opsPort}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 120_000);
});

// Service processes: restart with backoff, prefixed output, graceful and forced stop.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Supervisor, startChild } from './processes.mjs';
import { alive, tempDir } from './test-support.js';

const dir = tempDir('services');
const supervisors: Supervisor[] = [];
afterAll(async () => {
  for (const s of supervisors) await s.stop(1_000);
  dir.remove();
});

function script(name: string, source: string): string {
  writeFileSync(join(dir.dir, name), source);
  return name;
}

function supervised(options: ConstructorParameters<typeof Supervisor>[0] = {}) {
  const lines: string[] = [];
  const supervisor = new Supervisor({ log: (line: string) => void lines.push(line), ...options });
  supervisors.push(supervisor);
  return { supervisor, lines };
}

describe('Supervisor', () => {
  it('restarts a service that crashes, with exponential backoff up to the cap, and says so', async () => {
    const { supervisor, lines } = supervised({ minBackoffMs: 20, maxBackoffMs: 80 });
    supervisor.start({
      name: 'crashy',
      command: process.execPath,
      args: [script('crash.mjs', 'console.log("up"); setTimeout(() => process.exit(3), 20);')],
      cwd: dir.dir,
    });
    await vi.waitFor(() => expect(supervisor.restarts('crashy')).toBeGreaterThanOrEqual(4), {
      timeout: 15_000,
      interval: 20,
    });
    await supervisor.stop(1_000);
    const notices = lines.filter((l) => l.startsWith('[city] crashy exited unexpectedly'));
    expect(notices.slice(0, 4).map((l) => /restarting in (\d+ ms)/.exec(l)?.[1])).toEqual([
      '20 ms',
      '40 ms',
      '80 ms',
      '80 ms',
    ]);
    expect(notices[0]).toMatch(/\(code 3\) after \d+ ms; restarting in 20 ms \(restart #1\)$/);
    expect(lines.filter((l) => l === 'crashy     | up').length).toBeGreaterThanOrEqual(4);
  });

  it('prefixes stdout and stderr, passes env, and on stop sends SIGTERM and waits for the drain', async () => {
    const { supervisor, lines } = supervised();
    supervisor.start({
      name: 'steady',
      command: process.execPath,
      args: [
        script(
          'steady.mjs',
          `process.on('SIGTERM', () => setTimeout(() => { console.log('drained'); process.exit(0); }, 200));
           console.log('env ' + process.env.SLIMSTAD_TEST_VALUE);
           console.error('a warning');
           setInterval(() => {}, 1000);`,
        ),
      ],
      cwd: dir.dir,
      env: { SLIMSTAD_TEST_VALUE: 'from-spec' },
    });
    await vi.waitFor(() => expect(lines).toContain('steady     | a warning'));
    expect(lines).toContain('steady     | env from-spec');
    const pid = supervisor.pid('steady');
    expect(alive(pid)).toBe(true);
    expect(await supervisor.stop(5_000)).toEqual([{ name: 'steady', forced: false }]);
    expect(lines).toContain('steady     | drained');
    expect(alive(pid)).toBe(false);
    expect(lines.some((l) => l.includes('exited unexpectedly'))).toBe(false);
  });

  it('kills a service that ignores SIGTERM once the grace period is over', async () => {
    const { supervisor, lines } = supervised();
    supervisor.start({
      name: 'stubborn',
      command: process.execPath,
      args: [
        script(
          'stubborn.mjs',
          `process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
           console.log('ready'); setInterval(() => {}, 1000);`,
        ),
      ],
      cwd: dir.dir,
    });
    await vi.waitFor(() => expect(lines).toContain('stubborn   | ready'));
    const started = Date.now();
    expect(await supervisor.stop(300)).toEqual([{ name: 'stubborn', forced: true }]);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(lines).toContain('stubborn   | ignoring SIGTERM');
  });
});

describe('startChild', () => {
  it('runs the child in its own process group (a terminal Ctrl-C reaches only the launcher)', async () => {
    const child = startChild({ name: 'sleeper', command: 'sleep', args: ['30'] });
    try {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const processGroup = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      expect(processGroup).toBe(child.pid);
      expect(processGroup).not.toBe(process.pid);
    } finally {
      await child.stop(1_000);
    }
    expect(child.exitDescription).toBe('signal SIGTERM');
  });

  it('reports a command that cannot start', async () => {
    const child = startChild({ name: 'missing', command: join(dir.dir, 'no-such-binary') });
    await child.exit;
    expect(child.exitDescription).toBe('failed to start');
    expect(child.tail()).toMatch(/cannot start .*no-such-binary: .*ENOENT/);
  });
});

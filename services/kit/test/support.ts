// Shared set-up for the kit's integration tests: real NATS and Postgres, isolated per file.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createTestNamespace, type TestNamespace } from '@slimstad/test-harness';
import { pino } from 'pino';
import { inject } from 'vitest';
import { Bus } from '../src/bus/bus.js';

export const silentLog = pino({ level: 'silent' });

export interface BusFixture {
  nc: NatsConnection;
  bus: Bus;
  ns: TestNamespace;
  close(): Promise<void>;
}

export async function openBus(label: string): Promise<BusFixture> {
  const natsUrl = inject('natsUrl');
  const ns = createTestNamespace(natsUrl, label);
  const nc = await connect({ servers: natsUrl });
  const bus = await Bus.create(nc, { namespace: ns.namespace, log: silentLog });
  return {
    nc,
    bus,
    ns,
    close: async () => {
      await bus.drain();
      await ns.cleanup();
    },
  };
}

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs a TypeScript file in a child process, resolving workspace packages to their sources. */
export function spawnTs(file: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function collectOutput(child: ChildProcess): () => string {
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  return () => output;
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

export const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

// NATS for the local city: detect a server with JetStream by its greeting, or start a
// nats-server binary with JetStream for the city's lifetime.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { delimiter, join } from 'node:path';
import { startChild } from './processes.mjs';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** `nats://host:port` for a NATS URL, which may omit the scheme and port (`127.0.0.1`). */
function hostAndPort(url) {
  const parsed = new URL(url.includes('://') ? url : `nats://${url}`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 4222) };
}

/**
 * Whether a NATS server with JetStream answers at `url`: connects over TCP and reads the
 * server's first line, `INFO {json}`, which must arrive within `timeoutMs` and say
 * `"jetstream":true`. Never throws, never hangs. A comma-separated list is probed in turn.
 *
 * @param {string} url
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<{ ok: true, version: string, url: string } | { ok: false, reason: string }>}
 */
export async function probeNats(url, { timeoutMs = 2_000 } = {}) {
  const urls = url
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  let last = { ok: false, reason: 'no URL given' };
  for (const one of urls) {
    last = await probeOne(one, timeoutMs);
    if (last.ok) return last;
  }
  return last;
}

function probeOne(url, timeoutMs) {
  let target;
  try {
    target = hostAndPort(url);
  } catch (error) {
    return Promise.resolve({ ok: false, reason: `invalid URL: ${error.message}` });
  }
  return new Promise((resolve) => {
    let buffer = '';
    const socket = tcpConnect(target);
    const finish = (result) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, reason: `no INFO greeting within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.on('error', (error) => finish({ ok: false, reason: error.code ?? error.message }));
    socket.on('close', () => finish({ ok: false, reason: 'connection closed before INFO' }));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\r\n');
      if (end === -1) {
        // The greeting is one line of a few hundred bytes; anything longer is not NATS.
        if (buffer.length > 64 * 1024 || !'INFO '.startsWith(buffer.slice(0, 5))) {
          finish({ ok: false, reason: 'not a NATS server (no INFO greeting)' });
        }
        return;
      }
      const line = buffer.slice(0, end);
      if (!line.startsWith('INFO ')) {
        return finish({ ok: false, reason: 'not a NATS server (no INFO greeting)' });
      }
      let info;
      try {
        info = JSON.parse(line.slice(5));
      } catch {
        return finish({ ok: false, reason: 'not a NATS server (INFO is not JSON)' });
      }
      if (info?.jetstream !== true) {
        return finish({
          ok: false,
          reason: `NATS ${info?.version ?? '?'} without JetStream (start nats-server with -js)`,
        });
      }
      finish({ ok: true, version: String(info.version ?? 'unknown'), url });
    });
  });
}

/** Where Debian/Ubuntu (`/usr/sbin`) and manual installs put nats-server; /usr/sbin is not on every user's PATH. */
export const SYSTEM_DIRS = ['/usr/sbin', '/usr/local/bin'];

/**
 * The nats-server binary: the first executable `nats-server` on PATH, then in `extraDirs`.
 *
 * @param {NodeJS.ProcessEnv} [env]
 * @param {readonly string[]} [extraDirs]
 * @returns {string | undefined}
 */
export function findNatsServer(env = process.env, extraDirs = SYSTEM_DIRS) {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Starts `nats-server -a 127.0.0.1 -p <port> -js -sd <storeDir>` in its own process group (so
 * Ctrl-C reaches only the launcher, which stops it last) and resolves once it answers with
 * JetStream. Its warnings and errors go to `log`.
 *
 * @param {{ binary: string, port: number, storeDir: string, timeoutMs?: number, log?: (line: string) => void }} options
 */
export async function startNatsServer({
  binary,
  port,
  storeDir,
  timeoutMs = 15_000,
  log = () => {},
}) {
  mkdirSync(storeDir, { recursive: true, mode: 0o700 });
  const child = startChild({
    name: 'nats-server',
    command: binary,
    args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir],
    onLine: (line) => {
      if (/\[(ERR|WRN|FTL)\]/.test(line)) log(`nats-server | ${line}`);
    },
  });
  const url = `nats://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited) {
      throw new Error(
        `nats-server exited (${child.exitDescription}) before answering on ${url}:\n${child.tail()}`,
      );
    }
    const probe = await probeNats(url, { timeoutMs: 500 });
    if (probe.ok) {
      return {
        url,
        version: probe.version,
        pid: child.pid,
        /** Resolves when the server exits, with how it exited. */
        exit: child.exit.then(() => ({ description: child.exitDescription })),
        stop: (ms = 10_000) => child.stop(ms),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await child.stop(1_000);
  throw new Error(`nats-server did not answer on ${url} within ${timeoutMs} ms:\n${child.tail()}`);
}

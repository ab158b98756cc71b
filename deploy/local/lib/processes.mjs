// Child processes of the local city: the nats-server and PGlite servers it starts, and the
// services it supervises (prefixed output, restart with backoff, bounded graceful stop).
//
// Every child runs in its own process group (`detached`), so Ctrl-C in the terminal reaches
// only the launcher, which then stops things in order: services first (they drain through
// NATS and write to the database), the infrastructure last.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Children still running, so a launcher that exits abruptly still stops them. */
const live = new Set();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const handle of live) handle.signal('SIGTERM');
  });
}

const seconds = (ms) => (ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(1)} s`);

const describeExit = (code, signal) =>
  signal ? `signal ${signal}` : code === null ? 'failed to start' : `code ${code}`;

/**
 * Starts one child process in its own process group and reads its output line by line.
 *
 * @param {{
 *   name: string,
 *   command: string,
 *   args?: readonly string[],
 *   cwd?: string,
 *   env?: NodeJS.ProcessEnv,
 *   stdin?: 'ignore' | 'pipe',
 *   onLine?: (line: string, stream: 'stdout' | 'stderr') => void,
 *   onExit?: (description: string, code: number | null, signal: NodeJS.Signals | null) => void,
 * }} options
 */
export function startChild({
  name,
  command,
  args = [],
  cwd,
  env = process.env,
  stdin = 'ignore',
  onLine = () => {},
  onExit = () => {},
}) {
  installExitHook();
  const tailLines = [];
  const child = spawn(command, args, {
    cwd,
    env,
    detached: true,
    stdio: [stdin, 'pipe', 'pipe'],
  });
  const handle = {
    name,
    child,
    pid: child.pid,
    exited: false,
    exitDescription: '',
    /** Resolves once the process has exited. */
    exit: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        handle.exited = true;
        handle.exitDescription = describeExit(code, signal);
        live.delete(handle);
        resolve({ code, signal });
        onExit(handle.exitDescription, code, signal);
      });
    }),
    /** The last lines it printed, for error messages. */
    tail: () => tailLines.join('\n'),
    signal(signal) {
      if (handle.exited) return;
      try {
        process.kill(child.pid, signal);
      } catch {
        // already gone
      }
    },
    /**
     * SIGTERM, then SIGKILL when still running after `timeoutMs`.
     * @returns {Promise<{ forced: boolean }>}
     */
    async stop(timeoutMs = 10_000) {
      if (handle.exited) return { forced: false };
      handle.signal('SIGTERM');
      let forced = false;
      const timer = setTimeout(() => {
        forced = true;
        handle.signal('SIGKILL');
      }, timeoutMs);
      await handle.exit;
      clearTimeout(timer);
      return { forced };
    },
  };
  // spawn() reports a missing binary or cwd as an 'error' event, followed by no 'exit'.
  child.once('error', (error) => {
    tailLines.push(`cannot start ${command}: ${error.message}`);
    if (!handle.exited) child.emit('exit', null, null);
  });
  if (child.pid !== undefined) live.add(handle);
  for (const [stream, source] of [
    ['stdout', child.stdout],
    ['stderr', child.stderr],
  ]) {
    createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      tailLines.push(line);
      if (tailLines.length > 40) tailLines.shift();
      onLine(line, stream);
    });
  }
  return handle;
}

/**
 * Keeps a set of service processes running: prefixes each output line with the service's name,
 * restarts one that exits unexpectedly with exponential backoff, and stops them all gracefully.
 */
export class Supervisor {
  /** @type {Map<string, { spec: ServiceProcess, handle?: ReturnType<typeof startChild>, restarts: number, timer?: NodeJS.Timeout }>} */
  #entries = new Map();
  #stopping = false;

  /**
   * @param {{
   *   log?: (line: string) => void,
   *   labelWidth?: number,
   *   minBackoffMs?: number,
   *   maxBackoffMs?: number,
   *   stableAfterMs?: number,
   * }} [options]
   */
  constructor({
    log = (line) => void process.stdout.write(`${line}\n`),
    labelWidth = 10,
    minBackoffMs = 500,
    maxBackoffMs = 30_000,
    stableAfterMs = 60_000,
  } = {}) {
    this.log = log;
    this.labelWidth = labelWidth;
    this.minBackoffMs = minBackoffMs;
    this.maxBackoffMs = maxBackoffMs;
    this.stableAfterMs = stableAfterMs;
  }

  /**
   * Starts `command args` in `cwd` with `env` added to the launcher's environment.
   * @typedef {{ name: string, command: string, args: readonly string[], cwd: string, env?: Record<string, string> }} ServiceProcess
   * @param {ServiceProcess} spec
   */
  start(spec) {
    if (this.#entries.has(spec.name)) throw new Error(`service ${spec.name} is already supervised`);
    const entry = { spec, handle: undefined, restarts: 0, timer: undefined };
    this.#entries.set(spec.name, entry);
    this.#launch(entry);
  }

  #launch(entry) {
    const { name, command, args, cwd, env } = entry.spec;
    const label = name.padEnd(this.labelWidth);
    const startedAt = Date.now();
    entry.handle = startChild({
      name,
      command,
      args,
      cwd,
      env: { ...process.env, ...env },
      onLine: (line) => this.log(`${label} | ${line}`),
      onExit: (description) => {
        entry.handle = undefined;
        if (this.#stopping) return;
        const ranMs = Date.now() - startedAt;
        // A process that ran steadily for a while starts its backoff afresh.
        if (ranMs >= this.stableAfterMs) entry.restarts = 0;
        const delay = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** entry.restarts);
        entry.restarts += 1;
        this.log(
          `[city] ${name} exited unexpectedly (${description}) after ${seconds(ranMs)}; ` +
            `restarting in ${seconds(delay)} (restart #${entry.restarts})`,
        );
        entry.timer = setTimeout(() => {
          entry.timer = undefined;
          if (!this.#stopping) this.#launch(entry);
        }, delay);
      },
    });
  }

  /** How many times the service has been restarted since its last steady run. */
  restarts(name) {
    return this.#entries.get(name)?.restarts ?? 0;
  }

  /** The running process id of the service, if it runs. */
  pid(name) {
    const handle = this.#entries.get(name)?.handle;
    return handle && !handle.exited ? handle.pid : undefined;
  }

  /**
   * Sends SIGTERM to every service, waits for them all (SIGKILL after `timeoutMs`), and
   * cancels pending restarts.
   * @returns {Promise<{ name: string, forced: boolean }[]>}
   */
  async stop(timeoutMs = 20_000) {
    this.#stopping = true;
    return Promise.all(
      [...this.#entries.values()].map(async (entry) => {
        clearTimeout(entry.timer);
        if (!entry.handle) return { name: entry.spec.name, forced: false };
        const { forced } = await entry.handle.stop(timeoutMs);
        return { name: entry.spec.name, forced };
      }),
    );
  }
}

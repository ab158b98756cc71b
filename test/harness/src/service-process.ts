// A service as a real process, started from its TypeScript sources (tsx, `source` condition),
// for tests that need what only a process has: its own event loop, SIGTERM, SIGKILL, a restart.
// Start services on port 0 and read the bound ports from their log lines: a port probed free
// and bound later can be taken in between by a test file running in parallel.
import { type ChildProcess, spawn } from 'node:child_process';

/** A service process started from its TypeScript sources, its JSON log lines kept. */
export interface ServiceProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  output: string[];
  exited: Promise<number | null>;
  /** The first log line whose `msg` is `msg`, once it appears. */
  logLine(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

export function startService(
  repo: string,
  entry: string,
  env: Record<string, string>,
): ServiceProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', entry], {
    cwd: repo,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line (e.g. a start-up failure on stderr): kept in `output`
      }
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    logs,
    output,
    exited,
    async logLine(msg, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = logs.find((l) => l.msg === msg);
        if (line) return line;
        if (child.exitCode !== null) {
          throw new Error(`${entry} exited (${child.exitCode}):\n${output.slice(-20).join('\n')}`);
        }
        if (Date.now() > deadline)
          throw new Error(`no "${msg}" in the log of ${entry} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

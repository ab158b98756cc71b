// Graceful shutdown on SIGTERM/SIGINT within a bounded time. Hooks run in reverse order of
// registration — the last part started is the first stopped — so a service stops taking work
// (gRPC, consumers) before it drains NATS and closes the database pool.
import type { Logger } from './log.js';

type Hook = { name: string; run: () => Promise<void> | void };

export class Shutdown {
  private readonly hooks: Hook[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs: number,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  /** Registers a step; steps run last-registered-first. */
  add(name: string, run: Hook['run']): void {
    this.hooks.push({ name, run });
  }

  /** Runs the shutdown once on SIGTERM or SIGINT, then exits. */
  listen(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
    for (const signal of signals) {
      process.once(signal, () => {
        void this.run(signal).then(
          () => this.exit(0),
          () => this.exit(1),
        );
      });
    }
  }

  /** Whether shutdown has begun (hooks may close connections on purpose from then on). */
  get started(): boolean {
    return this.running !== undefined;
  }

  /** Runs every hook (once, however often called); rejects if the time bound is exceeded. */
  run(reason: string): Promise<void> {
    this.running ??= this.runHooks(reason);
    return this.running;
  }

  private async runHooks(reason: string): Promise<void> {
    this.log.info({ reason, timeoutMs: this.timeoutMs }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`shutdown exceeded ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    const steps = (async () => {
      for (const hook of [...this.hooks].reverse()) {
        try {
          await hook.run();
          this.log.info({ step: hook.name }, 'shutdown step done');
        } catch (error) {
          this.log.error({ err: error, step: hook.name }, 'shutdown step failed');
        }
      }
    })();
    try {
      await Promise.race([steps, deadline]);
      this.log.info('shutdown complete');
    } catch (error) {
      this.log.error({ err: error }, 'shutdown did not finish in time');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

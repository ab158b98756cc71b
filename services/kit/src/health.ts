// Readiness: a service is ready only when every dependency it registered answers
// (NATS connected, Postgres reachable, migrations applied). Liveness only says the process runs.

export type CheckResult = { ok: true } | { ok: false; reason: string };
export type Check = () => Promise<CheckResult> | CheckResult;

export class Readiness {
  private readonly checks = new Map<string, Check>();
  private draining = false;

  /** Registers a named check, e.g. `readiness.add('postgres', pingDatabase)`. */
  add(name: string, check: Check): void {
    this.checks.set(name, check);
  }

  /** Marks the service as shutting down: it reports not ready from now on. */
  markDraining(): void {
    this.draining = true;
  }

  async evaluate(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
    const checks: Record<string, CheckResult> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          checks[name] = await check();
        } catch (error) {
          checks[name] = { ok: false, reason: (error as Error).message };
        }
      }),
    );
    if (this.draining) checks.shutdown = { ok: false, reason: 'draining' };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }
}

// Puts the policy file in force: on ReloadPolicy (admin) and when the file changes on disk.
// Every attempt is audited; an invalid file is refused and the policy in force stays.
import { readFileSync, statSync } from 'node:fs';
import { activeTraceId, type Logger } from '@slimstad/kit';
import type { Kysely } from 'kysely';
import { parse } from 'yaml';
import { PolicyError, parsePolicy } from './domain/policy.js';
import { digestOf, type Federation, type PolicySource } from './federation-service.js';
import { appendPolicyAudit } from './store/audit.repository.js';
import type { FederationDatabase } from './store/db.js';

/** Reads and validates the policy file for `city`; throws PolicyError naming every problem. */
export function loadPolicy(
  file: string,
  city: string,
  neighbours?: readonly string[],
): PolicySource {
  let text: string;
  let document: unknown;
  try {
    text = readFileSync(file, 'utf8');
    document = parse(text);
  } catch (error) {
    throw new PolicyError(file, [(error as Error).message]);
  }
  const policy = parsePolicy(document, file, neighbours ? { neighbours } : {});
  if (policy.city !== city) {
    throw new PolicyError(file, [`city: is ${policy.city}, but this service runs ${city}`]);
  }
  return { policy, text, loadedAt: Date.now() };
}

export interface PolicyControl {
  reload(actor: string, reason: string): Promise<{ source: PolicySource; changed: boolean }>;
  stop(): void;
}

export function policyControl(deps: {
  federation: Federation;
  file: string;
  city: string;
  neighbours?: readonly string[];
  db: Kysely<FederationDatabase>;
  log: Logger;
  /** Real ms between looks at the file's modification time; 0: never. */
  watchMs: number;
}): PolicyControl {
  const { federation, file, city, neighbours, db, log } = deps;
  const audit = (row: {
    actor: string;
    reason: string;
    digest: string;
    changed: boolean;
    outcome: 'applied' | 'refused';
    detail: string;
  }) => appendPolicyAudit(db, { ...row, at: new Date(), trace_id: activeTraceId() ?? null });

  async function reload(actor: string, reason: string) {
    let source: PolicySource;
    try {
      source = loadPolicy(file, city, neighbours);
    } catch (error) {
      const problems = error instanceof PolicyError ? error.problems : [(error as Error).message];
      await audit({
        actor,
        reason,
        digest: '',
        changed: false,
        outcome: 'refused',
        detail: problems.join('; '),
      });
      log.error({ problems, actor }, 'sharing policy refused; the policy in force stays');
      throw error;
    }
    const changed = federation.setPolicy(source);
    await audit({
      actor,
      reason,
      digest: digestOf(source.text),
      changed,
      outcome: 'applied',
      detail: '',
    });
    return { source, changed };
  }

  let mtime = safeMtime(file);
  const timer =
    deps.watchMs > 0
      ? setInterval(() => {
          const now = safeMtime(file);
          if (now === mtime) return;
          mtime = now;
          reload('policy-file', `${file} changed`).catch(() => undefined);
        }, deps.watchMs)
      : undefined;
  return { reload, stop: () => clearInterval(timer) };
}

function safeMtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

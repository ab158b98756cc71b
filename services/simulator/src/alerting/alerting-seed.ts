// Seeds the demo alerting into the alerting service through AlertingService (admin role),
// idempotently: resource points first (the first flood warning names them), then rules. What
// is missing is created; what exists as in the file is left alone; what an operator changed
// since — a threshold tuned, a point's opening hours, a rule deleted — is kept as they left it
// (a deleted rule is not brought back: its first version still exists). Every refusal is an
// error naming the rule or point, the step and the service's reason.
import { AlertingServiceClient } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting_service';
import { createClient, type Logger, promisifyUnary, Status } from '@slimstad/kit';
import { codeOf, seedCaller } from '../seeding.js';
import {
  type AlertingFile,
  resourcePointMessage,
  ruleMessage,
  sameResourcePoint,
  sameRule,
} from './alerting-file.js';

export interface AlertingSeedCounts {
  created: number;
  unchanged: number;
  /** Changed or deleted by an operator since: left as they are. */
  kept: number;
}

export interface AlertingSeedSummary {
  rules: AlertingSeedCounts;
  resourcePoints: AlertingSeedCounts;
}

const counts = (): AlertingSeedCounts => ({ created: 0, unchanged: 0, kept: 0 });

/** Seeds `file` into the alerting service at `address` with an admin `token`. */
export async function seedAlerting(options: {
  address: string;
  file: AlertingFile;
  token: string;
  log?: Logger;
  attempts?: number;
  /** Aborts between calls (SIGTERM during start-up). */
  signal?: AbortSignal;
}): Promise<AlertingSeedSummary> {
  const client = createClient(AlertingServiceClient, options.address, {
    token: options.token,
    deadlineMs: 30_000,
  });
  const api = {
    getRule: promisifyUnary(client, client.getRule),
    createRule: promisifyUnary(client, client.createRule),
    listResourcePoints: promisifyUnary(client, client.listResourcePoints),
    putResourcePoint: promisifyUnary(client, client.putResourcePoint),
  };
  const call = seedCaller({
    what: 'the alert rules and resource points',
    roles: 'admin role',
    attempts: options.attempts,
    signal: options.signal,
  });
  /** The rule at `version` (0: the current one), or undefined when there is none. */
  const ruleAt = async (id: string, version: bigint) => {
    try {
      const { rule } = await call(`reading rule ${id}${version ? ` version ${version}` : ''}`, () =>
        api.getRule({ id, version }),
      );
      return rule;
    } catch (error) {
      if (codeOf(error) === Status.NOT_FOUND) return undefined;
      throw error;
    }
  };
  const summary: AlertingSeedSummary = { rules: counts(), resourcePoints: counts() };

  try {
    const { points } = await call('listing the resource points', () =>
      api.listResourcePoints({ kind: '' }),
    );
    const stored = new Map(points.map((p) => [p.id, p]));
    for (const point of options.file.resourcePoints) {
      const wanted = resourcePointMessage(point);
      const current = stored.get(point.id);
      if (current) {
        const same = sameResourcePoint(current, wanted);
        summary.resourcePoints[same ? 'unchanged' : 'kept'] += 1;
        if (!same)
          options.log?.info({ point: point.id }, 'resource point kept as an operator changed it');
        continue;
      }
      await call(`putting resource point ${point.id}`, () =>
        api.putResourcePoint({ point: wanted }),
      );
      summary.resourcePoints.created += 1;
    }

    for (const rule of options.file.rules) {
      const wanted = ruleMessage(rule);
      let current = await ruleAt(rule.id, 0n);
      if (!current) {
        if (await ruleAt(rule.id, 1n)) {
          summary.rules.kept += 1;
          options.log?.info(
            { rule: rule.id },
            'alert rule not created again: an operator deleted it',
          );
          continue;
        }
        try {
          await call(`creating rule ${rule.id}`, () => api.createRule({ rule: wanted }));
          summary.rules.created += 1;
          continue;
        } catch (error) {
          // Another seeder (a second simulator) created it between our read and our write.
          if (codeOf(error) !== Status.ALREADY_EXISTS) throw error;
          current = await ruleAt(rule.id, 0n);
        }
      }
      const same = current !== undefined && sameRule(current, wanted);
      summary.rules[same ? 'unchanged' : 'kept'] += 1;
      if (!same)
        options.log?.info(
          { rule: rule.id, version: current?.version, by: current?.updatedBy },
          'alert rule kept as an operator changed it',
        );
    }
    return summary;
  } finally {
    client.close();
  }
}

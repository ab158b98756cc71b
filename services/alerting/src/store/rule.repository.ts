// Rules, versioned: every save appends a row (the table is append-only); the latest version of
// each id is the rule in force. A deleted rule is a last version marked `deleted`.
import { sql } from 'kysely';
import type { Tx } from './db.js';

export interface RuleRow {
  id: string;
  version: bigint;
  /** The rule as protobuf JSON (`Rule.toJSON`). */
  spec: unknown;
  enabled: boolean;
  deleted: boolean;
  updated_by: string;
  updated_at: Date;
}

export async function latestRule(trx: Tx, id: string, lock = false): Promise<RuleRow | undefined> {
  if (lock)
    await sql`select pg_advisory_xact_lock(hashtext(${`alerting.rule.${id}`}))`.execute(trx);
  const { rows } =
    await sql<RuleRow>`select * from rule where id = ${id} order by version desc limit 1`.execute(
      trx,
    );
  return rows[0];
}

export async function ruleVersion(
  trx: Tx,
  id: string,
  version: number,
): Promise<RuleRow | undefined> {
  const { rows } =
    await sql<RuleRow>`select * from rule where id = ${id} and version = ${version}`.execute(trx);
  return rows[0];
}

export async function insertRuleVersion(
  trx: Tx,
  r: {
    id: string;
    version: number;
    spec: unknown;
    enabled: boolean;
    deleted: boolean;
    actor: string;
  },
): Promise<RuleRow> {
  const { rows } = await sql<RuleRow>`
    insert into rule (id, version, spec, enabled, deleted, updated_by)
    values (${r.id}, ${r.version}, ${JSON.stringify(r.spec)}, ${r.enabled}, ${r.deleted}, ${r.actor})
    returning *`.execute(trx);
  return rows[0] as RuleRow;
}

/** The latest version of every rule not deleted, ordered by id. */
export async function currentRules(
  trx: Tx,
  opts: { afterId?: string; limit?: number } = {},
): Promise<RuleRow[]> {
  const { rows } = await sql<RuleRow>`
    select * from (select distinct on (id) * from rule order by id, version desc) r
    where not deleted ${opts.afterId ? sql`and id > ${opts.afterId}` : sql``}
    order by id ${opts.limit ? sql`limit ${opts.limit}` : sql``}`.execute(trx);
  return rows;
}

/** A cheap fingerprint of the rule set, to notice other replicas' saves. */
export async function rulesStamp(trx: Tx): Promise<string> {
  const { rows } = await sql<{
    stamp: string;
  }>`select coalesce(max(updated_at)::text, '') || ':' || count(*) as stamp from rule`.execute(trx);
  return rows[0]?.stamp ?? '';
}

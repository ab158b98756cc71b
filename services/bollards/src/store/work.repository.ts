// Writes units of Work as ONE statement (data-modifying CTEs): the audit records, the outbox
// rows of the events paired with them, the changed bollards' snapshots, zones' emergency modes
// and used permits. A single statement is atomic on its own, so the engine's group commit
// costs one round trip instead of a transaction's five or more, and a command is published if
// and only if recorded. Inside a caller's transaction (the API's) it is simply part of it.

import type { Context } from '@opentelemetry/api';
import { type OutboxRecord, outboxInsert } from '@slimstad/kit';
import { type RawBuilder, sql } from 'kysely';
import { outboxItem } from '../control/wire.js';
import type { BollardControl, BollardSnapshot, Work } from '../domain/bollard-control.js';
import type { Db } from './topology.repository.js';

export const OUTBOX_PREFIX = 'bollards';

/** A unit of work with the trace it happened in. */
export interface TracedWork {
  work: Work;
  traceId?: string;
  context?: Context;
}

/** Writes the units; returns the outbox records written, for the relay to publish at once. */
export async function writeWork(
  db: Db,
  control: BollardControl,
  units: readonly TracedWork[],
): Promise<OutboxRecord[]> {
  const writes: RawBuilder<unknown>[] = [];
  const entries = units.flatMap((u) => u.work.entries.map((entry) => ({ ...entry, unit: u })));
  if (entries.length > 0) {
    writes.push(sql`
      insert into audit (at, kind, actor, zone_id, bollard_id, detail, outcome, sequence,
                         attempt, request_id, trace_id)
      values ${sql.join(
        entries.map(
          ({ audit, unit }) =>
            sql`(${new Date(audit.at)}::timestamptz, ${audit.kind}, ${audit.actor},
                 ${audit.zoneId}, ${audit.bollardId ?? null}, ${audit.detail}, ${audit.outcome},
                 ${audit.sequence ?? null}::bigint, ${audit.attempt ?? null}::int,
                 ${audit.requestId ?? null}, ${unit.traceId ?? null})`,
        ),
      )}`);
  }
  const events = entries.flatMap(({ audit, event, unit }) =>
    event ? [{ ...outboxItem(event, new Date(audit.at)), context: unit.context }] : [],
  );
  const outbox = events.length > 0 ? outboxInsert(events, OUTBOX_PREFIX) : undefined;
  const bollards = new Set(units.flatMap((u) => [...u.work.bollards]));
  if (bollards.size > 0) {
    const rows = [...bollards].map((id) => {
      const snapshot = control.snapshot(id);
      return sql`(${id}, ${JSON.stringify(snapshot)}::jsonb, ${snapshot.state}, ${snapshot.sequence}::bigint)`;
    });
    writes.push(sql`
      insert into bollard_state (bollard_id, snapshot, state, sequence)
      values ${sql.join(rows)}
      on conflict (bollard_id) do update set
        snapshot = excluded.snapshot, state = excluded.state,
        sequence = greatest(bollard_state.sequence, excluded.sequence), updated_at = now()`);
  }
  const zones = [...new Set(units.flatMap((u) => [...u.work.zones]))].flatMap((id) => {
    const zone = control.zone(id);
    return zone ? [sql`(${id}, ${zone.emergency}::boolean, ${zone.emergencyReason ?? null})`] : [];
  });
  if (zones.length > 0) {
    writes.push(sql`
      update zone set emergency = z.emergency, emergency_reason = z.reason, updated_at = now()
      from (values ${sql.join(zones)}) as z (id, emergency, reason) where zone.id = z.id`);
  }
  const permits = units.flatMap((u) =>
    [...u.work.permitsUsed].map(([id, at]) => sql`(${id}, ${new Date(at)}::timestamptz)`),
  );
  if (permits.length > 0) {
    writes.push(sql`
      update permit set used_at = p.at
      from (values ${sql.join(permits)}) as p (id, at)
      where permit.id = p.id and permit.used_at is null`);
  }
  if (writes.length === 0 && !outbox) return [];
  const ctes = writes.map((w, i) => sql`${sql.raw(`w${i}`)} as (${w})`);
  if (outbox) ctes.push(sql`outbox_rows as (${outbox.statement})`);
  const { rows } = await sql<{ id: string | null }>`
    with ${sql.join(ctes)}
    ${outbox ? sql`select id from outbox_rows` : sql`select null::text as id`}`.execute(db);
  return outbox ? outbox.withIds(rows.map((r) => r.id as string)) : [];
}

export async function loadSnapshots(db: Db): Promise<Map<string, BollardSnapshot>> {
  const rows = await db.selectFrom('bollard_state').select(['bollard_id', 'snapshot']).execute();
  return new Map(rows.map((r) => [r.bollard_id, r.snapshot as BollardSnapshot]));
}

// Writes a unit of Work in the caller's transaction: the audit records, the outbox rows of the
// events paired with them, the changed bollards' snapshots, zones' emergency modes and used
// permits. Either all of it commits or none: a command is published if and only if recorded.

import type { Context } from '@opentelemetry/api';
import { enqueueEvents } from '@slimstad/kit';
import { sql } from 'kysely';
import { outboxItem } from '../control/wire.js';
import type { BollardControl, BollardSnapshot, Work } from '../domain/bollard-control.js';
import { markPermitsUsed } from './permit.repository.js';
import { type Db, setZoneEmergency } from './topology.repository.js';

export const OUTBOX_PREFIX = 'bollards';

/** A unit of work with the trace it happened in. */
export interface TracedWork {
  work: Work;
  traceId?: string;
  context?: Context;
}

export async function writeWork(
  trx: Db,
  control: BollardControl,
  units: readonly TracedWork[],
): Promise<void> {
  const entries = units.flatMap((u) => u.work.entries.map((entry) => ({ ...entry, unit: u })));
  if (entries.length > 0) {
    await trx
      .insertInto('audit')
      .values(
        entries.map(({ audit, unit }) => ({
          at: new Date(audit.at),
          kind: audit.kind,
          actor: audit.actor,
          zone_id: audit.zoneId,
          bollard_id: audit.bollardId ?? null,
          detail: audit.detail,
          outcome: audit.outcome,
          sequence: audit.sequence ?? null,
          attempt: audit.attempt ?? null,
          request_id: audit.requestId ?? null,
          trace_id: unit.traceId ?? null,
        })),
      )
      .execute();
    const events = entries.flatMap(({ audit, event, unit }) =>
      event ? [{ ...outboxItem(event, new Date(audit.at)), context: unit.context }] : [],
    );
    await enqueueEvents(trx as never, events, OUTBOX_PREFIX);
  }
  const bollards = new Set(units.flatMap((u) => [...u.work.bollards]));
  if (bollards.size > 0) {
    const rows = [...bollards].map((id) => {
      const snapshot = control.snapshot(id);
      return sql`(${id}, ${JSON.stringify(snapshot)}::jsonb, ${snapshot.state}, ${snapshot.sequence})`;
    });
    await sql`
      insert into bollard_state (bollard_id, snapshot, state, sequence)
      values ${sql.join(rows)}
      on conflict (bollard_id) do update set
        snapshot = excluded.snapshot, state = excluded.state,
        sequence = greatest(bollard_state.sequence, excluded.sequence), updated_at = now()`.execute(
      trx,
    );
  }
  for (const id of new Set(units.flatMap((u) => [...u.work.zones]))) {
    const zone = control.zone(id);
    if (zone) {
      await setZoneEmergency(trx, id, zone.emergency, zone.emergencyReason, new Date());
    }
  }
  for (const u of units) await markPermitsUsed(trx, u.work.permitsUsed);
}

export async function loadSnapshots(db: Db): Promise<Map<string, BollardSnapshot>> {
  const rows = await db.selectFrom('bollard_state').select(['bollard_id', 'snapshot']).execute();
  return new Map(rows.map((r) => [r.bollard_id, r.snapshot as BollardSnapshot]));
}

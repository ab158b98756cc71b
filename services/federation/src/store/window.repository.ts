// The aggregated shares' windows in the federation schema (see the migration
// 20261210000000_share_windows): a reading is counted in the transaction that records its id,
// so a restart loses nothing acknowledged and a redelivery counts nothing twice; a window is
// published while its row is locked and marked emitted in the same transaction, so a reading
// for it either made it into the published value or is late — and a crash after the publish
// publishes the same value again under the same `Nats-Msg-Id`, which JetStream drops.
import { type Kysely, sql } from 'kysely';
import {
  type AddOutcome,
  aggregateValue,
  REMEMBER_EMITTED_MS,
  type WindowValue,
  windowStart,
} from '../domain/aggregate.js';
import type { AggregateFn } from '../domain/policy.js';
import type { WindowStore } from '../windows.js';
import type { FederationDatabase, ShareWindowRow } from './db.js';

/** Rolls the transaction back and says why. */
class Outcome extends Error {
  constructor(readonly outcome: AddOutcome) {
    super(outcome);
  }
}

const windowValue = (row: ShareWindowRow): WindowValue => ({
  stream: row.stream,
  key: row.key,
  metric: row.metric,
  unit: row.unit,
  fn: row.fn as AggregateFn,
  windowStart: row.window_start.getTime(),
  windowSeconds: row.window_seconds,
  count: row.count,
  min: row.min,
  max: row.max,
  value: aggregateValue(row.fn as AggregateFn, row),
});

export function pgWindowStore(db: Kysely<FederationDatabase>, graceMs: number): WindowStore {
  const closedAt = (start: number, windowSeconds: number) => start + windowSeconds * 1000 + graceMs;
  let prunedAt = Number.NEGATIVE_INFINITY;

  return {
    async add(spec, reading) {
      const start = new Date(windowStart(reading.observedAtMs, spec.windowSeconds));
      const pk = { stream: spec.stream, key: reading.key, metric: reading.metric };
      try {
        return await db.transaction().execute(async (trx) => {
          // Locked: an emission in progress finishes first, and then this reading is late.
          const row = await trx
            .selectFrom('share_window')
            .select('emitted_at')
            .where('stream', '=', pk.stream)
            .where('key', '=', pk.key)
            .where('metric', '=', pk.metric)
            .where('window_start', '=', start)
            .forUpdate()
            .executeTakeFirst();
          if (row?.emitted_at) return 'late';
          const counted = await trx
            .insertInto('share_window_reading')
            .values({ ...pk, reading: reading.id, window_start: start })
            .onConflict((oc) => oc.columns(['stream', 'reading']).doNothing())
            .executeTakeFirst();
          if (Number(counted.numInsertedOrUpdatedRows ?? 0) === 0) return 'duplicate';
          const v = reading.value;
          const updated = await trx
            .insertInto('share_window')
            .values({
              ...pk,
              window_start: start,
              window_seconds: spec.windowSeconds,
              fn: spec.fn,
              unit: reading.unit,
              count: 1,
              sum: v,
              min: v,
              max: v,
            })
            // Two consumers (single readings and batches) may open one window at once.
            .onConflict((oc) =>
              oc
                .columns(['stream', 'key', 'metric', 'window_start'])
                .doUpdateSet({
                  count: sql`share_window.count + 1`,
                  sum: sql`share_window.sum + ${v}`,
                  min: sql`least(share_window.min, ${v})`,
                  max: sql`greatest(share_window.max, ${v})`,
                })
                .where('share_window.emitted_at', 'is', null),
            )
            .executeTakeFirst();
          if (Number(updated.numInsertedOrUpdatedRows ?? 0) === 0) throw new Outcome('late');
          return 'added';
        });
      } catch (error) {
        if (error instanceof Outcome) return error.outcome;
        throw error;
      }
    },

    async emitClosed(nowMs, ready, publish) {
      const open = await db
        .selectFrom('share_window')
        .selectAll()
        .where('emitted_at', 'is', null)
        .orderBy('window_start')
        .execute();
      let n = 0;
      for (const w of open) {
        if (closedAt(w.window_start.getTime(), w.window_seconds) > nowMs) continue;
        if (!ready(windowValue(w))) continue;
        await db.transaction().execute(async (trx) => {
          const row = await trx
            .selectFrom('share_window')
            .selectAll()
            .where('stream', '=', w.stream)
            .where('key', '=', w.key)
            .where('metric', '=', w.metric)
            .where('window_start', '=', w.window_start)
            .where('emitted_at', 'is', null)
            .forUpdate()
            .executeTakeFirst();
          if (!row) return;
          await publish(windowValue(row));
          await trx
            .updateTable('share_window')
            .set({ emitted_at: new Date(nowMs) })
            .where('stream', '=', w.stream)
            .where('key', '=', w.key)
            .where('metric', '=', w.metric)
            .where('window_start', '=', w.window_start)
            .execute();
          await trx
            .deleteFrom('share_window_reading')
            .where('stream', '=', w.stream)
            .where('key', '=', w.key)
            .where('metric', '=', w.metric)
            .where('window_start', '=', w.window_start)
            .execute();
          n++;
        });
      }
      // Emitted windows are remembered long enough that no reading for them can still come.
      if (nowMs - prunedAt > 3_600_000) {
        prunedAt = nowMs;
        await db
          .deleteFrom('share_window')
          .where('emitted_at', 'is not', null)
          .where('window_start', '<', new Date(nowMs - REMEMBER_EMITTED_MS))
          .execute();
      }
      return n;
    },

    async retain(streams) {
      const keep = [...streams];
      await db.transaction().execute(async (trx) => {
        let windows = trx.deleteFrom('share_window').where('emitted_at', 'is', null);
        let readings = trx.deleteFrom('share_window_reading');
        if (keep.length > 0) {
          windows = windows.where('stream', 'not in', keep);
          readings = readings.where('stream', 'not in', keep);
        }
        await windows.execute();
        await readings.execute();
      });
    },
  };
}

// The transactional outbox: where a state change and its event must not part, the event is
// written to the service's `outbox` table in the same transaction as the change, and a relay
// publishes it afterwards (then deletes the row). A rolled-back change publishes nothing; a
// committed one is published at least once, and exactly once on the wire thanks to its
// `Nats-Msg-Id` (`<prefix>:<outbox id>`) within the stream's duplicate window.
import { type Context, context } from '@opentelemetry/api';
import type { EventContract } from '@slimstad/contracts';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Logger } from '../log.js';
import { contextFromRecord, traceContextRecord } from '../telemetry/propagation.js';
import type { Bus } from './bus.js';

/** Creates the `outbox` table in the service's schema; call it from one of its migrations. */
export async function createOutboxTable(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table outbox (
      id bigint generated always as identity primary key,
      pattern text not null,
      subject text not null,
      message_type text not null,
      payload bytea not null,
      msg_id_prefix text not null,
      trace jsonb not null default '{}',
      created_at timestamptz not null default now()
    )`.execute(db);
}

/** An outbox row: an event encoded and ready to publish. */
export interface OutboxRecord {
  id: string;
  pattern: string;
  subject: string;
  message_type: string;
  payload: Buffer;
  msg_id_prefix: string;
  trace: Record<string, string>;
}

/**
 * Writes an event to the outbox inside the caller's transaction, with the active trace
 * context, so the relay's publish continues the trace of the change.
 */
export async function enqueueEvent<T, P extends string>(
  trx: Transaction<unknown> | Kysely<unknown>,
  event: EventContract<T, P>,
  params: Record<P, string>,
  message: T,
  msgIdPrefix: string,
): Promise<void> {
  await enqueueEvents(
    trx,
    [{ event: event as EventContract<unknown, string>, params, message }],
    msgIdPrefix,
  );
}

/** One event for `enqueueEvents`. */
export interface OutboxItem {
  event: EventContract<unknown, string>;
  params: Record<string, string>;
  message: unknown;
  /** The trace the event continues; default the active one (items batched from many requests). */
  context?: Context;
}

/**
 * Writes several events to the outbox in one statement, inside the caller's transaction, in
 * order (a service that writes many changes at once keeps its commit short).
 */
export async function enqueueEvents(
  trx: Transaction<unknown> | Kysely<unknown>,
  items: readonly OutboxItem[],
  msgIdPrefix: string,
): Promise<void> {
  if (items.length === 0) return;
  await outboxInsert(items, msgIdPrefix).statement.execute(trx);
}

/**
 * The outbox insert as a statement of its own (`insert … returning id`), for a service that
 * writes its whole change as one statement, e.g. as a CTE beside its other writes: a single
 * statement is atomic without a transaction's extra round trips. `withIds` pairs the ids the
 * statement returned (in any order) with the records, for `OutboxRelay.publishCommitted`.
 */
export function outboxInsert(
  items: readonly OutboxItem[],
  msgIdPrefix: string,
): {
  statement: RawBuilder<{ id: string }>;
  withIds(ids: readonly string[]): OutboxRecord[];
} {
  const traceOf = (ctx: Context | undefined) => traceContextRecord(ctx);
  const active = traceOf(undefined);
  const records = items.map(({ event, params, message, context: ctx }) => ({
    pattern: event.pattern,
    subject: event.subject(params),
    message_type: event.messageType,
    payload: Buffer.from(event.codec.encode(message).finish()),
    msg_id_prefix: msgIdPrefix,
    trace: ctx ? traceOf(ctx) : active,
  }));
  const rows = records.map(
    (r) =>
      sql`(${r.pattern}, ${r.subject}, ${r.message_type}, ${r.payload}, ${r.msg_id_prefix},
           ${JSON.stringify(r.trace)})`,
  );
  return {
    statement: sql<{ id: string }>`
      insert into outbox (pattern, subject, message_type, payload, msg_id_prefix, trace)
      values ${sql.join(rows)} returning id::text as id`,
    withIds(ids) {
      if (ids.length !== records.length) {
        throw new Error(`outbox insert returned ${ids.length} ids for ${records.length} events`);
      }
      // Identities are drawn in VALUES order: ascending ids pair with the records in order.
      const sorted = [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      return records.map((r, i) => ({ ...r, id: sorted[i] as string }));
    },
  };
}

export interface OutboxRelayOptions {
  db: Kysely<unknown>;
  bus: Bus;
  log: Logger;
  /** How often to look for events another replica or an earlier run left. Default 1 s. */
  pollMs?: number;
  /** Events published per round. Default 100. */
  batchSize?: number;
}

/**
 * Publishes what the outbox holds, oldest first. `kick()` after a commit publishes at once;
 * a poll catches what a crash or another replica left. Replicas share the table safely
 * (`for update skip locked`).
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private again = false;
  private stopped = false;
  private failures = 0;

  constructor(private readonly options: OutboxRelayOptions) {}

  start(): void {
    const poll = () => {
      if (this.stopped) return;
      this.kick();
      // Back off while the bus is failing, up to 30 s.
      const delay = Math.min((this.options.pollMs ?? 1_000) * 2 ** this.failures, 30_000);
      this.timer = setTimeout(poll, delay);
      this.timer.unref();
    };
    poll();
  }

  /** Publishes pending events now (coalesced with a round already running). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then((published) => {
        this.failures = 0;
        return published;
      })
      .catch((error: unknown) => {
        this.failures = Math.min(this.failures + 1, 5);
        this.options.log.warn({ err: error }, 'outbox relay failed; the events stay queued');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Publishes until the outbox is empty; resolves with how many events went out. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.round();
      total += published;
      if (published < (this.options.batchSize ?? 100)) return total;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all([this.running, ...this.inFlight]);
  }

  /**
   * Publishes records the caller has just committed, without reading them back: the lowest
   * latency from a change to its event. On failure they stay in the table for the next round.
   * A round running meanwhile may publish some of them too; their `Nats-Msg-Id` dedups that.
   */
  publishCommitted(records: readonly OutboxRecord[]): void {
    if (records.length === 0 || this.stopped) return;
    const published = this.publishAll(records)
      .then(() =>
        sql`delete from outbox where id = any(${records.map((r) => r.id)}::bigint[])`.execute(
          this.options.db,
        ),
      )
      .then(() => undefined)
      .catch((error: unknown) => {
        this.options.log.warn({ err: error }, 'outbox publish failed; the relay retries');
      })
      .finally(() => this.inFlight.delete(published));
    this.inFlight.add(published);
  }

  private readonly inFlight = new Set<Promise<void>>();

  /**
   * Pipelined: every publish is written at once, in outbox order, and the acks are awaited
   * together (one round trip per batch, not per event).
   */
  private publishAll(rows: readonly OutboxRecord[]): Promise<unknown> {
    return Promise.all(
      rows.map((row) =>
        this.options.bus.publishEncoded(
          {
            pattern: row.pattern,
            subject: row.subject,
            messageType: row.message_type,
            data: row.payload,
          },
          {
            msgId: `${row.msg_id_prefix}:${row.id}`,
            parent: contextFromRecord(row.trace, context.active()),
          },
        ),
      ),
    );
  }

  private async round(): Promise<number> {
    const { db } = this.options;
    return db.transaction().execute(async (trx) => {
      const { rows } = await sql<OutboxRecord>`
        select id::text as id, pattern, subject, message_type, payload, msg_id_prefix, trace
        from outbox order by id limit ${this.options.batchSize ?? 100}
        for update skip locked`.execute(trx);
      // If any publish fails the transaction rolls back and the round is published again;
      // JetStream drops the ones already stored by their `Nats-Msg-Id`.
      await this.publishAll(rows);
      if (rows.length > 0) {
        await sql`delete from outbox where id = any(${rows.map((r) => r.id)}::bigint[])`.execute(
          trx,
        );
      }
      return rows.length;
    });
  }
}

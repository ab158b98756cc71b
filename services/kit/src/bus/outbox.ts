// The transactional outbox: where a state change and its event must not part, the event is
// written to the service's `outbox` table in the same transaction as the change, and a relay
// publishes it afterwards (then deletes the row). A rolled-back change publishes nothing; a
// committed one is published at least once, and exactly once on the wire thanks to its
// `Nats-Msg-Id` (`<prefix>:<outbox id>`) within the stream's duplicate window.
import { type Context, context } from '@opentelemetry/api';
import type { EventContract } from '@slimstad/contracts';
import { type Kysely, sql, type Transaction } from 'kysely';
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

interface OutboxRow {
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
  const traceOf = (ctx: Context | undefined) => JSON.stringify(traceContextRecord(ctx));
  const active = traceOf(undefined);
  const rows = items.map(
    ({ event, params, message, context: ctx }) =>
      sql`(${event.pattern}, ${event.subject(params)}, ${event.messageType},
           ${Buffer.from(event.codec.encode(message).finish())}, ${msgIdPrefix},
           ${ctx ? traceOf(ctx) : active})`,
  );
  await sql`
    insert into outbox (pattern, subject, message_type, payload, msg_id_prefix, trace)
    values ${sql.join(rows)}`.execute(trx);
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
    await this.running;
  }

  private async round(): Promise<number> {
    const { db, bus } = this.options;
    return db.transaction().execute(async (trx) => {
      const { rows } = await sql<OutboxRow>`
        select id::text as id, pattern, subject, message_type, payload, msg_id_prefix, trace
        from outbox order by id limit ${this.options.batchSize ?? 100}
        for update skip locked`.execute(trx);
      // Pipelined: every publish of the round is written at once, in outbox order, and the
      // acks are awaited together (one round trip per round, not per event). If any fails the
      // transaction rolls back and the round is published again; JetStream drops the ones
      // already stored by their `Nats-Msg-Id`.
      await Promise.all(
        rows.map((row) =>
          bus.publishEncoded(
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
      if (rows.length > 0) {
        await sql`delete from outbox where id = any(${rows.map((r) => r.id)}::bigint[])`.execute(
          trx,
        );
      }
      return rows.length;
    });
  }
}

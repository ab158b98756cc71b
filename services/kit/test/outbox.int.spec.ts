// The transactional outbox on real Postgres and JetStream: a rolled-back change publishes
// nothing, a committed one is published once (even when two relays race and when a relay
// dies between publish and delete), in order, continuing the trace of the change.

import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ReadingRecorded } from '@slimstad/contracts';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { createTestDatabase, type TestDatabase } from '@slimstad/test-harness';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import {
  createOutboxTable,
  enqueueEvent,
  enqueueEvents,
  OutboxRelay,
  outboxInsert,
} from '../src/bus/outbox.js';
import { createDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { inSpan } from '../src/telemetry/tracing.js';
import { type BusFixture, openBus, silentLog } from './support.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

let testDb: TestDatabase;
let database: Database<unknown>;
let f: BusFixture;

beforeAll(async () => {
  provider.register();
  testDb = await createTestDatabase(inject('databaseUrl'), 'kit_outbox');
  database = createDatabase({ url: testDb.url, schema: 'outboxtest' });
  await migrateToLatest(database.db, {
    schema: 'outboxtest',
    migrations: { '20261123000000_outbox': { up: createOutboxTable } },
    log: silentLog,
  });
  f = await openBus('outbox');
  await f.bus.declareStreams(ReadingRecorded.stream);
});

afterAll(async () => {
  await f?.close();
  await database?.close();
  await testDb?.drop();
  await provider.shutdown();
});

const reading = (value: number) =>
  Reading.fromPartial({ deviceId: 'wl-001', metric: 'water_level', value, unit: 'm' });
const params = { type: 'water_level', device: 'wl-001' };

/** Every message on the test's reading subject, in stream order. */
async function published(): Promise<{ value: number; msgId: string }[]> {
  const jsm = f.bus.jsm;
  const stream = f.ns.namespace
    ? `${f.ns.namespace}_${ReadingRecorded.stream.name}`
    : ReadingRecorded.stream.name;
  const info = await jsm.streams.info(stream);
  const out: { value: number; msgId: string }[] = [];
  for (
    let seq = info.state.first_seq;
    seq <= info.state.last_seq && info.state.messages > 0;
    seq++
  ) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (!m) continue;
    out.push({ value: Reading.decode(m.data).value, msgId: m.header?.get('Nats-Msg-Id') ?? '' });
  }
  return out;
}

it('publishes what committed, once, and nothing of what rolled back', async () => {
  await database.db
    .transaction()
    .execute(async (trx) => {
      await enqueueEvent(trx, ReadingRecorded, params, reading(1), 'test');
      throw new Error('the change fails');
    })
    .catch(() => undefined);
  await database.db.transaction().execute(async (trx) => {
    // Several events in one statement, in order.
    await enqueueEvents(
      trx,
      [2, 3].map((n) => ({ event: ReadingRecorded as never, params, message: reading(n) })),
      'test',
    );
  });
  await database.db.transaction().execute(async (trx) => {
    await enqueueEvent(trx, ReadingRecorded, params, reading(4), 'test');
  });

  // Two replicas' relays racing over the same table.
  const a = new OutboxRelay({ db: database.db, bus: f.bus, log: silentLog, batchSize: 1 });
  const b = new OutboxRelay({ db: database.db, bus: f.bus, log: silentLog, batchSize: 1 });
  const [fromA, fromB] = await Promise.all([a.drain(), b.drain()]);
  expect(fromA + fromB).toBe(3);
  expect((await published()).map((p) => p.value).sort()).toEqual([2, 3, 4]);
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from outbox`.execute(
    database.db,
  );
  expect(rows[0]?.n).toBe(0);
});

it('publishes a re-sent row once: a relay that died after publishing but before deleting', async () => {
  const before = (await published()).length;
  await enqueueEvent(database.db, ReadingRecorded, params, reading(5), 'test');
  const { rows } = await sql<OutboxRow>`select * from outbox`.execute(database.db);
  const relay = new OutboxRelay({ db: database.db, bus: f.bus, log: silentLog });
  await relay.drain();
  // Put the row back as if the delete had never committed; the next round publishes it again.
  const row = rows[0]!;
  await sql`insert into outbox (id, pattern, subject, message_type, payload, msg_id_prefix, trace)
    overriding system value
    values (${row.id}, ${row.pattern}, ${row.subject}, ${row.message_type}, ${row.payload},
            ${row.msg_id_prefix}, ${JSON.stringify(row.trace)})`.execute(database.db);
  await relay.drain();
  const after = await published();
  expect(after.length).toBe(before + 1);
  expect(after.at(-1)).toEqual({ value: 5, msgId: `test:${rows[0]!.id}` });
});

it('continues the trace of the change that enqueued the event', async () => {
  exporter.reset();
  const changeTrace = await inSpan('change', {}, async (span) => {
    await database.db.transaction().execute(async (trx) => {
      await enqueueEvent(trx, ReadingRecorded, params, reading(6), 'test');
    });
    return span.spanContext().traceId;
  });
  await new OutboxRelay({ db: database.db, bus: f.bus, log: silentLog }).drain();
  const publish = exporter
    .getFinishedSpans()
    .find((s) => s.name === `${ReadingRecorded.pattern} publish`);
  expect(publish?.spanContext().traceId).toBe(changeTrace);
});

it('publishes the records of a one-statement write at once, in order, and clears them', async () => {
  const before = (await published()).length;
  const insert = outboxInsert(
    [7, 8, 9].map((n) => ({ event: ReadingRecorded as never, params, message: reading(n) })),
    'test',
  );
  // As a CTE beside another write: one statement, atomic without a transaction.
  const { rows } = await sql<{ id: string }>`
    with touched as (select 1), rows as (${insert.statement}) select id from rows`.execute(
    database.db,
  );
  const records = insert.withIds(rows.map((r) => r.id));
  expect(records.map((r) => Number(r.id))).toEqual(
    [...records.map((r) => Number(r.id))].sort((a, b) => a - b),
  );
  const relay = new OutboxRelay({ db: database.db, bus: f.bus, log: silentLog });
  relay.publishCommitted(records);
  await relay.stop(); // waits for the publishes in flight
  const after = await published();
  expect(after.slice(before).map((p) => p.value)).toEqual([7, 8, 9]);
  expect(after.slice(before).map((p) => p.msgId)).toEqual(records.map((r) => `test:${r.id}`));
  const left = await sql<{ n: number }>`select count(*)::int as n from outbox`.execute(database.db);
  expect(left.rows[0]?.n).toBe(0);
  // Ids that do not match the records are refused, not paired wrongly.
  expect(() => insert.withIds(['1'])).toThrow(/returned 1 ids for 3 events/);
});

interface OutboxRow {
  id: string;
  pattern: string;
  subject: string;
  message_type: string;
  payload: Buffer;
  msg_id_prefix: string;
  trace: Record<string, string>;
}

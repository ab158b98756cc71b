// The kit's metrics that every service gets without writing a line: bus publishes, consumer
// backlog (lag, awaiting ack) read from JetStream at scrape time, and the Postgres pool.
import { connect } from '@nats-io/transport-node';
import { ReadingRecorded } from '@slimstad/contracts';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { createTestDatabase, createTestNamespace } from '@slimstad/test-harness';
import { afterEach, expect, inject, it, vi } from 'vitest';
import { Bus } from '../src/bus/bus.js';
import { ack } from '../src/bus/decision.js';
import { createDatabase } from '../src/db/database.js';
import { createMetrics, type Metrics } from '../src/telemetry/metrics.js';
import { silentLog } from './support.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The value of one series in the registry's text exposition, or undefined when absent. */
async function sample(metrics: Metrics, series: string): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

it('reports publishes and each consumer backlog at scrape time', async () => {
  const metrics = createMetrics('kit_metrics', { defaultMetrics: false });
  const natsUrl = inject('natsUrl');
  const ns = createTestNamespace(natsUrl, 'metrics');
  const nc = await connect({ servers: natsUrl });
  const bus = await Bus.create(nc, { namespace: ns.namespace, log: silentLog, metrics });
  cleanups.push(
    () => ns.cleanup(),
    () => bus.drain(),
  );
  await bus.declareStreams(ReadingRecorded.stream);

  for (let i = 0; i < 5; i++) {
    await bus.publish(
      ReadingRecorded,
      { type: 'water_level', device: 'wl-001' },
      Reading.fromPartial({ deviceId: 'wl-001', metric: 'water_level', sequence: BigInt(i) }),
      { msgId: `m-${i}` },
    );
  }
  expect(
    await sample(
      metrics,
      'slimstad_kit_metrics_events_published_total{event="sensor.reading.*.*",outcome="ok",service="kit_metrics"}',
    ),
  ).toBe(5);

  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const handled: number[] = [];
  const consumer = await bus.consume({
    event: ReadingRecorded,
    durable: 'kit--backlog',
    handle: async (m) => {
      await held; // the first message holds the consumer: the rest wait in JetStream or the buffer
      handled.push(Number(m.sequence));
      return ack();
    },
  });
  const pending =
    'slimstad_kit_metrics_consumer_pending_messages{consumer="kit--backlog",service="kit_metrics"}';
  const ackPending =
    'slimstad_kit_metrics_consumer_ack_pending_messages{consumer="kit--backlog",service="kit_metrics"}';
  await vi.waitFor(async () => expect(await sample(metrics, ackPending)).toBeGreaterThan(0), {
    timeout: 10_000,
  });
  await new Promise((r) => setTimeout(r, 600)); // past the scrape cache
  expect(((await sample(metrics, pending)) ?? 0) + ((await sample(metrics, ackPending)) ?? 0)).toBe(
    5,
  );

  release();
  await vi.waitFor(() => expect(handled).toHaveLength(5), { timeout: 10_000 });
  await vi.waitFor(
    async () => {
      expect(await sample(metrics, pending)).toBe(0);
      expect(await sample(metrics, ackPending)).toBe(0);
    },
    { timeout: 10_000, interval: 700 },
  );
  // A stopped consumer is no longer reported (no stale figure).
  await consumer.stop();
  await new Promise((r) => setTimeout(r, 600));
  expect(await sample(metrics, pending)).toBeUndefined();
}, 60_000);

it('reports the Postgres pool: connections in use and idle, waiting clients, the maximum', async () => {
  const metrics = createMetrics('kit_pool', { defaultMetrics: false });
  const testDb = await createTestDatabase(inject('databaseUrl'), 'kit_pool');
  const database = createDatabase({ url: testDb.url, schema: 'public', poolMax: 1 });
  cleanups.push(
    () => testDb.drop(),
    () => database.close(),
  );
  metrics.watchPool(database.pool, 1);

  const client = await database.pool.connect();
  const waiting = database.pool.query('select 1'); // queues behind the held connection
  expect(
    await sample(
      metrics,
      'slimstad_kit_pool_db_pool_connections{state="in_use",service="kit_pool"}',
    ),
  ).toBe(1);
  expect(
    await sample(metrics, 'slimstad_kit_pool_db_pool_waiting_clients{service="kit_pool"}'),
  ).toBe(1);
  expect(
    await sample(metrics, 'slimstad_kit_pool_db_pool_max_connections{service="kit_pool"}'),
  ).toBe(1);
  client.release();
  await waiting;
  expect(
    await sample(metrics, 'slimstad_kit_pool_db_pool_connections{state="idle",service="kit_pool"}'),
  ).toBe(1);
  expect(
    await sample(
      metrics,
      'slimstad_kit_pool_db_pool_connections{state="in_use",service="kit_pool"}',
    ),
  ).toBe(0);
});

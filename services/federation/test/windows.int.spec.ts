// The aggregated shares across a restart of the federation service, on the shared NATS and
// Postgres: the open windows are kept in its schema, so readings counted before the restart,
// the backlog consumed after it and the readings after it make one aggregate per window; a
// reading delivered twice (a redelivery, or once single and once batched) counts once; a
// window that closed while the service was down waits for the readings still in flight (one
// the dead process had taken and not acknowledged); and a window once shared is never shared
// again.
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import {
  DeviceChanged,
  FederationShareStream,
  ReadingBatchRecorded,
  ReadingRecorded,
  sensorStreams,
} from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import { SharedAggregate } from '@slimstad/contracts/gen/slimstad/federation/v1/federation';
import { DeviceChangeKind, DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import {
  Bus,
  createDatabase,
  createLogger,
  createMetrics,
  ManualClock,
  migrateToLatest,
} from '@slimstad/kit';
import { createTestDatabase, createTestNamespace, eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Federation, startFederation } from '../src/federation-service.js';
import { loadPolicy } from '../src/policy-control.js';
import { repoRoot } from '../src/region-files.js';
import type { FederationDatabase } from '../src/store/db.js';
import { migrations } from '../src/store/migrations/index.js';
import { pgWindowStore } from '../src/store/window.repository.js';

const log = createLogger('federation-windows-test', 'silent');
const MIN = 60_000;
/** The start of a 15-minute window (the demo policy's water_levels share). */
const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const clock = new ManualClock(T0);
const cleanups: (() => Promise<unknown> | unknown)[] = [];
let bus: Bus;
let database: ReturnType<typeof createDatabase<FederationDatabase>>;

function start(): Promise<Federation> {
  return startFederation({
    bus,
    city: 'demo',
    policy: loadPolicy(path.join(repoRoot, 'deploy/federation/demo.policy.yaml'), 'demo'),
    settings: {
      federated: false,
      linkCheckMs: 60_000,
      stallAfterMs: 60_000,
      windowGraceMs: MIN,
      flushMs: 100,
      inbound: new Map(),
      maxEmitWaitMs: 60_000,
    },
    clock,
    log,
    metrics: createMetrics('federation', { defaultMetrics: false }),
    windows: pgWindowStore(database.db, MIN),
  });
}

const level = (at: number, value: number) =>
  Reading.fromPartial({
    deviceId: 'wl-1',
    metric: 'water_level',
    value,
    unit: 'm',
    observedAt: new Date(at),
    deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
  });

const publish = (at: number, value: number, msgId: string) =>
  bus.publish(ReadingRecorded, { type: 'water_level', device: 'wl-1' }, level(at, value), {
    msgId,
  });

/** The aggregates the SHARE stream holds, oldest first. */
async function shared(): Promise<SharedAggregate[]> {
  const stream = bus.ns.stream(FederationShareStream);
  const { state } = await bus.jsm.streams.info(stream);
  const out: SharedAggregate[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await bus.jsm.streams.getMessage(stream, { seq });
    if (m?.subject.endsWith('.agg.wl-1')) out.push(SharedAggregate.decode(m.data));
  }
  return out;
}

const counted = async () =>
  (await database.db.selectFrom('share_window').select(['window_start', 'count']).execute()).map(
    (w) => [w.window_start.getTime() - T0, w.count],
  );

beforeAll(async () => {
  const testDb = await createTestDatabase(inject('databaseUrl'), 'federation_windows');
  database = createDatabase<FederationDatabase>({ url: testDb.url, schema: 'federation' });
  await migrateToLatest(database.db as never, { schema: 'federation', migrations, log });
  const ns = createTestNamespace(inject('natsUrl'), 'fedwin');
  const nc = await connect({ servers: inject('natsUrl') });
  bus = await Bus.create(nc, { namespace: ns.namespace, log });
  await bus.declareStreams(...sensorStreams);
  await bus.publish(
    DeviceChanged,
    { type: 'water_level', device: 'wl-1' },
    DeviceChanged.codec.fromPartial({
      device: {
        id: 'wl-1',
        type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
        zone: 'river',
        classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
      },
      kind: DeviceChangeKind.DEVICE_CHANGE_KIND_REGISTERED,
    } as never),
    { msgId: 'device:wl-1' },
  );
  cleanups.push(
    () => nc.drain(),
    () => ns.cleanup(),
    () => database.close(),
    () => testDb.drop(),
  );
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('aggregated shares across a restart', () => {
  it('count every reading once in its window, whatever the restart cost the memory', async () => {
    const first = await start();
    await publish(T0 + 1_000, 1, 'r1');
    await publish(T0 + 2_000, 2, 'r2');
    await eventually(async () => expect(await counted()).toEqual([[0, 2]]), 10_000);
    await first.stop();

    // While it is down: one more reading of the first window, the second reading again (a
    // batch this time), and the only reading of the next window; both windows close.
    await publish(T0 + 3_000, 3, 'r3');
    await bus.publish(
      ReadingBatchRecorded,
      { source: 'lns' },
      { source: 'lns', batchId: 'b1', readings: [level(T0 + 2_000, 2)] },
      { msgId: 'b1' },
    );
    await publish(T0 + 16 * MIN, 10, 'r4');
    clock.set(T0 + 40 * MIN);
    // The process that died had taken the third reading and not acknowledged it (it comes back
    // after the ack wait, or here when this stand-in gives it back).
    const inHand = await (
      await bus.js.consumers.get(bus.ns.stream(ReadingRecorded.stream), 'federation--readings')
    ).next({ expires: 5_000 });
    expect(inHand && Reading.decode(inHand.data).value).toBe(3);

    const second = await start();
    try {
      // The backlog is counted, but no window is shared while a reading of it is in flight.
      await eventually(
        async () =>
          expect(await counted()).toEqual([
            [0, 2],
            [15 * MIN, 1],
          ]),
        10_000,
      );
      await second.flush();
      await new Promise((r) => setTimeout(r, 500));
      await second.flush();
      expect(await shared()).toEqual([]);
      inHand?.nak();
      await eventually(async () => {
        await second.flush();
        expect(
          (await shared()).map((a) => [a.windowStart!.getTime() - T0, Number(a.count), a.value]),
        ).toEqual([
          [0, 3, 2],
          [15 * MIN, 1, 10],
        ]);
      }, 15_000);

      // A window once shared takes nothing more, and is not shared again.
      await publish(T0 + 4_000, 4, 'r5');
      await new Promise((r) => setTimeout(r, 500));
      await second.flush();
      expect(await shared()).toHaveLength(2);
      expect(await counted()).toEqual([
        [0, 3],
        [15 * MIN, 1],
      ]);
      expect(await database.db.selectFrom('share_window_reading').selectAll().execute()).toEqual(
        [],
      );
    } finally {
      await second.stop();
    }
  }, 60_000);
});

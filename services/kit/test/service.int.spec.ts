// A kit-built service as a real process: start-up fails clearly on bad config, and SIGTERM
// in the middle of a burst loses nothing.
import { connect } from '@nats-io/transport-node';
import { ReadingRecorded } from '@slimstad/contracts';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { createTestDatabase, createTestNamespace, type TestDatabase } from '@slimstad/test-harness';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { Bus } from '../src/bus/bus.js';
import { createDatabase } from '../src/db/database.js';
import { collectOutput, exited, fixture, silentLog, spawnTs } from './support.js';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'), 'kit_svc');
});
afterAll(async () => {
  await testDb.drop();
});

const serviceEnv = (namespace: string) => ({
  SERVICE_NAME: 'counting',
  DATABASE_URL: testDb.url,
  NATS_URL: inject('natsUrl'),
  NATS_NAMESPACE: namespace,
  AUTH_JWT_KEY: 'test-secret',
  OPS_PORT: '0',
  LOG_LEVEL: 'info',
  SHUTDOWN_TIMEOUT_MS: '10000',
});

describe('service start-up', () => {
  it('fails with the missing variable named when config is incomplete', async () => {
    const { AUTH_JWT_KEY: _, ...env } = serviceEnv('tcfg');
    const child = spawnTs(fixture('counting-service.ts'), { ...env, AUTH_JWT_KEY: '' });
    const output = collectOutput(child);
    expect(await exited(child)).toBe(1);
    expect(output()).toContain('counting: failed to start: invalid configuration');
    expect(output()).toMatch(/AUTH_JWT_KEY: is empty/);
  });
});

describe('SIGTERM during a burst', () => {
  it('loses no message: each is handled and acked, or redelivered to the next instance', async () => {
    const total = 400;
    const ns = createTestNamespace(inject('natsUrl'), 'burst');
    const nc = await connect({ servers: inject('natsUrl') });
    const bus = await Bus.create(nc, { namespace: ns.namespace, log: silentLog });
    const database = createDatabase<{ handled: { seq: bigint; pid: number } }>({
      url: testDb.url,
      schema: 'counting',
    });
    const handledCount = async () => {
      const r = await sql<{ n: bigint }>`select count(*) as n from counting.handled`
        .execute(database.db)
        .catch(() => undefined);
      return Number(r?.rows[0]?.n ?? 0);
    };
    try {
      const first = spawnTs(fixture('counting-service.ts'), serviceEnv(ns.namespace));
      const firstOutput = collectOutput(first);
      await vi.waitFor(() => expect(firstOutput()).toContain('consuming'), { timeout: 20_000 });
      await Promise.all(
        Array.from({ length: total }, (_, i) =>
          bus.publish(
            ReadingRecorded,
            { type: 'noise', device: 'n-1' },
            Reading.fromPartial({ deviceId: 'n-1', sequence: BigInt(i + 1) }),
            {
              msgId: `burst-${i + 1}`,
            },
          ),
        ),
      );
      await vi.waitFor(async () => expect(await handledCount()).toBeGreaterThanOrEqual(40), {
        timeout: 20_000,
      });
      first.kill('SIGTERM');
      expect(await exited(first), firstOutput()).toBe(0);
      expect(firstOutput()).toContain('shutdown complete');

      // Invariant after the first instance: everything at or below the ack floor was handled.
      const stream = bus.ns.stream(ReadingRecorded.stream);
      const afterStop = await bus.jsm.consumers.info(stream, 'counting--readings');
      const handledByFirst = await handledCount();
      expect(handledByFirst).toBeLessThan(total); // it really stopped mid-burst
      const floor = afterStop.ack_floor.stream_seq;
      const belowFloor = await sql<{
        n: bigint;
      }>`select count(*) as n from counting.handled where seq <= ${floor}`.execute(database.db);
      expect(Number(belowFloor.rows[0]!.n)).toBe(floor);

      // A second instance picks up the rest, including anything the first had in flight.
      const second = spawnTs(fixture('counting-service.ts'), serviceEnv(ns.namespace));
      const secondOutput = collectOutput(second);
      await vi.waitFor(async () => expect(await handledCount()).toBe(total), { timeout: 30_000 });
      await vi.waitFor(async () => {
        const info = await bus.jsm.consumers.info(stream, 'counting--readings');
        expect(info.num_pending).toBe(0);
        expect(info.num_ack_pending).toBe(0);
        expect(info.ack_floor.stream_seq).toBe(total);
      });
      second.kill('SIGTERM');
      expect(await exited(second), secondOutput()).toBe(0);
    } finally {
      await database.close();
      await bus.drain();
      await ns.cleanup();
    }
  }, 90_000);
});

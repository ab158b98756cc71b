// The typed bus against a real JetStream: round trip, dedup, explicit acks, bounded
// redelivery with backoff and the dead-letter subject.
import { ReadingRecorded } from '@slimstad/contracts';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ack, type Decision } from '../src/bus/decision.js';
import * as H from '../src/bus/headers.js';
import { type BusFixture, openBus } from './support.js';

const reading = (sequence: bigint, value = 1.5) =>
  Reading.fromPartial({
    deviceId: 'wl-001',
    metric: 'water_level',
    value,
    unit: 'm',
    observedAt: new Date('2026-11-22T10:00:00.000Z'),
    receivedAt: new Date('2026-11-22T10:00:01.000Z'),
    sequence,
  });
const params = { type: 'water_level', device: 'wl-001' };

let f: BusFixture;
beforeEach(async () => {
  f = await openBus('bus');
  await f.bus.declareStreams(ReadingRecorded.stream);
});
afterEach(async () => {
  await f.close();
});

describe('publish and consume', () => {
  it('round-trips a protobuf event with msg id, content type and trace headers', async () => {
    const received: { reading: Reading; msgId?: string; contentType?: string; subject: string }[] =
      [];
    await f.bus.consume({
      event: ReadingRecorded,
      durable: 'test--roundtrip',
      handle: (message, d) => {
        received.push({
          reading: message,
          msgId: d.msgId,
          contentType: d.headers.get(H.CONTENT_TYPE),
          subject: d.subject,
        });
        return ack();
      },
    });
    const sent = reading(2n ** 60n + 7n);
    const pub = await f.bus.publish(ReadingRecorded, params, sent, { msgId: 'wl-001:1' });
    expect(pub.duplicate).toBe(false);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received[0]!.reading).toEqual(sent);
    expect(received[0]!.msgId).toBe('wl-001:1');
    expect(received[0]!.contentType).toBe('application/protobuf; proto=slimstad.sensor.v1.Reading');
    expect(received[0]!.subject).toBe('sensor.reading.water_level.wl-001');
  });

  it('stores and delivers the same Nats-Msg-Id once', async () => {
    const handled: bigint[] = [];
    await f.bus.consume({
      event: ReadingRecorded,
      durable: 'test--dedup',
      handle: (message) => {
        handled.push(message.sequence);
        return ack();
      },
    });
    const first = await f.bus.publish(ReadingRecorded, params, reading(1n), { msgId: 'same' });
    const second = await f.bus.publish(ReadingRecorded, params, reading(1n), { msgId: 'same' });
    await f.bus.publish(ReadingRecorded, params, reading(2n), { msgId: 'sentinel' });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    await vi.waitFor(() => expect(handled).toContain(2n));
    expect(handled).toEqual([1n, 2n]);
  });

  it('does not ack a message before its handler finished', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started = false;
    await f.bus.consume({
      event: ReadingRecorded,
      durable: 'test--slow',
      handle: async () => {
        started = true;
        await gate;
        return ack();
      },
    });
    await f.bus.publish(ReadingRecorded, params, reading(1n), { msgId: 'slow-1' });
    await vi.waitFor(() => expect(started).toBe(true));
    const stream = f.bus.ns.stream(ReadingRecorded.stream);
    const during = await f.bus.jsm.consumers.info(stream, 'test--slow');
    expect(during.num_ack_pending).toBe(1);
    expect(during.ack_floor.stream_seq).toBe(0);
    release();
    await vi.waitFor(async () => {
      const after = await f.bus.jsm.consumers.info(stream, 'test--slow');
      expect(after.ack_floor.stream_seq).toBe(1);
      expect(after.num_ack_pending).toBe(0);
    });
  });
});

describe('unconfirmed acks', () => {
  it('ack every handled message without waiting for the server, and nothing is redelivered', async () => {
    const seen: bigint[] = [];
    await f.bus.consume({
      event: ReadingRecorded,
      durable: 'test--fast-acks',
      concurrency: 4,
      confirmAcks: false,
      ackWaitMs: 1_000,
      handle: (m) => {
        seen.push(m.sequence);
        return ack();
      },
    });
    for (const n of [1n, 2n, 3n])
      await f.bus.publish(ReadingRecorded, params, reading(n), { msgId: `fast-${n}` });
    const stream = f.bus.ns.stream(ReadingRecorded.stream);
    await vi.waitFor(async () => {
      const info = await f.bus.jsm.consumers.info(stream, 'test--fast-acks');
      expect(info.ack_floor.stream_seq).toBe(3);
      expect(info.num_ack_pending).toBe(0);
    });
    // Past the ack wait: had an ack been lost, the message would have come again.
    await new Promise((r) => setTimeout(r, 1_500));
    expect([...seen].sort()).toEqual([1n, 2n, 3n]);
  });
});

describe('narrower consumers', () => {
  it('take only the subjects of their filter, and a new one may start at new messages', async () => {
    await f.bus.publish(ReadingRecorded, { type: 'presence', device: 'pr-1' }, reading(1n), {
      msgId: 'old',
    });
    const presence: string[] = [];
    await f.bus.consume({
      event: ReadingRecorded,
      durable: 'test--presence-new',
      subjectFilter: 'sensor.reading.presence.*',
      startAt: 'new',
      handle: (_, d) => {
        presence.push(d.msgId ?? '');
        return ack();
      },
    });
    await f.bus.publish(ReadingRecorded, params, reading(2n), { msgId: 'water' });
    await f.bus.publish(ReadingRecorded, { type: 'presence', device: 'pr-1' }, reading(3n), {
      msgId: 'new',
    });
    await vi.waitFor(() => expect(presence).toEqual(['new']));
    await new Promise((r) => setTimeout(r, 200));
    expect(presence).toEqual(['new']);
  });

  it("with message type '*' take any message type, undecoded by the contract's codec", async () => {
    const raw = {
      ...ReadingRecorded,
      messageType: '*',
      codec: { ...ReadingRecorded.codec, decode: (data: Uint8Array | unknown) => data },
    } as unknown as typeof ReadingRecorded;
    const seen: string[] = [];
    await f.bus.consume({
      event: raw,
      durable: 'test--any-type',
      handle: (_, d) => {
        seen.push(d.subject);
        return ack();
      },
    });
    await f.bus.publish(ReadingRecorded, params, reading(1n), { msgId: 'typed' });
    await vi.waitFor(() => expect(seen).toEqual(['sensor.reading.water_level.wl-001']));
  });

  it('refuse a filter outside the event', async () => {
    await expect(
      f.bus.consume({
        event: ReadingRecorded,
        durable: 'test--wrong',
        subjectFilter: 'lighting.command.*.*',
        handle: () => ack(),
      }),
    ).rejects.toThrow(/is not within sensor.reading.\*.\*/);
  });
});

describe('failure handling', () => {
  it('redelivers a throwing handler with backoff, then dead-letters it with the reason', async () => {
    const attempts: { delivery: number; at: number }[] = [];
    await f.bus.consume({
      event: ReadingRecorded,
      durable: 'test--poison',
      maxDeliveries: 3,
      backoff: { initialMs: 200, maxMs: 2_000 },
      handle: (_m, d) => {
        attempts.push({ delivery: d.delivery, at: performance.now() });
        throw new Error(`boom #${d.delivery}`);
      },
    });
    const deadLetters = f.nc.subscribe(f.bus.ns.subject('deadletter.test--poison'), { max: 1 });
    const sent = reading(42n);
    await f.bus.publish(ReadingRecorded, params, sent, { msgId: 'poison-1' });

    let dead: { data: Uint8Array; headers: Map<string, string> } | undefined;
    for await (const m of deadLetters) {
      dead = { data: m.data, headers: new Map([...(m.headers ?? [])].map(([k, v]) => [k, v[0]!])) };
    }
    expect(attempts.map((a) => a.delivery)).toEqual([1, 2, 3]);
    // Backoff doubles (±20 % jitter): ≥ 160 ms before the 2nd attempt, ≥ 320 ms before the 3rd.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(150);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(300);
    expect(dead!.headers.get(H.DEAD_LETTER_REASON)).toBe('failed 3 times, last: boom #3');
    expect(dead!.headers.get(H.DEAD_LETTER_SUBJECT)).toBe('sensor.reading.water_level.wl-001');
    expect(dead!.headers.get(H.DEAD_LETTER_CONSUMER)).toBe('test--poison');
    expect(dead!.headers.get(H.DEAD_LETTER_DELIVERIES)).toBe('3');
    expect(dead!.headers.get(H.CONTENT_TYPE)).toBe(
      'application/protobuf; proto=slimstad.sensor.v1.Reading',
    );
    expect(Reading.decode(dead!.data)).toEqual(sent);
    // The dead letter is durable: it is stored in the DEAD_LETTER stream.
    const dl = await f.bus.jsm.streams.info(f.bus.ns.stream('DEAD_LETTER'));
    expect(dl.state.messages).toBe(1);
    // And the original is terminated, not left pending.
    await vi.waitFor(async () => {
      const info = await f.bus.jsm.consumers.info(
        f.bus.ns.stream(ReadingRecorded.stream),
        'test--poison',
      );
      expect(info.num_ack_pending).toBe(0);
      expect(info.num_redelivered).toBe(0);
    });
  });

  it('dead-letters an undecodable payload at once, without calling the handler', async () => {
    let calls = 0;
    await f.bus.consume({
      event: ReadingRecorded,
      durable: 'test--garbage',
      handle: (): Decision => {
        calls++;
        return ack();
      },
    });
    const deadLetters = f.nc.subscribe(f.bus.ns.subject('deadletter.test--garbage'), { max: 1 });
    await f.bus.js.publish(
      f.bus.ns.subject('sensor.reading.water_level.wl-001'),
      new Uint8Array([0xff, 0xff, 0xff]),
      {
        msgID: 'garbage-1',
      },
    );
    for await (const m of deadLetters) {
      expect(m.headers?.get(H.DEAD_LETTER_REASON)).toMatch(
        /^undecodable slimstad\.sensor\.v1\.Reading: /,
      );
      expect(m.headers?.get(H.DEAD_LETTER_DELIVERIES)).toBe('1');
    }
    expect(calls).toBe(0);
  });

  it('honours a handler that asks for a retry after a given delay', async () => {
    const attempts: number[] = [];
    await f.bus.consume({
      event: ReadingRecorded,
      durable: 'test--retry',
      handle: (_m, d) => {
        attempts.push(performance.now());
        return d.delivery === 1 ? { kind: 'retry', reason: 'not yet', afterMs: 300 } : ack();
      },
    });
    await f.bus.publish(ReadingRecorded, params, reading(1n), { msgId: 'retry-1' });
    await vi.waitFor(() => expect(attempts).toHaveLength(2), { timeout: 5_000 });
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(280);
  });
});

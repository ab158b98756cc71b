// Federation across a region of real nats-server processes started from the rendered
// configurations (deploy/nats/rendered): the hub and three cities — brugge (A), kortrijk (B),
// oostende (C) — each with its federation service. One file, in order: the hub outage takes
// ~30 s by design.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { DeviceChanged, LinkStateChangedEvent, ReadingRecorded } from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import { SharedAggregate } from '@slimstad/contracts/gen/slimstad/federation/v1/federation';
import { DeviceChangeKind, DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../src/region-files.js';
import { RegionFixture, type Session } from './region-fixture.js';

const region = new RegionFixture(
  path.join(repoRoot, 'deploy/region.yaml'),
  path.join(repoRoot, 'deploy/nats/rendered'),
);
const A = 'brugge';
const B = 'kortrijk';
const C = 'oostende';
let ingestA: Session;
let alertingA: Session;

beforeAll(async () => {
  await region.start();
  ingestA = await region.connect(A, 'ingest');
  alertingA = await region.connect(A, 'alerting');
  // As ingest does at start-up: its streams exist before anyone consumes them.
  const { sensorStreams } = await import('@slimstad/contracts');
  for (const c of [A, B, C]) {
    const ingest = c === A ? ingestA : await region.connect(c, 'ingest');
    await ingest.bus.declareStreams(...sensorStreams);
  }
  // The registry's word on each device (kept by SENSOR_DEVICES).
  const device = (id: string, type: DeviceType, zone: string, classification: DataClassification) =>
    ingestA.bus.publish(
      DeviceChanged,
      { type: 'x', device: id },
      DeviceChanged.codec.fromPartial({
        device: { id, type, zone, classification },
        kind: DeviceChangeKind.DEVICE_CHANGE_KIND_REGISTERED,
      } as never),
      { msgId: `device:${id}` },
    );
  await device(
    'wl-1',
    DeviceType.DEVICE_TYPE_WATER_LEVEL,
    'river',
    DataClassification.DATA_CLASSIFICATION_INTERNAL,
  );
  await device(
    'wl-2',
    DeviceType.DEVICE_TYPE_WATER_LEVEL,
    'river',
    DataClassification.DATA_CLASSIFICATION_PUBLIC,
  );
  await device(
    'pm-1',
    DeviceType.DEVICE_TYPE_WATER_LEVEL,
    'port',
    DataClassification.DATA_CLASSIFICATION_PUBLIC,
  );
  await device(
    'pm-int',
    DeviceType.DEVICE_TYPE_WATER_LEVEL,
    'port',
    DataClassification.DATA_CLASSIFICATION_INTERNAL,
  );
  await device(
    'ppl-1',
    DeviceType.DEVICE_TYPE_PEDESTRIAN_COUNTER,
    'center',
    DataClassification.DATA_CLASSIFICATION_INTERNAL,
  );
  await device(
    'cam-1',
    DeviceType.DEVICE_TYPE_PEDESTRIAN_COUNTER,
    'center',
    DataClassification.DATA_CLASSIFICATION_PERSONAL,
  );
  for (const c of [A, B, C]) await region.startFederation(c, { stallAfterMs: 3_000 });
  // The hub side is declared by each city's first link check.
  await eventually(() => {
    for (const c of [A, B, C]) expect(region.federations.get(c)?.links().hubUp).toBe(true);
  }, 20_000);
}, 90_000);

afterAll(async () => {
  await region.stop();
});

let seq = 0n;
const reading = (deviceId: string, metric: string, value: number, at = region.clock.now()) =>
  ingestA.bus.publish(
    ReadingRecorded,
    { type: 'x', device: deviceId },
    Reading.fromPartial({
      deviceId,
      metric,
      value,
      unit: 'm',
      observedAt: new Date(at),
      sequence: ++seq,
      source: 'chirpstack',
    }),
    { msgId: `${deviceId}:${seq}` },
  );

/** Every message of a stream (subject, msg id, payload), read by a throwaway ordered consumer. */
async function messagesOf(session: Session, stream: string, filter = '>') {
  const jsm = await jetstreamManager(session.nc);
  const info = await jsm.streams.info(stream);
  const out: { subject: string; msgId: string | undefined; data: Uint8Array }[] = [];
  if (info.state.messages === 0) return out;
  const consumer = await session.bus.js.consumers.get(stream, { filter_subjects: filter });
  while (out.length < info.state.messages) {
    const m = await consumer.next({ expires: 2_000 });
    if (!m) break;
    out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id'), data: m.data });
  }
  await consumer.delete().catch(() => {});
  return out;
}

let operatorB: Session;
let operatorC: Session;

describe('sharing', () => {
  it("B receives A's shared streams at the granularity of A's policy, C only what is meant for C", async () => {
    operatorB = await region.connect(B, 'federation');
    operatorC = await region.connect(C, 'federation');
    const start = region.clock.now();
    await reading('wl-1', 'water_level', 1.0, start);
    await reading('wl-1', 'water_level', 2.0, start + 1_000);
    await reading('ppl-1', 'people_count', 5, start);
    await reading('ppl-1', 'people_count', 7, start + 1_000);
    await reading('cam-1', 'people_count', 1000, start);
    await reading('pm-1', 'pm10', 12, start);
    await reading('pm-int', 'pm10', 99, start);
    // A public CAP warning from alerting, passed through unchanged.
    const cap = new TextEncoder().encode('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>');
    await alertingA.bus.js.publish('share.alert.cap', cap, { msgID: 'cap-1' });
    // The windows close: 15 minutes and the grace later on A's clock.
    await eventually(async () => {
      const info = await ingestA.bus.jsm.streams.info('SENSOR_READINGS');
      expect(info.state.messages).toBeGreaterThanOrEqual(7);
    });
    await new Promise((r) => setTimeout(r, 500));
    region.clock.advance(17 * 60_000);
    await region.federations.get(A)?.flush();

    const atB = await eventually(async () => {
      const got = await messagesOf(operatorB, 'NEIGHBOURS');
      expect(got.map((m) => m.subject).sort()).toEqual([
        'neighbour.brugge.alert.cap',
        'neighbour.brugge.footfall.center',
        'neighbour.brugge.water_levels.wl-1',
      ]);
      return got;
    }, 20_000);
    const water = SharedAggregate.decode(
      atB.find((m) => m.subject.endsWith('wl-1'))?.data as Uint8Array,
    );
    expect(water).toMatchObject({
      city: A,
      stream: 'water_levels',
      key: 'wl-1',
      value: 1.5,
      count: 2n,
    });
    const footfall = SharedAggregate.decode(
      atB.find((m) => m.subject.endsWith('center'))?.data as Uint8Array,
    );
    // Summed over the internal counter only: the personal camera's 1000 never counts.
    expect(footfall).toMatchObject({ key: 'center', value: 12, count: 2n });
    expect(Buffer.from(atB.find((m) => m.subject.endsWith('alert.cap'))?.data ?? [])).toEqual(
      Buffer.from(cap),
    );

    const atC = await eventually(async () => {
      const got = await messagesOf(operatorC, 'NEIGHBOURS');
      expect(got.map((m) => m.subject).sort()).toEqual([
        'neighbour.brugge.air_quality.pm-1',
        'neighbour.brugge.alert.cap',
        'neighbour.brugge.water_levels.wl-1',
      ]);
      return got;
    }, 20_000);
    const raw = Reading.decode(atC.find((m) => m.subject.endsWith('pm-1'))?.data as Uint8Array);
    expect(raw).toMatchObject({ deviceId: 'pm-1', metric: 'pm10', value: 12 });
    expect(raw.source).toBeUndefined();
  }, 60_000);

  it('nothing personal (nor internal raw) appears in any shared stream', async () => {
    // Everything A shares reaches B or C; read all of it there.
    const all = [
      ...(await messagesOf(operatorB, 'NEIGHBOURS')),
      ...(await messagesOf(operatorC, 'NEIGHBOURS')),
    ];
    expect(all.length).toBeGreaterThanOrEqual(6);
    for (const m of all) {
      const text = `${m.subject} ${m.msgId} ${Buffer.from(m.data).toString('latin1')}`;
      expect(text).not.toMatch(/cam-1|pm-int/);
    }
  });
});

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
        'neighbour.brugge.footfall.agg.center',
        'neighbour.brugge.water_levels.agg.wl-1',
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
        'neighbour.brugge.air_quality.raw.pm-1',
        'neighbour.brugge.alert.cap',
        'neighbour.brugge.water_levels.agg.wl-1',
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

describe('control: B can neither read A nor write into A', () => {
  it("B's leaf credentials at the hub: no A subjects, no A JetStream API, no forged shares", async () => {
    const b = await region.connectHubAs(B);
    for (const subject of ['sensor.>', 'region.brugge.>', 'share.>', '$JS.brugge.API.>']) {
      b.nc.subscribe(subject);
    }
    b.nc.publish('share.water_levels.wl-1', 'forged');
    b.nc.publish('neighbour.brugge.alert.cap', 'forged');
    b.nc.publish('region.brugge.alert.cap', 'forged');
    b.nc.publish('$JS.brugge.API.STREAM.INFO.SHARE');
    b.nc.publish('sensor.reading.water_level.wl-1', 'forged');
    await b.nc.flush();
    await eventually(() => expect(b.violations).toHaveLength(9));
    expect(b.violations).toEqual([
      { operation: 'subscription', subject: 'sensor.>' },
      { operation: 'subscription', subject: 'region.brugge.>' },
      { operation: 'subscription', subject: 'share.>' },
      { operation: 'subscription', subject: '$JS.brugge.API.>' },
      { operation: 'publish', subject: 'share.water_levels.wl-1' },
      { operation: 'publish', subject: 'neighbour.brugge.alert.cap' },
      { operation: 'publish', subject: 'region.brugge.alert.cap' },
      { operation: 'publish', subject: '$JS.brugge.API.STREAM.INFO.SHARE' },
      { operation: 'publish', subject: 'sensor.reading.water_level.wl-1' },
    ]);
  });

  it("inside B, no service can forge A's data or reach A's JetStream domain", async () => {
    const federationB = await region.connect(B, 'federation');
    const alertingB = await region.connect(B, 'alerting');
    federationB.nc.publish('neighbour.brugge.alert.cap', 'forged');
    alertingB.nc.publish('neighbour.brugge.alert.cap', 'forged');
    federationB.nc.publish('$JS.brugge.API.STREAM.INFO.SHARE');
    alertingB.nc.subscribe('neighbour.>');
    await federationB.nc.flush();
    await alertingB.nc.flush();
    await eventually(() => {
      expect(federationB.violations.map((v) => v.subject)).toEqual([
        'neighbour.brugge.alert.cap',
        '$JS.brugge.API.STREAM.INFO.SHARE',
      ]);
      expect(alertingB.violations.map((v) => v.subject)).toEqual([
        'neighbour.brugge.alert.cap',
        'neighbour.>',
      ]);
    });
    // What alerting may do: consume A's warnings durably from NEIGHBOURS.
    const jsm = await jetstreamManager(alertingB.nc);
    await jsm.consumers.add('NEIGHBOURS', {
      durable_name: 'alerting--neighbours',
      filter_subject: 'neighbour.*.alert.cap',
      ack_policy: 'explicit' as never,
    });
    const consumer = await alertingB.bus.js.consumers.get('NEIGHBOURS', 'alerting--neighbours');
    const m = await consumer.next({ expires: 5_000 });
    expect(m?.subject).toBe('neighbour.brugge.alert.cap');
    m?.ack();
    // A's internal subjects never reached B: nothing of them is in B's server.
    const forged = await messagesOf(operatorB, 'NEIGHBOURS');
    expect(forged.some((x) => Buffer.from(x.data).toString() === 'forged')).toBe(false);
  });
});

describe('policy', () => {
  it('a policy change takes effect without restarting the cities', async () => {
    const pids = [A, B, C].map((c) => region.servers.get(c)?.child.pid);
    // A starts sharing a new stream (raw river levels of public stations) with C.
    const dir = path.join(region.dir.dir, 'changed');
    mkdirSync(path.join(dir, 'federation'), { recursive: true });
    for (const c of [A, B, C]) {
      copyFileSync(
        path.join(repoRoot, `deploy/federation/${c}.policy.yaml`),
        path.join(dir, `federation/${c}.policy.yaml`),
      );
    }
    copyFileSync(path.join(repoRoot, 'deploy/region.yaml'), path.join(dir, 'region.yaml'));
    const policyFile = path.join(dir, `federation/${A}.policy.yaml`);
    const policy = parse(readFileSync(policyFile, 'utf8'));
    policy.shares.push({ name: 'river', granularity: 'raw', metrics: ['river_level'], to: [C] });
    writeFileSync(policyFile, stringify(policy));
    region.reloadHub(path.join(dir, 'region.yaml'), path.join(repoRoot, 'deploy/nats/city.conf'));
    const { readPolicyFile } = await import('../src/region-files.js');
    const next = readPolicyFile(policyFile, [B, C]);
    expect(
      region.federations.get(A)?.setPolicy({ policy: next, text: stringify(policy), loadedAt: 0 }),
    ).toBe(true);

    await eventually(async () => {
      await reading('wl-2', 'river_level', 3.25);
      const got = await messagesOf(operatorC, 'NEIGHBOURS', 'neighbour.brugge.river.>');
      expect(got.length).toBeGreaterThan(0);
      expect(Reading.decode(got[0]?.data as Uint8Array)).toMatchObject({ deviceId: 'wl-2' });
    }, 20_000);
    // B is not in the new share's export: nothing of it there.
    expect(await messagesOf(operatorB, 'NEIGHBOURS', 'neighbour.brugge.river.>')).toEqual([]);
    expect([A, B, C].map((c) => region.servers.get(c)?.child.pid)).toEqual(pids);
  }, 40_000);
});

describe('watching the links', () => {
  it('a silently stalled source is detected, reported, and its recovery too', async () => {
    const federationB = region.federations.get(B);
    const eventsB = await region.connect(B, 'alerting');
    const jsm = await jetstreamManager((await region.connect(B, 'federation')).nc);
    // The silent stall: B's source from the hub stops delivering (here: it points at a stream
    // that is not there; the server's own source info then still says lag 0) while A keeps
    // publishing.
    const info = await jsm.streams.info('NEIGHBOURS');
    const source = info.config.sources?.[0];
    await jsm.streams.update('NEIGHBOURS', {
      ...info.config,
      sources: [{ ...source, name: 'INBOX_GONE' }],
    });
    try {
      for (let i = 0; i < 3; i++) {
        await alertingA.bus.js.publish('share.alert.cap', `cap during stall ${i}`, {
          msgID: `stall-${i}`,
        });
      }
      await eventually(async () => {
        await federationB?.checkLinks();
        const link = federationB
          ?.links()
          .links.find((l) => l.neighbour === A && l.stream === 'alert' && l.direction === 'in');
        expect(link).toMatchObject({ state: 'stalled', direction: 'in' });
        expect(link?.lag).toBeGreaterThanOrEqual(3);
      }, 20_000);
      const stalled = await eventually(async () => {
        const got = await messagesOf(eventsB, 'FEDERATION_EVENTS', 'federation.link.stalled.>');
        expect(got.map((m) => m.subject)).toEqual(['federation.link.stalled.brugge']);
        return got;
      });
      expect(LinkStateChangedEvent.codec.decode(stalled[0]?.data as Uint8Array)).toMatchObject({
        city: B,
        neighbour: A,
        stream: 'alert',
      });
      // The same for Prometheus (FederationSourceStalled reads these).
      const text = await region.metrics.get(B)?.registry.metrics();
      expect(text).toMatch(/slimstad_federation_link_stalled\{neighbour="brugge"[^}]*\} 1/);
      expect(text).toMatch(/slimstad_federation_link_up\{neighbour="brugge"[^}]*\} 1/);
      expect(text).toMatch(
        /slimstad_federation_lag_messages\{neighbour="brugge",stream="alert",direction="in"[^}]*\} [3-9]/,
      );
      expect(text).toMatch(
        /slimstad_federation_last_activity_timestamp_seconds\{neighbour="brugge",stream="alert",direction="in"[^}]*\} \d{10}/,
      );
    } finally {
      await jsm.streams.update('NEIGHBOURS', { ...info.config, sources: [source as never] });
    }
    await eventually(async () => {
      await federationB?.checkLinks();
      const got = await messagesOf(eventsB, 'FEDERATION_EVENTS', 'federation.link.up.>');
      expect(got.map((m) => m.subject)).toEqual(['federation.link.up.brugge']);
    }, 20_000);
    // Once moving again, nothing was lost and nothing doubled.
    const during = (await messagesOf(operatorB, 'NEIGHBOURS', 'neighbour.brugge.alert.cap'))
      .map((m) => Buffer.from(m.data).toString())
      .filter((t) => t.startsWith('cap during stall'));
    expect(during).toEqual(['cap during stall 0', 'cap during stall 1', 'cap during stall 2']);
  }, 60_000);
});

describe('durability', () => {
  it('the hub stops for 30 s while A publishes: B receives every message exactly once', async () => {
    const eventsA = alertingA;
    const before = (await messagesOf(operatorB, 'NEIGHBOURS', 'neighbour.brugge.alert.cap')).length;
    const sent: string[] = [];
    const publish = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const id = `outage-${sent.length}`;
        await alertingA.bus.js.publish('share.alert.cap', id, { msgID: id });
        sent.push(id);
      }
    };
    await publish(20);
    await region.stopServer('hub');
    const stoppedAt = Date.now();
    while (Date.now() - stoppedAt < 30_000) {
      await publish(10);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    // A noticed and said so.
    await eventually(async () => {
      const text = await region.metrics.get(A)?.registry.metrics();
      expect(text).toMatch(/slimstad_federation_link_up\{neighbour="kortrijk"[^}]*\} 0/);
      expect(text).toMatch(/slimstad_federation_hub_up\{[^}]*\} 0/);
      await region.federations.get(A)?.checkLinks();
      const got = await messagesOf(eventsA, 'FEDERATION_EVENTS', 'federation.link.down.>');
      expect(got.map((m) => m.subject).sort()).toEqual([
        'federation.link.down.kortrijk',
        'federation.link.down.oostende',
      ]);
    }, 10_000);
    await region.startServer('hub');
    await publish(20);
    const got = await eventually(async () => {
      const all = await messagesOf(operatorB, 'NEIGHBOURS', 'neighbour.brugge.alert.cap');
      expect(all.length - before).toBeGreaterThanOrEqual(sent.length);
      return all.slice(before);
    }, 60_000);
    const ids = got.map((m) => Buffer.from(m.data).toString());
    expect(ids.sort()).toEqual([...sent].sort());
    expect(new Set(ids).size).toBe(ids.length);
    await eventually(async () => {
      await region.federations.get(A)?.checkLinks();
      const up = await messagesOf(eventsA, 'FEDERATION_EVENTS', 'federation.link.up.>');
      expect(up.length).toBeGreaterThanOrEqual(2);
    }, 20_000);
  }, 120_000);
});

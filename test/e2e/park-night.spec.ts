// Scenario: a night in the Warandepark. The real ingest and lighting services as processes,
// the demo city's devices imported into ingest and its lighting seeded into lighting by the
// simulator's own seeding, the park's lamp controllers on the bus, and a city clock at 10×
// from 22:30. A walker crosses the park: the presence sensor at the crossing reports through
// ChirpStack over MQTT, and the lamps around the crossing rise while the far ends of the paths
// stay dimmed. A cyclist enters at the north gate: the bike counter there reports through
// gRPC, and the lamps ahead of them along the main path rise, not the side path. The energy
// report shows what presence lighting saves against lamps at full power all night.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect } from '@nats-io/transport-node';
import { createLogger, localTime } from '@slimstad/kit';
import { parseDevicesCsv, type SimDevice } from '@slimstad/simulator/domain/devices';
import { type LampFleet, startLampFleet } from '@slimstad/simulator/lamps/lamp-fleet';
import {
  DEMO_LIGHTING_FILE,
  type LayoutLamp,
  lampFleetSpecs,
  loadLightingLayout,
} from '@slimstad/simulator/lamps/layout';
import { seedLighting } from '@slimstad/simulator/lamps/lighting-seed';
import { importDevices } from '@slimstad/simulator/registry';
import { grpcPushWay } from '@slimstad/simulator/ways/grpc-push';
import { chirpstackMqttWay, connectMqtt, type MqttConnection } from '@slimstad/simulator/ways/mqtt';
import type { Way } from '@slimstad/simulator/ways/way';
import { eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastLocal, startCity, type TestCity } from './support/city.js';

const DEVICES_FILE = new URL('../../services/simulator/demo/devices.csv', import.meta.url);
const csv = readFileSync(DEVICES_FILE, 'utf8');
const devices = parseDevicesCsv(csv);
const layout = loadLightingLayout(readFileSync(DEMO_LIGHTING_FILE, 'utf8'), devices);
const PARK = layout.zones.find((z) => z.kind === 'park')!;
const parkLamps = layout.lamps.filter((l) => l.zoneId === PARK.id);
const SPEED = 10;
const log = createLogger('e2e-park', 'silent');

/** Metres between two points (equirectangular: plenty within a park). */
const metres = (a: LayoutLamp['location'], b: LayoutLamp['location']) => {
  const dy = (a.latitude - b.latitude) * 111_195;
  const dx =
    (a.longitude - b.longitude) *
    111_195 *
    Math.cos((((a.latitude + b.latitude) / 2) * Math.PI) / 180);
  return Math.hypot(dx, dy);
};

/** Path distance from a lamp to every lamp of its zone, along the lamps' neighbour links. */
function pathDistances(fromId: string): Map<string, number> {
  const byId = new Map(parkLamps.map((l) => [l.id, l]));
  const edges = new Map<string, string[]>();
  for (const l of parkLamps) {
    for (const n of l.neighbourIds) {
      edges.set(l.id, [...(edges.get(l.id) ?? []), n]);
      edges.set(n, [...(edges.get(n) ?? []), l.id]);
    }
  }
  const dist = new Map([[fromId, 0]]);
  const queue = [fromId];
  while (queue.length > 0) {
    queue.sort((a, b) => dist.get(a)! - dist.get(b)!);
    const at = queue.shift()!;
    for (const n of edges.get(at) ?? []) {
      const d = dist.get(at)! + metres(byId.get(at)!.location, byId.get(n)!.location);
      if (d < (dist.get(n) ?? Infinity)) {
        dist.set(n, d);
        queue.push(n);
      }
    }
  }
  return dist;
}

const lampOf = (detector: string) => parkLamps.find((l) => l.detectorIds.includes(detector))!;
const device = (type: string) =>
  devices.find((d) => d.type === type && lampOf(d.id) !== undefined) as SimDevice;

let city: TestCity;
let fleet: LampFleet;
let mqtt: MqttConnection;
let ways: { presence: Way; bikes: Way };
let closeNats: () => Promise<void>;
let lighting: Awaited<ReturnType<TestCity['lighting']>>;
let sequence = Math.floor(Date.now() / 1000);
/** The highest level each park lamp was commanded to, since `watch()`. */
let highest = new Map<string, number>();

beforeAll(async () => {
  city = await startCity({
    label: 'parknight',
    services: ['ingest', 'lighting'],
    clockStartMs: lastLocal('22:30', [0, 1, 2, 3, 4, 5, 6]),
    speed: SPEED,
  });
  const nc = await connect({ servers: city.natsUrl });
  closeNats = () => nc.drain();
  fleet = await startLampFleet({
    nc,
    namespace: city.namespace,
    clock: city.clock,
    lamps: lampFleetSpecs(layout),
    feedbackEveryMs: 60_000,
    onCommand: (lampId, cmd) => {
      highest.set(lampId, Math.max(highest.get(lampId) ?? 0, cmd.level));
    },
  });
  const imported = await importDevices({
    address: city.service('ingest').address,
    csv,
    token: await city.token(['operator']),
  });
  expect(imported.created).toBe(devices.length);
  await seedLighting({
    address: city.service('lighting').address,
    layout,
    token: await city.token(['admin']),
    log,
  });
  mqtt = await connectMqtt({
    url: 'mqtt://127.0.0.1:1883',
    clientId: `e2e-park-${hostname()}-${process.pid}`,
    log,
  });
  ways = {
    presence: chirpstackMqttWay(mqtt, city.namespace.prefix),
    bikes: grpcPushWay({
      address: city.service('ingest').address,
      token: () => city.token(['operator']),
    }),
  };
  lighting = await city.lighting();
  // Night in the park: every lamp acknowledged its base level.
  await eventually(async () => {
    const { states } = await lighting.listLampStates({ zoneId: PARK.id });
    expect(states).toHaveLength(parkLamps.length);
    const base = PARK.profile.weekday.baseLevel;
    expect(states.filter((s) => !(s.acknowledged && s.commandedLevel === base))).toEqual([]);
  }, 60_000);
}, 150_000);

afterAll(async () => {
  await ways?.bikes.close();
  await mqtt?.close();
  await fleet?.stop();
  await closeNats?.();
  lighting?.close();
  await city?.close();
}, 60_000);

async function report(way: Way, dev: SimDevice, values: Record<string, number | boolean>) {
  sequence += 1;
  const result = await way.send({ device: dev, values, observedAt: new Date(), sequence });
  expect(result).toEqual({ ok: true });
}

const watch = () => {
  highest = new Map();
};

/** Lamps whose level the service raised, as its API shows it, within `ms`. */
async function raisedLamps(expected: readonly string[], ms = 20_000): Promise<Set<string>> {
  const presence = PARK.profile.weekday.presenceLevel;
  const seen = new Set<string>();
  await eventually(async () => {
    const { states } = await lighting.listLampStates({ zoneId: PARK.id });
    for (const s of states) if (s.targetLevel === presence) seen.add(s.lampId);
    expect(expected.filter((id) => !seen.has(id))).toEqual([]);
  }, ms);
  return seen;
}

describe('a night in the park', () => {
  it('lights the lamps around a walker at the crossing, and leaves the ends of the paths dimmed', async () => {
    watch();
    const sensor = device('presence');
    const at = lampOf(sensor.id);
    const distance = pathDistances(at.id);
    const near = parkLamps.filter((l) => distance.get(l.id)! <= 30).map((l) => l.id);
    const far = parkLamps.filter((l) => distance.get(l.id)! > 80).map((l) => l.id);
    expect(near.length).toBeGreaterThanOrEqual(3);
    expect(far.length).toBeGreaterThanOrEqual(5);
    await report(ways.presence, sensor, { occupied: true });
    const raised = await raisedLamps(near);
    expect(far.filter((id) => raised.has(id))).toEqual([]);
    // The controllers were told, and the far lamps never rose.
    for (const id of near) expect(highest.get(id), id).toBe(PARK.profile.weekday.presenceLevel);
    for (const id of far)
      expect(highest.get(id) ?? 0, id).toBeLessThan(PARK.profile.weekday.presenceLevel);
  }, 60_000);

  it('lights the main path ahead of a cyclist entering at the gate, not the side path', async () => {
    // Let the walker's light fade first.
    await eventually(async () => {
      const { states } = await lighting.listLampStates({ zoneId: PARK.id });
      expect(states.filter((s) => s.targetLevel !== PARK.profile.weekday.baseLevel)).toEqual([]);
    }, 30_000);
    watch();
    const counter = device('bike_counter');
    const gate = lampOf(counter.id);
    const distance = pathDistances(gate.id);
    const lookAhead = PARK.profile.cyclist.distanceMeters;
    const ahead = parkLamps.filter((l) => distance.get(l.id)! <= lookAhead - 30).map((l) => l.id);
    const beyond = parkLamps.filter((l) => distance.get(l.id)! > lookAhead + 30).map((l) => l.id);
    expect(ahead.length).toBeGreaterThanOrEqual(4);
    expect(beyond.length).toBeGreaterThanOrEqual(5);
    await report(ways.bikes, counter, { bicycles: 1 });
    const raised = await raisedLamps(ahead);
    expect(beyond.filter((id) => raised.has(id))).toEqual([]);
    for (const id of beyond)
      expect(highest.get(id) ?? 0, id).toBeLessThan(PARK.profile.weekday.presenceLevel);
  }, 60_000);

  it('shows the saving against full power in the energy report', async () => {
    const today = localTime(city.clock.now(), PARK.timeZone).date;
    const started = localTime(city.clock.now() - 3_600_000, PARK.timeZone).date;
    await eventually(async () => {
      const report = await lighting.energy({ zoneId: PARK.id, fromDate: started, toDate: today });
      expect(report.usedKwh).toBeGreaterThan(0);
      expect(report.baselineKwh).toBeGreaterThan(report.usedKwh);
      // Dimmed to 20 % but for a walker and a cyclist: well over half saved.
      expect(report.savingPercent).toBeGreaterThan(50);
    }, 20_000);
  });
});

// Scenario: faults. The whole city that exists today — ingest, lighting and bollards as
// processes on their own nats-server (so it can be restarted), the demo devices, lamps and
// bollards seeded, the lamp and bollard controllers on the bus, a city clock at 10× from 22:30 —
// keeps working while ingest, lighting and bollards are killed (SIGKILL, as a crash) and
// started again, and then the nats-server is restarted, in turn: pedestrian
// counters keep pushing readings through gRPC, walkers keep crossing the park (ChirpStack over
// MQTT), residents keep driving into the pedestrian zones. Afterwards, through the public
// APIs: every reading ingest accepted is stored exactly once; every lamp's last command reached
// its controller and was acknowledged; every resident admitted passed, every bollard command
// in the audit reached its controller, and every bollard stands where the service thinks.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect } from '@nats-io/transport-node';
import { BollardState, LoopState } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { Position } from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import { createLogger } from '@slimstad/kit';
import {
  type BollardCity,
  type DriveResult,
  startBollardCity,
} from '@slimstad/simulator/bollards/bollard-city';
import {
  DEMO_BOLLARDS_FILE,
  parseBollardLayout,
} from '@slimstad/simulator/bollards/bollard-layout';
import { seedBollards } from '@slimstad/simulator/bollards/bollards-seed';
import { parseDevicesCsv, type SimDevice } from '@slimstad/simulator/domain/devices';
import { type LampFleet, startLampFleet } from '@slimstad/simulator/lamps/lamp-fleet';
import {
  DEMO_LIGHTING_FILE,
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
import {
  IDENTITY_SECRET,
  lastLocal,
  type ServiceName,
  startCity,
  type TestCity,
} from './support/city.js';

const csv = readFileSync(
  new URL('../../services/simulator/demo/devices.csv', import.meta.url),
  'utf8',
);
const devices = parseDevicesCsv(csv);
const lightingLayout = loadLightingLayout(readFileSync(DEMO_LIGHTING_FILE, 'utf8'), devices);
const bollardLayout = parseBollardLayout(readFileSync(DEMO_BOLLARDS_FILE, 'utf8'));
const counters = devices.filter((d) => d.type === 'pedestrian_counter');
const walkerSensor = devices.find((d) => d.id === 'pr-warandepark') as SimDevice;
const RESIDENT = bollardLayout.permits.find(
  (p) => p.vehicleClass === 'resident' && p.zoneIds.length === bollardLayout.zones.length,
)!;
const log = createLogger('e2e-faults', 'silent');

let city: TestCity;
let lamps: LampFleet;
let field: BollardCity;
let mqtt: MqttConnection;
let push: Way;
let walkers: Way;
let closeNats: () => Promise<void>;
const startedMs = Date.now();

/** Every counter reading sent: its value (unique), and whether ingest accepted it. */
const sent: { device: string; value: number; observedMs: number; accepted: boolean }[] = [];
const drives: { bollardId: string; result: DriveResult }[] = [];
let running = true;

async function pushReadings() {
  let value = 0;
  let lastMs = 0;
  while (running) {
    await Promise.all(
      counters.map(async (device) => {
        value += 1;
        const v = value;
        // Readings are identified by device, metric and time: one millisecond each at least.
        const observedMs = Math.max(Date.now(), lastMs + 1);
        lastMs = observedMs;
        const result = await push.send({
          device,
          values: { pedestrians: v },
          observedAt: new Date(observedMs),
          sequence: v,
        });
        sent.push({ device: device.id, value: v, observedMs, accepted: result.ok });
      }),
    );
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function walk() {
  let sequence = Math.floor(Date.now() / 1000);
  while (running) {
    sequence += 1;
    await walkers.send({
      device: walkerSensor,
      values: { occupied: true },
      observedAt: new Date(),
      sequence,
    });
    await new Promise((r) => setTimeout(r, 1_500));
  }
}

/** A resident drives in at each bollard in turn. */
let next = 0;
function resident() {
  const bollard = bollardLayout.bollards[next++ % bollardLayout.bollards.length]!;
  return field
    .drive({
      kind: 'resident',
      zoneId: bollard.zoneId,
      bollardId: bollard.id,
      badge: RESIDENT.credential,
    })
    .then((result) => drives.push({ bollardId: bollard.id, result }));
}

beforeAll(async () => {
  city = await startCity({
    label: 'faults',
    services: ['ingest', 'lighting', 'bollards'],
    clockStartMs: lastLocal('22:30', [0, 1, 2, 3, 4, 5, 6]),
    speed: 10,
    ownNats: true,
    // A command unanswered while NATS restarts is sent again for 12 s before the bollard is
    // declared in fault (the service's defaults allow 9 s; a restart here takes a few).
    env: { bollards: { BOLLARDS_ACK_TIMEOUT_MS: '2000', BOLLARDS_COMMAND_ATTEMPTS: '6' } },
  });
  const nc = await connect({
    servers: city.natsUrl,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  closeNats = () => nc.drain();
  lamps = await startLampFleet({
    nc,
    namespace: city.namespace,
    clock: city.clock,
    lamps: lampFleetSpecs(lightingLayout),
    feedbackEveryMs: 60_000,
  });
  await importDevices({
    address: city.service('ingest').address,
    csv,
    token: await city.token(['operator']),
  });
  await seedLighting({
    address: city.service('lighting').address,
    layout: lightingLayout,
    token: await city.token(['admin']),
    log,
  });
  await seedBollards({
    address: city.service('bollards').address,
    layout: bollardLayout,
    token: await city.token(['admin']),
    nowMs: city.clock.now(),
  });
  field = await startBollardCity({
    nc,
    namespace: city.namespace,
    clock: city.clock,
    layout: bollardLayout,
    secret: IDENTITY_SECRET,
    traffic: false,
    crossingMs: 1_000,
    reportEveryMs: 30_000,
  });
  mqtt = await connectMqtt({
    url: 'mqtt://127.0.0.1:1883',
    clientId: `e2e-faults-${hostname()}-${process.pid}`,
    log,
  });
  walkers = chirpstackMqttWay(mqtt, city.namespace.prefix);
  push = grpcPushWay({
    address: city.service('ingest').address,
    token: () => city.token(['operator']),
  });
  const api = await city.bollards();
  try {
    await eventually(async () => {
      const { statuses } = await api.listBollardStatus({ zoneId: '' });
      expect(statuses.filter((s) => s.loop === LoopState.LOOP_STATE_CLEAR)).toHaveLength(
        bollardLayout.bollards.length,
      );
    }, 30_000);
  } finally {
    api.close();
  }
}, 150_000);

afterAll(async () => {
  running = false;
  await push?.close();
  await mqtt?.close();
  await field?.stop();
  await lamps?.stop();
  await closeNats?.();
  await city?.close();
}, 60_000);

describe('faults', () => {
  it('loses nothing accepted while ingest, lighting and bollards crash and NATS restarts, in turn', async () => {
    const pushing = pushReadings();
    const walking = walk();
    await resident();
    for (const target of ['ingest', 'lighting', 'bollards', 'nats'] as const) {
      // A resident arrives while it goes down; another once it is back.
      const during = resident();
      if (target === 'nats') await city.restartNats();
      else await city.service(target as ServiceName).restart('SIGKILL');
      await during;
      await resident();
    }
    running = false;
    await Promise.all([pushing, walking]);

    // Readings: every accepted one stored, none twice (values are unique, their sum tells).
    const accepted = sent.filter((s) => s.accepted);
    expect(accepted.length).toBeGreaterThan(sent.length * 0.5);
    const ingest = await city.ingest();
    try {
      for (const device of counters) {
        const mine = sent.filter((s) => s.device === device.id);
        const ok = mine.filter((s) => s.accepted);
        await eventually(async () => {
          const { buckets } = await ingest.queryReadings({
            deviceId: device.id,
            metric: 'pedestrians',
            startTime: new Date(startedMs),
            endTime: new Date(Date.now() + 1_000),
            bucket: { seconds: 86_400n, nanos: 0 },
          });
          const count = buckets.reduce((n, b) => n + Number(b.count), 0);
          const sum = buckets.reduce((n, b) => n + b.avg * Number(b.count), 0);
          expect(count, device.id).toBeGreaterThanOrEqual(ok.length);
          expect(count, device.id).toBeLessThanOrEqual(mine.length);
          if (ok.length === mine.length) {
            expect(Math.round(sum)).toBe(mine.reduce((n, s) => n + s.value, 0));
          }
        }, 30_000);
      }
    } finally {
      ingest.close();
    }

    // Lamps: every lamp's last command reached its controller and was acknowledged.
    const lighting = await city.lighting();
    try {
      await eventually(async () => {
        const { states } = await lighting.listLampStates({ zoneId: '' });
        expect(states).toHaveLength(lightingLayout.lamps.length);
        // The controller obeyed the service's last command, not its own fallback.
        const wrong = states.filter((s) => {
          const c = lamps.controller(s.lampId);
          return (
            !s.acknowledged ||
            c.lastAppliedSequence !== s.commandSequence ||
            c.targetLevel !== s.commandedLevel ||
            c.fallbackActive(city.clock.now())
          );
        });
        expect(wrong.map((s) => `${s.lampId}: ${s.commandedLevel} ack=${s.acknowledged}`)).toEqual(
          [],
        );
      }, 30_000);
    } finally {
      lighting.close();
    }

    // Bollards: every resident admitted passed; every command in the audit reached its
    // controller; every bollard back up, where the service thinks it is.
    const admitted = drives.filter((d) => d.result.rule);
    expect(admitted.length).toBeGreaterThanOrEqual(5);
    expect(admitted.filter((d) => d.result.outcome !== 'passed')).toEqual([]);
    const api = await city.bollards();
    try {
      const { entries } = await api.listAuditEntries({
        zoneId: '',
        bollardId: '',
        kind: 'command',
        requestId: '',
        page: { pageSize: 1000, pageToken: '' },
      });
      expect(entries.length).toBeGreaterThan(0);
      const { entries: faults } = await api.listAuditEntries({
        zoneId: '',
        bollardId: '',
        kind: 'fault',
        requestId: '',
        page: { pageSize: 100, pageToken: '' },
      });
      expect(faults.map((f) => `${f.bollardId}: ${f.detail}`)).toEqual([]);
      const received = new Set(field.fleet.commandLog.map((c) => `${c.bollardId}#${c.sequence}`));
      expect(
        entries.map((e) => `${e.bollardId}#${e.sequence}`).filter((k) => !received.has(k)),
      ).toEqual([]);
      await eventually(async () => {
        const { statuses } = await api.listBollardStatus({ zoneId: '' });
        for (const s of statuses) {
          expect(field.fleet.controller(s.bollardId).position(city.clock.now()), s.bollardId).toBe(
            Position.POSITION_UP,
          );
          expect(s.state, s.bollardId).toBe(BollardState.BOLLARD_STATE_UP);
        }
      }, 30_000);
    } finally {
      api.close();
    }
    expect(field.fleet.stats().unsafeRaiseCommands).toBe(0);
  }, 240_000);
});

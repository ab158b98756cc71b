// The simulator against the real ingest service: both spawned as processes from their sources
// (ingest on a fresh database and its own NATS namespace, MQTT topics under that namespace on
// the shared Mosquitto), the simulator at a high speed-up. Proven through ingest's own API:
// the demo devices are registered, every device's readings arrived — so every way in worked
// (ChirpStack over MQTT, plain JSON over MQTT, TTS webhooks, gRPC PushReadings) — nothing was
// quarantined, and a second start imports nothing new. With the real lighting service beside
// them: the simulator seeds the demo lighting into it with its own admin token, and its lamp
// controllers acknowledge the service's commands on this run's NATS namespace; with the real
// bollards and waste services, it seeds the demo bollards and the demo bins and vehicles.
// controllers acknowledge the service's commands on this run's NATS namespace; likewise the
// demo bollards into bollards and the demo alert rules and sandbag points into alerting.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BollardServiceClient } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards_service';
import { LightingServiceClient } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting_service';
import { DeviceStatus } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { IngestServiceClient } from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import { DeviceRegistryServiceClient } from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import { WasteServiceClient } from '@slimstad/contracts/gen/slimstad/waste/v1/waste_service';
import { checkHealth, createClient, promisifyUnary, signToken } from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  type ServiceProcess as Service,
  startService,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DEMO_ALERTING_FILE, parseAlertingFile } from '../src/alerting/alerting-file.js';
import { DEMO_BOLLARDS_FILE, parseBollardLayout } from '../src/bollards/bollard-layout.js';
import { parseDevicesCsv } from '../src/domain/devices.js';
import { DEMO_LIGHTING_FILE, parseLightingLayout } from '../src/lamps/layout.js';
import { DEMO_WASTE_FILE, parseWasteLayout } from '../src/waste/waste-layout.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const KEY = 'simulator-int-test-key-0123456789abcdef';
const MQTT_URL = 'mqtt://127.0.0.1:1883';
const SECRETS = { chirpstack: 'cs-dev-secret-41f2', tts: 'tts-dev-secret-9a7c' };
const demoDevices = parseDevicesCsv(
  readFileSync(new URL('../demo/devices.csv', import.meta.url), 'utf8'),
);
const demoLighting = parseLightingLayout(readFileSync(DEMO_LIGHTING_FILE, 'utf8'));
const demoBollards = parseBollardLayout(readFileSync(DEMO_BOLLARDS_FILE, 'utf8'));
const demoWaste = parseWasteLayout(readFileSync(DEMO_WASTE_FILE, 'utf8'));
const demoAlerting = parseAlertingFile(readFileSync(DEMO_ALERTING_FILE, 'utf8'));
const IDENTITY_SECRET = 'simulator-int-identity-secret-0123456789';

let database: TestDatabase;
let lightingDatabase: TestDatabase;
let lighting: Service;
let lightingAddress: string;
let bollardsDatabase: TestDatabase;
let bollards: Service;
let bollardsAddress: string;
let wasteDatabase: TestDatabase;
let waste: Service;
let wasteAddress: string;
let alertingDatabase: TestDatabase;
let alerting: Service;
let alertingAddress: string;
let ns: TestNamespace;
let ingest: Service;
let grpcAddress: string;
let httpPort: number;
let ingestOpsPort: number;
const ingestClientId = () => `slimstad-ingest-${ns.namespace}`;
const simulators: Service[] = [];

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'simulator');
  lightingDatabase = await createTestDatabase(inject('databaseUrl'), 'simlight');
  bollardsDatabase = await createTestDatabase(inject('databaseUrl'), 'simbollards');
  wasteDatabase = await createTestDatabase(inject('databaseUrl'), 'simwastemain');
  alertingDatabase = await createTestDatabase(inject('databaseUrl'), 'simalerts');
  ns = createTestNamespace(inject('natsUrl'), 'simulator');
  bollards = startService(REPO, 'services/bollards/src/main.ts', {
    SERVICE_NAME: 'bollards',
    DATABASE_URL: bollardsDatabase.url,
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: ns.namespace,
    AUTH_JWT_KEY: KEY,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    BOLLARDS_IDENTITY_SECRET: IDENTITY_SECRET,
  });
  waste = startService(REPO, 'services/waste/src/main.ts', {
    SERVICE_NAME: 'waste',
    DATABASE_URL: wasteDatabase.url,
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: ns.namespace,
    AUTH_JWT_KEY: KEY,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  });
  // Lighting starts beside ingest, as the launcher starts them, on the system clock.
  lighting = startService(REPO, 'services/lighting/src/main.ts', {
    SERVICE_NAME: 'lighting',
    DATABASE_URL: lightingDatabase.url,
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: ns.namespace,
    AUTH_JWT_KEY: KEY,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  });
  // Port 0 everywhere and the bound ports read from the log: a port probed free and bound later
  // can be taken in between by a test file running in parallel.
  ingest = startService(REPO, 'services/ingest/src/main.ts', {
    SERVICE_NAME: 'ingest',
    DATABASE_URL: database.url,
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: ns.namespace,
    AUTH_JWT_KEY: KEY,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    HTTP_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    MUNICIPALITY_CODE: 'demo',
    MQTT_URL,
    // Mosquitto is shared with other runs: this run's topics and session only.
    MQTT_CHIRPSTACK_TOPIC: `${ns.namespace}/application/+/device/+/event/up`,
    MQTT_JSON_TOPIC: `${ns.namespace}/slimstad/readings/+`,
    MQTT_CONNECTIONS: '1',
    MQTT_CLIENT_ID: ingestClientId(),
    WEBHOOK_SECRETS: `chirpstack=${SECRETS.chirpstack},tts=${SECRETS.tts}`,
  });
  ingestOpsPort = Number((await ingest.logLine('runtime started', 40_000)).opsPort);
  grpcAddress = `127.0.0.1:${Number((await ingest.logLine('gRPC serving', 40_000)).port)}`;
  httpPort = Number((await ingest.logLine('ingest ready', 40_000)).httpPort);
  await vi.waitFor(
    async () => {
      if (ingest.child.exitCode !== null) {
        throw new Error(`ingest exited:\n${ingest.output.slice(-20).join('\n')}`);
      }
      expect(await checkHealth(grpcAddress, '', { timeoutMs: 1_000 })).toBe('SERVING');
    },
    { timeout: 40_000, interval: 250 },
  );
  // Alerting consumes ingest's streams: it starts once ingest has declared them.
  alerting = startService(REPO, 'services/alerting/src/main.ts', {
    SERVICE_NAME: 'alerting',
    DATABASE_URL: alertingDatabase.url,
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: ns.namespace,
    AUTH_JWT_KEY: KEY,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    HTTP_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  });
  lightingAddress = `127.0.0.1:${Number((await lighting.logLine('gRPC serving', 40_000)).port)}`;
  bollardsAddress = `127.0.0.1:${Number((await bollards.logLine('gRPC serving', 40_000)).port)}`;
  wasteAddress = `127.0.0.1:${Number((await waste.logLine('gRPC serving', 40_000)).port)}`;
  alertingAddress = `127.0.0.1:${Number((await alerting.logLine('gRPC serving', 40_000)).port)}`;
}, 90_000);

afterAll(async () => {
  for (const simulator of simulators) await simulator.stop();
  await lighting?.stop();
  await bollards?.stop();
  await waste?.stop();
  await alerting?.stop();
  await ingest?.stop();
  if (ns) {
    // Drop ingest's persistent MQTT session from the shared broker.
    const client = await connectAsync(MQTT_URL, {
      clientId: ingestClientId(),
      clean: true,
      protocolVersion: 5,
    }).catch(() => undefined);
    await client?.endAsync();
    await ns.cleanup();
  }
  await database?.drop();
  await lightingDatabase?.drop();
  await bollardsDatabase?.drop();
  await wasteDatabase?.drop();
  await alertingDatabase?.drop();
}, 30_000);

async function startSimulator(): Promise<Service> {
  const simulator = startService(REPO, 'services/simulator/src/main.ts', {
    SERVICE_NAME: 'simulator',
    AUTH_JWT_KEY: KEY,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    INGEST_GRPC_ADDRESS: grpcAddress,
    INGEST_TTS_WEBHOOK_URL: `http://127.0.0.1:${httpPort}/webhooks/tts`,
    SIMULATOR_TTS_SECRET: SECRETS.tts,
    MQTT_URL,
    SIMULATOR_MQTT_TOPIC_PREFIX: ns.namespace,
    // An hour of the town per real second; every device at least every 0.5 s.
    SIMULATOR_SPEEDUP: '3600',
    SIMULATOR_MIN_INTERVAL_MS: '500',
    // The demo lamps: seeded into lighting, their controllers on this run's namespace.
    LIGHTING_GRPC_ADDRESS: lightingAddress,
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: ns.namespace,
    // The demo bollards: seeded into the service, their controllers and traffic on the bus.
    BOLLARDS_GRPC_ADDRESS: bollardsAddress,
    BOLLARDS_IDENTITY_SECRET: IDENTITY_SECRET,
    // The demo bins and vehicles: seeded into waste.
    WASTE_GRPC_ADDRESS: wasteAddress,
    // The demo alert rules and sandbag points: seeded into alerting.
    ALERTING_GRPC_ADDRESS: alertingAddress,
  });
  simulators.push(simulator);
  return simulator;
}

async function clients() {
  const token = await signToken({ key: KEY, subject: 'int-test', roles: ['viewer'] });
  const registry = createClient(DeviceRegistryServiceClient, grpcAddress, {
    token,
    deadlineMs: 10_000,
  });
  const readings = createClient(IngestServiceClient, grpcAddress, { token, deadlineMs: 10_000 });
  return {
    listDevices: promisifyUnary(registry, registry.listDevices),
    latest: promisifyUnary(readings, readings.getLatestReadings),
    quarantine: promisifyUnary(readings, readings.listQuarantine),
    close() {
      registry.close();
      readings.close();
    },
  };
}

async function lightingClient() {
  const token = await signToken({ key: KEY, subject: 'int-test', roles: ['viewer'] });
  const client = createClient(LightingServiceClient, lightingAddress, {
    token,
    deadlineMs: 10_000,
  });
  return {
    listLampStates: promisifyUnary(client, client.listLampStates),
    close: () => client.close(),
  };
}

async function bollardsClient() {
  const token = await signToken({ key: KEY, subject: 'int-test', roles: ['viewer'] });
  const client = createClient(BollardServiceClient, bollardsAddress, {
    token,
    deadlineMs: 10_000,
  });
  return {
    listBollardStatus: promisifyUnary(client, client.listBollardStatus),
    close: () => client.close(),
  };
}

async function wasteClient() {
  const token = await signToken({ key: KEY, subject: 'int-test', roles: ['viewer'] });
  const client = createClient(WasteServiceClient, wasteAddress, { token, deadlineMs: 10_000 });
  return {
    listBins: promisifyUnary(client, client.listBins),
    listVehicles: promisifyUnary(client, client.listVehicles),
    close: () => client.close(),
  };
}

const metricValue = (text: string, name: string, labels: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('the simulator against the real ingest service', () => {
  it('registers the demo devices and delivers readings through every way in', async () => {
    const simulator = await startSimulator();
    const imported = await simulator.logLine('devices imported into the registry', 60_000);
    expect(imported).toMatchObject({ created: demoDevices.length, updated: 0, unchanged: 0 });
    await simulator.logLine('simulating the demo devices');

    const api = await clients();
    try {
      const { devices } = await api.listDevices({
        page: { pageSize: 100, pageToken: '' },
        type: 0,
        zone: '',
        status: DeviceStatus.DEVICE_STATUS_ACTIVE,
      });
      expect(devices.map((d) => d.id).sort()).toEqual(demoDevices.map((d) => d.id).sort());
      expect(new Set(devices.map((d) => d.municipalityCode))).toEqual(new Set(['demo']));

      // Every metric of every device has a latest reading: each device reports through the way
      // of its network, so all four ways delivered.
      const expected = demoDevices.flatMap((d) => d.metrics.map((m) => `${d.id}/${m.name}`));
      const latest = await vi.waitFor(
        async () => {
          const { readings } = await api.latest({
            deviceIds: demoDevices.map((d) => d.id),
            zone: '',
            deviceType: 0,
          });
          const seen = new Set(readings.map((r) => `${r.deviceId}/${r.metric}`));
          expect(expected.filter((k) => !seen.has(k))).toEqual([]);
          return readings;
        },
        { timeout: 15_000, interval: 500 },
      );
      const byNetwork = new Map<string, number>();
      for (const reading of latest) {
        const device = demoDevices.find((d) => d.id === reading.deviceId)!;
        byNetwork.set(device.network, (byNetwork.get(device.network) ?? 0) + 1);
        const spec = device.metrics.find((m) => m.name === reading.metric)!;
        expect(reading.unit).toBe(spec.unit);
        expect(reading.value).toBeGreaterThanOrEqual(spec.min ?? -Infinity);
        expect(reading.value).toBeLessThanOrEqual(spec.max ?? Infinity);
        expect(Date.now() - reading.observedAt!.getTime()).toBeLessThan(60_000);
      }
      expect([...byNetwork.keys()].sort()).toEqual([
        'grpc',
        'lorawan_chirpstack',
        'lorawan_tts',
        'mqtt',
      ]);

      // The edges counted the deliveries the simulator made.
      const metrics = await (await fetch(`http://127.0.0.1:${ingestOpsPort}/metrics`)).text();
      for (const edge of ['mqtt_chirpstack', 'mqtt_json', 'webhook_tts']) {
        expect(
          metricValue(metrics, 'slimstad_ingest_edge_readings_total', `edge="${edge}"`),
          edge,
        ).toBeGreaterThan(0);
      }

      // Nothing was refused: plausible values, declared metrics and units, known devices.
      const { entries } = await api.quarantine({
        page: { pageSize: 10, pageToken: '' },
        filter: undefined,
      });
      expect(entries.map((e) => `${e.deviceId}: ${e.detail}`)).toEqual([]);
    } finally {
      api.close();
    }

    // The demo lighting: seeded with the simulator's admin token, and every lamp's controller
    // acknowledged its command.
    const listening = await simulator.logLine('lamp controllers listening');
    expect(listening).toMatchObject({ lamps: demoLighting.lamps.length });
    const seeded = await simulator.logLine('lighting layout seeded', 30_000);
    expect(seeded).toMatchObject({
      zones: { created: 2, updated: 0, unchanged: 0 },
      lamps: { created: demoLighting.lamps.length, updated: 0, unchanged: 0 },
      profiles: { set: 2, kept: 0 },
    });
    const lightingApi = await lightingClient();
    try {
      await vi.waitFor(
        async () => {
          const { states } = await lightingApi.listLampStates({ zoneId: '' });
          expect(states).toHaveLength(demoLighting.lamps.length);
          expect(states.filter((s) => !s.acknowledged).map((s) => s.lampId)).toEqual([]);
        },
        { timeout: 15_000, interval: 250 },
      );
    } finally {
      lightingApi.close();
    }
    // The demo bollards: zones, bollards and permits seeded, and every bollard's controller
    // reported, so the service knows where each stands and what its loop sees.
    expect(await simulator.logLine('bollards seeded', 30_000)).toMatchObject({
      zones: { created: demoBollards.zones.length, unchanged: 0 },
      bollards: { created: demoBollards.bollards.length, unchanged: 0 },
      permits: { created: demoBollards.permits.length, unchanged: 0 },
    });
    await simulator.logLine('bollard controllers and traffic playing');
    // The demo alerting: every rule and resource point created, and only then ready.
    expect(await simulator.logLine('alert rules and resource points seeded', 30_000)).toMatchObject(
      {
        rules: { created: demoAlerting.rules.length, unchanged: 0, kept: 0 },
        resourcePoints: { created: demoAlerting.resourcePoints.length, unchanged: 0, kept: 0 },
      },
    );
    const bollardsApi = await bollardsClient();
    try {
      await vi.waitFor(
        async () => {
          const { statuses } = await bollardsApi.listBollardStatus({ zoneId: '' });
          expect(statuses.map((s) => `${s.bollardId}:${s.loop}`).sort()).toEqual(
            demoBollards.bollards.map((b) => `${b.id}:1`).sort(), // LOOP_STATE_CLEAR
          );
        },
        { timeout: 15_000, interval: 250 },
      );
    } finally {
      bollardsApi.close();
    }
    // The demo bins and vehicles, seeded with the simulator's admin token.
    expect(await simulator.logLine('waste bins and vehicles seeded', 30_000)).toMatchObject({
      vehicles: { created: demoWaste.vehicles.length, updated: 0, unchanged: 0 },
      bins: { created: demoWaste.bins.length, updated: 0, unchanged: 0 },
    });
    const wasteApi = await wasteClient();
    try {
      const { bins } = await wasteApi.listBins({ stream: 0, page: undefined });
      expect(bins.map((b) => b.id)).toEqual(demoWaste.bins.map((b) => b.id).sort());
      const { vehicles } = await wasteApi.listVehicles({ page: undefined });
      expect(vehicles.map((v) => v.id)).toEqual(demoWaste.vehicles.map((v) => v.id).sort());
    } finally {
      wasteApi.close();
    }
    // SIGTERM: a graceful stop with exit code 0.
    expect(await simulator.stop()).toBe(0);
    expect(simulator.logs.map((l) => l.msg)).toContain('shutdown complete');
  }, 90_000);

  it('imports nothing new on a second start', async () => {
    const simulator = await startSimulator();
    const imported = await simulator.logLine('devices imported into the registry', 60_000);
    expect(imported).toMatchObject({ created: 0, updated: 0, unchanged: demoDevices.length });
    await simulator.logLine('simulating the demo devices');
    expect(await simulator.logLine('lighting layout seeded', 30_000)).toMatchObject({
      zones: { created: 0, updated: 0, unchanged: 2 },
      lamps: { created: 0, updated: 0, unchanged: demoLighting.lamps.length },
      profiles: { set: 0, kept: 2 },
    });
    expect(await simulator.logLine('bollards seeded', 30_000)).toMatchObject({
      zones: { created: 0, unchanged: demoBollards.zones.length },
      bollards: { created: 0, unchanged: demoBollards.bollards.length },
      permits: { created: 0, unchanged: demoBollards.permits.length },
    });
    expect(await simulator.logLine('waste bins and vehicles seeded', 30_000)).toMatchObject({
      vehicles: { created: 0, updated: 0, unchanged: demoWaste.vehicles.length },
      bins: { created: 0, updated: 0, unchanged: demoWaste.bins.length },
    });
    expect(await simulator.logLine('alert rules and resource points seeded', 30_000)).toMatchObject(
      {
        rules: { created: 0, unchanged: demoAlerting.rules.length, kept: 0 },
        resourcePoints: { created: 0, unchanged: demoAlerting.resourcePoints.length, kept: 0 },
      },
    );
    const code = await simulator.stop();
    // On failure, the shutdown steps that did finish say which one hung.
    const steps = simulator.logs.filter((l) => l.msg === 'shutdown step done').map((l) => l.step);
    expect({ code, steps }).toMatchObject({ code: 0 });
  }, 90_000);
});

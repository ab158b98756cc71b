// The waste service as a real process (main.ts from its sources): it starts from its
// environment, plans in its worker thread, and after a SIGKILL — nothing flushed, nothing
// drained — a new process has the bins, the vehicles, the fill models and the plans, and keeps
// consuming readings where the durable consumer left off.
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { ReadingRecorded, sensorStreams, wasteStreams } from '@slimstad/contracts';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { WasteStream } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { WasteServiceClient } from '@slimstad/contracts/gen/slimstad/waste/v1/waste_service';
import { Bus, createClient, createLogger, signToken } from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  eventually,
  type ServiceProcess,
  startService,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clientOf, type WasteApi } from './support/waste-fixture.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const KEY = 'waste-process-secret-0123456789abcdef';
const GLASS = WasteStream.WASTE_STREAM_GLASS;
// The city clock starts Monday 7 December 2026, 05:00 in Brussels, at real speed.
const START = '2026-12-07T04:00:00Z';

let testDb: TestDatabase;
let ns: TestNamespace;
let bus: Bus;
const processes: ServiceProcess[] = [];
const closers: (() => unknown)[] = [];

function startWasteProcess(): ServiceProcess {
  const service = startService(REPO, 'services/waste/src/main.ts', {
    SERVICE_NAME: 'waste',
    DATABASE_URL: testDb.url,
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: ns.namespace,
    AUTH_JWT_KEY: KEY,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    CLOCK_START: START,
  });
  processes.push(service);
  return service;
}

async function apiOf(service: ServiceProcess, roles: ('admin' | 'operator')[]): Promise<WasteApi> {
  const port = Number((await service.logLine('gRPC serving', 60_000)).port);
  const token = await signToken({ key: KEY, subject: 'ada', roles });
  const client = createClient(WasteServiceClient, `127.0.0.1:${port}`, {
    token,
    deadlineMs: 30_000,
  });
  closers.push(() => client.close());
  return clientOf(client);
}

async function reading(device: string, at: number, value: number, sequence: bigint) {
  await bus.publish(
    ReadingRecorded,
    { type: 'bin_fill', device },
    Reading.fromPartial({
      deviceId: device,
      metric: 'fill_level',
      unit: '%',
      value,
      observedAt: new Date(at),
      sequence,
      deviceType: DeviceType.DEVICE_TYPE_BIN_FILL,
    }),
    { msgId: `${device}:${sequence}` },
  );
}

beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'), 'waste_process');
  ns = createTestNamespace(inject('natsUrl'), 'waste_process');
  const nc = await connect({ servers: inject('natsUrl') });
  bus = await Bus.create(nc, {
    namespace: ns.namespace,
    log: createLogger('waste-process-test', 'silent'),
  });
  await bus.declareStreams(...wasteStreams, ...sensorStreams);
});

afterAll(async () => {
  for (const close of closers) await close();
  for (const p of processes) await p.stop();
  await bus?.drain();
  await ns?.cleanup();
  await testDb?.drop();
});

describe('the waste process', () => {
  it('keeps everything across a SIGKILL', { timeout: 180_000 }, async () => {
    const first = startWasteProcess();
    const api = await apiOf(first, ['admin']);
    await api.createVehicle({
      vehicle: {
        id: 'glass-1',
        name: 'Glass truck',
        streams: [GLASS],
        capacityLitres: 10_000,
        capacityKg: 5_000,
        depot: { latitude: 51.04, longitude: 3.7 },
        unloadLocation: undefined,
        shiftStartMinute: 420,
        shiftEndMinute: 900,
        maxRouteMinutes: 0,
        serviceSeconds: 120,
        unloadSeconds: 600,
        version: 0n,
      },
    });
    await api.createBin({
      bin: {
        id: 'g1',
        name: 'Glass 1',
        location: { latitude: 51.05, longitude: 3.72 },
        volumeLitres: 2500,
        stream: GLASS,
        deviceId: 'sensor-g1',
        accessWindow: undefined,
        mustVisit: false,
        version: 0n,
        createTime: undefined,
      },
    });
    const t0 = Date.parse(START) - 6 * 3_600_000;
    for (let h = 0; h < 6; h++)
      await reading('sensor-g1', t0 + h * 3_600_000, 60 + 4 * h, BigInt(h + 1));
    await eventually(
      async () => expect((await api.getBin({ binId: 'g1' })).fill?.measuredPercent).toBe(80),
      20_000,
    );
    const { plan } = await api.planRoutes({
      stream: GLASS,
      shiftDate: '2026-12-07',
      vehicleIds: [],
      timeLimitMs: 2_000,
      seed: 0,
    });
    // The bin, then the unload before going home.
    expect(plan?.routes[0]?.visits.map((v) => (v.unload ? 'unload' : v.binId))).toEqual([
      'g1',
      'unload',
    ]);
    const before = await api.getBin({ binId: 'g1' });

    first.child.kill('SIGKILL');
    await first.exited;
    // While it is down a reading arrives; the durable consumer keeps it for the next process.
    await reading('sensor-g1', t0 + 6 * 3_600_000, 85, 7n);

    const second = startWasteProcess();
    const again = await apiOf(second, ['admin', 'operator']);
    const after = await again.getBin({ binId: 'g1' });
    expect(after.bin).toEqual(before.bin);
    expect((await again.listVehicles({ page: undefined })).vehicles.map((v) => v.id)).toEqual([
      'glass-1',
    ]);
    expect(
      (await again.getPlan({ planId: plan?.id ?? '' })).plan?.routes[0]?.visits[0]?.binId,
    ).toBe('g1');
    await eventually(async () => {
      const { fill } = await again.getBin({ binId: 'g1' });
      expect(fill?.measuredPercent).toBe(85);
      // The rate learnt before the kill carries on (4 %/h, pulled a little by the prior).
      expect(fill?.ratePercentPerHour).toBeGreaterThan(3);
    }, 20_000);
  });
});

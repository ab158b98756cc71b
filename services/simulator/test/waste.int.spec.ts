// The demo waste against the real waste service, spawned as a process from its sources (a
// fresh database, its own NATS namespace, a city clock at 05:00 on a Monday): the file's
// vehicles and bins are seeded through WasteService with the simulator's own admin token,
// seeding again changes nothing, a bin or vehicle edited away from the file is put back while
// what the file does not name is left alone, refusals name what failed, and what is seeded is
// enough to plan the morning shift of every stream.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VisitStatus } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { WasteServiceClient } from '@slimstad/contracts/gen/slimstad/waste/v1/waste_service';
import { createClient, createLogger, promisifyUnary, signToken } from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  type ServiceProcess,
  startService,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDevicesCsv } from '../src/domain/devices.js';
import { waitForServing } from '../src/registry.js';
import { TokenSource } from '../src/tokens.js';
import {
  binMessage,
  DEMO_WASTE_FILE,
  loadWasteLayout,
  STREAMS,
  vehicleMessage,
  type WasteLayout,
} from '../src/waste/waste-layout.js';
import { sameBin, sameVehicle, seedWaste } from '../src/waste/waste-seed.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const KEY = 'simulator-waste-int-test-key-0123456789';
const log = createLogger('simulator-waste-test', 'silent');
const devices = parseDevicesCsv(
  readFileSync(new URL('../demo/devices.csv', import.meta.url), 'utf8'),
);
const layout = loadWasteLayout(readFileSync(DEMO_WASTE_FILE, 'utf8'), devices);
// Monday 7 December 2026, 05:00 in Brussels: the trucks leave at 06:00.
const START = '2026-12-07T04:00:00Z';
const SHIFT_DATE = '2026-12-07';

let database: TestDatabase;
let ns: TestNamespace;
let waste: ServiceProcess;
let address: string;
let api: Awaited<ReturnType<typeof operatorApi>>;

/** What an operator with the admin role does through WasteService. */
async function operatorApi() {
  const token = await signToken({ key: KEY, subject: 'olga', roles: ['admin'] });
  const client = createClient(WasteServiceClient, address, { token, deadlineMs: 30_000 });
  return {
    listBins: promisifyUnary(client, client.listBins),
    createBin: promisifyUnary(client, client.createBin),
    updateBin: promisifyUnary(client, client.updateBin),
    listVehicles: promisifyUnary(client, client.listVehicles),
    updateVehicle: promisifyUnary(client, client.updateVehicle),
    setMustVisit: promisifyUnary(client, client.setMustVisit),
    planRoutes: promisifyUnary(client, client.planRoutes),
    close: () => client.close(),
  };
}

/** Seeds with the token the simulator signs for itself (subject simulator, role admin). */
const seed = async (file: WasteLayout = layout, roles: ('admin' | 'viewer')[] = ['admin']) =>
  seedWaste({
    address,
    layout: file,
    log,
    attempts: 2,
    token: await TokenSource.signed({
      key: KEY,
      issuer: 'slimstad',
      audience: 'slimstad',
      roles,
    }).get(),
  });

const stored = async () => {
  const { bins } = await api.listBins({ stream: 0, page: { pageSize: 1000, pageToken: '' } });
  const { vehicles } = await api.listVehicles({ page: { pageSize: 1000, pageToken: '' } });
  return { bins, vehicles };
};
const versions = async () => {
  const { bins, vehicles } = await stored();
  return {
    bins: Object.fromEntries(bins.map((b) => [b.id, b.version])),
    vehicles: Object.fromEntries(vehicles.map((v) => [v.id, v.version])),
  };
};

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'simwaste');
  ns = createTestNamespace(inject('natsUrl'), 'simwaste');
  waste = startService(REPO, 'services/waste/src/main.ts', {
    SERVICE_NAME: 'waste',
    DATABASE_URL: database.url,
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: ns.namespace,
    AUTH_JWT_KEY: KEY,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    CLOCK_START: START,
    WASTE_SOLVE_TIME_LIMIT_MS: '2000',
  });
  address = `127.0.0.1:${Number((await waste.logLine('gRPC serving', 60_000)).port)}`;
  await waitForServing({
    service: 'waste',
    variable: 'WASTE_GRPC_ADDRESS',
    address,
    timeoutMs: 60_000,
    pollMs: 250,
    log,
  });
  api = await operatorApi();
}, 90_000);

afterAll(async () => {
  api?.close();
  await waste?.stop();
  await ns?.cleanup();
  await database?.drop();
}, 30_000);

describe('the demo waste in the real waste service', () => {
  it('seeds the vehicles and the bins as in the file', async () => {
    expect(await seed()).toEqual({
      vehicles: { created: layout.vehicles.length, updated: 0, unchanged: 0 },
      bins: { created: layout.bins.length, updated: 0, unchanged: 0 },
    });
    const { bins, vehicles } = await stored();
    expect(bins.map((b) => b.id)).toEqual(layout.bins.map((b) => b.id).sort());
    for (const bin of layout.bins) {
      expect(sameBin(bins.find((b) => b.id === bin.id)!, binMessage(bin)), bin.id).toBe(true);
    }
    expect(vehicles.map((v) => v.id)).toEqual(layout.vehicles.map((v) => v.id).sort());
    for (const v of layout.vehicles) {
      expect(sameVehicle(vehicles.find((x) => x.id === v.id)!, vehicleMessage(v)), v.id).toBe(true);
    }
  });

  it('changes nothing when seeded again', async () => {
    const before = await versions();
    expect(await seed()).toEqual({
      vehicles: { created: 0, updated: 0, unchanged: layout.vehicles.length },
      bins: { created: 0, updated: 0, unchanged: layout.bins.length },
    });
    expect(await versions()).toEqual(before);
  });

  it('puts back a bin and a vehicle edited away from the file, and leaves the rest alone', async () => {
    const { bins, vehicles } = await stored();
    const bin = bins.find((b) => b.id === 'bin-beenhouwers')!;
    await api.updateBin({ bin: { ...bin, volumeLitres: 120, accessWindow: undefined } });
    const truck = vehicles.find((v) => v.id === 'centrum-rest')!;
    await api.updateVehicle({ vehicle: { ...truck, capacityLitres: 2000 } });
    // A bin an operator added, which the file does not name.
    await api.createBin({
      bin: { ...binMessage(layout.bins[0]!), id: 'kiosk-muntplein', deviceId: 'kiosk-sensor' },
    });
    const before = await versions();

    expect(await seed()).toEqual({
      vehicles: { created: 0, updated: 1, unchanged: layout.vehicles.length - 1 },
      bins: { created: 0, updated: 1, unchanged: layout.bins.length - 1 },
    });
    const after = await stored();
    const file = layout.bins.find((b) => b.id === 'bin-beenhouwers')!;
    expect(sameBin(after.bins.find((b) => b.id === file.id)!, binMessage(file))).toBe(true);
    const rest = layout.vehicles.find((v) => v.id === 'centrum-rest')!;
    expect(sameVehicle(after.vehicles.find((v) => v.id === rest.id)!, vehicleMessage(rest))).toBe(
      true,
    );
    const now = await versions();
    expect(now.bins['kiosk-muntplein']).toBe(before.bins['kiosk-muntplein']);
    expect(now.bins['bin-beenhouwers']).toBe(before.bins['bin-beenhouwers']! + 1n);
    expect(now.vehicles['centrum-recyclage']).toBe(before.vehicles['centrum-recyclage']);
  });

  it('names the vehicle or bin and the reason when the service refuses', async () => {
    const withSweeper: WasteLayout = {
      ...layout,
      vehicles: [
        ...layout.vehicles,
        { ...layout.vehicles[0]!, id: 'veegwagen-1', name: 'Veegwagen' },
      ],
    };
    await expect(seed(withSweeper, ['viewer'])).rejects.toThrow(
      /^seeding the waste bins and vehicles: creating vehicle veegwagen-1: PERMISSION_DENIED: .*\(seeding the waste bins and vehicles needs a token with the admin role\)$/,
    );
    // A second bin on a sensor the demo's Beenhouwersstraat bin already has.
    const twice: WasteLayout = {
      ...layout,
      bins: [
        ...layout.bins,
        { ...layout.bins[2]!, id: 'bin-beenhouwers-2', deviceId: 'bin-beenhouwers' },
      ],
    };
    expect(layout.bins[2]!.id).toBe('bin-beenhouwers');
    await expect(seed(twice)).rejects.toThrow(
      /^seeding the waste bins and vehicles: creating bin bin-beenhouwers-2: INVALID_ARGUMENT: .*bin\.device_id is already the sensor of bin bin-beenhouwers/,
    );
  });

  it('is enough to plan the morning shift of every stream', async () => {
    for (const bin of layout.bins) {
      await api.setMustVisit({ binId: bin.id, mustVisit: true, reason: 'demo round' });
    }
    const capacity = new Map(layout.vehicles.map((v) => [v.id, v.capacityLitres]));
    for (const stream of new Set(layout.bins.map((b) => b.stream))) {
      const { plan } = await api.planRoutes({
        stream: STREAMS[stream],
        shiftDate: SHIFT_DATE,
        vehicleIds: [],
        timeLimitMs: 0,
        seed: 0,
      });
      const visited = plan!.routes.flatMap((r) =>
        r.visits.filter((v) => !v.unload).map((v) => v.binId),
      );
      expect(plan!.unassigned, stream).toEqual([]);
      expect(visited.sort(), stream).toEqual(
        layout.bins
          .filter((b) => b.stream === stream)
          .map((b) => b.id)
          .sort(),
      );
      for (const route of plan!.routes) {
        expect(route.startTime!.toISOString() >= '2026-12-07T05:00:00.000Z').toBe(true); // 06:00
        for (const visit of route.visits) {
          expect(visit.status).toBe(VisitStatus.VISIT_STATUS_PLANNED);
          expect(visit.loadLitres).toBeLessThanOrEqual(capacity.get(route.vehicleId)! + 1e-6);
        }
      }
      expect(plan!.stream).toBe(STREAMS[stream]);
    }
  }, 60_000);
});

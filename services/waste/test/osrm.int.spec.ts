// The service planning on an OSRM-compatible `/table` service run on loopback, and falling
// back to great-circle estimates (saying so in the plan, the log and a metric) when it stops
// answering.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WasteStream } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWasteFixture, type WasteApi, type WasteFixture } from './support/waste-fixture.js';

const NOW = Date.parse('2026-12-07T04:00:00Z');
const PAPER = WasteStream.WASTE_STREAM_PAPER;

let f: WasteFixture;
let osrm: Server;
const requests: string[] = [];

beforeAll(async () => {
  // Every hop between two points is 1 km and 2 minutes, whatever the map says.
  osrm = createServer((req, res) => {
    requests.push(req.url ?? '');
    const coords = /^\/table\/v1\/driving\/([^?]+)\?/.exec(req.url ?? '')?.[1]?.split(';') ?? [];
    const table = (k: number) => coords.map((_, i) => coords.map((__, j) => (i === j ? 0 : k)));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ code: 'Ok', durations: table(120), distances: table(1000) }));
  });
  await new Promise<void>((resolve) => osrm.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(osrm.address() as AddressInfo).port}`;
  f = await startWasteFixture('waste_osrm', new Date(NOW).toISOString(), {
    WASTE_OSRM_URL: url,
    WASTE_OSRM_TIMEOUT_MS: 1_000,
  });
});
afterAll(async () => {
  await f?.close();
  osrm?.closeAllConnections();
  await new Promise((resolve) => osrm?.close(resolve));
});

describe('travel times from OSRM', () => {
  let admin: WasteApi;
  let operator: WasteApi;

  it('plans on the OSRM table', async () => {
    admin = await f.api(['admin'], 'ada');
    operator = await f.api(['operator'], 'otto');
    await admin.createVehicle({
      vehicle: {
        id: 'paper-1',
        name: 'Paper truck',
        streams: [PAPER],
        capacityLitres: 20_000,
        capacityKg: 9_000,
        depot: { latitude: 51.04, longitude: 3.7 },
        unloadLocation: undefined,
        shiftStartMinute: 420,
        shiftEndMinute: 900,
        maxRouteMinutes: 0,
        serviceSeconds: 60,
        unloadSeconds: 0,
        version: 0n,
      },
    });
    for (const [i, id] of ['p1', 'p2'].entries()) {
      await admin.createBin({
        bin: {
          id,
          name: id,
          location: { latitude: 51.05 + i / 100, longitude: 3.72 },
          volumeLitres: 2500,
          stream: PAPER,
          deviceId: id,
          accessWindow: undefined,
          mustVisit: false,
          version: 0n,
          createTime: undefined,
        },
      });
      await operator.setMustVisit({ binId: id, mustVisit: true, reason: 'test' });
    }
    const { plan } = await operator.planRoutes({
      stream: PAPER,
      shiftDate: '2026-12-07',
      vehicleIds: [],
      timeLimitMs: 0,
      seed: 0,
    });
    expect(plan?.matrixSource).toBe('osrm');
    expect(requests.at(-1)).toBe(
      '/table/v1/driving/3.700000,51.040000;3.720000,51.050000;3.720000,51.060000?annotations=duration,distance',
    );
    // depot → p? → p? → depot: three hops of 1 km and 2 min each, 1 min of service per bin.
    expect(plan?.distanceMeters).toBe(3000);
    const route = plan?.routes[0];
    expect((route?.endTime?.getTime() ?? 0) - (route?.startTime?.getTime() ?? 0)).toBe(
      (3 * 120 + 2 * 60) * 1000,
    );
    expect(route?.startTime?.getTime()).toBeGreaterThanOrEqual(Date.parse('2026-12-07T06:00:00Z'));
  });

  it('falls back to great-circle when OSRM stops answering, and says so', async () => {
    osrm.closeAllConnections();
    await new Promise((resolve) => osrm.close(resolve));
    const { plan } = await operator.planRoutes({
      stream: PAPER,
      shiftDate: '2026-12-07',
      vehicleIds: [],
      timeLimitMs: 0,
      seed: 0,
    });
    expect(plan?.matrixSource).toMatch(/^great-circle \(osrm failed: .+\)$/);
    // Both bins, then the unload before going home.
    expect(plan?.routes[0]?.visits.filter((v) => !v.unload)).toHaveLength(2);
    expect(plan?.distanceMeters).not.toBe(3000);
    expect(await f.metrics.registry.metrics()).toMatch(
      /slimstad_waste_matrix_fallbacks_total\{[^}]*\} 1\n/,
    );
  });
});

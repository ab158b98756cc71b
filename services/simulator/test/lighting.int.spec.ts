// The demo lighting against the real lighting service, spawned as a process from its sources
// (a fresh database, its own NATS namespace, the system clock): the layout is seeded through
// LightingService with the simulator's own admin token, the simulated controllers of every
// demo lamp answer the service's commands on the bus, seeding again changes nothing, and an
// operator's profile survives a seeding while a lamp edited away from the file is put back.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LampStatus } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { LightingServiceClient } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting_service';
import {
  connectNats,
  createClient,
  createLogger,
  Namespace,
  promisifyUnary,
  signToken,
  systemClock,
} from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  type ServiceProcess,
  startService,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { type LampFleet, type NatsConnection, startLampFleet } from '../src/lamps/lamp-fleet.js';
import {
  DEMO_LIGHTING_FILE,
  lampFleetSpecs,
  lampMessage,
  parseLightingLayout,
} from '../src/lamps/layout.js';
import { type SeedSummary, sameLamp, seedLighting } from '../src/lamps/lighting-seed.js';
import { waitForServing } from '../src/registry.js';
import { TokenSource } from '../src/tokens.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const KEY = 'simulator-lighting-int-test-key-0123456789';
const log = createLogger('simulator-lighting-test', 'silent');
const layout = parseLightingLayout(readFileSync(DEMO_LIGHTING_FILE, 'utf8'));
const lampIds = layout.lamps.map((l) => l.id).sort();

let database: TestDatabase;
let ns: TestNamespace;
let lighting: ServiceProcess;
let address: string;
let nc: NatsConnection;
let fleet: LampFleet;
const commanded = new Set<string>();
let api: Awaited<ReturnType<typeof operatorApi>>;

/** What an operator with the admin role does through LightingService. */
async function operatorApi() {
  const token = await signToken({ key: KEY, subject: 'olga', roles: ['admin'] });
  const client = createClient(LightingServiceClient, address, { token, deadlineMs: 10_000 });
  return {
    listLamps: promisifyUnary(client, client.listLamps),
    listZones: promisifyUnary(client, client.listZones),
    getLamp: promisifyUnary(client, client.getLamp),
    updateLamp: promisifyUnary(client, client.updateLamp),
    deleteLamp: promisifyUnary(client, client.deleteLamp),
    getProfile: promisifyUnary(client, client.getProfile),
    setProfile: promisifyUnary(client, client.setProfile),
    listLampStates: promisifyUnary(client, client.listLampStates),
    close: () => client.close(),
  };
}

/** Seeds with the token the simulator signs for itself (subject simulator, role admin). */
const seed = async (): Promise<SeedSummary> =>
  seedLighting({
    address,
    layout,
    log,
    token: await TokenSource.signed({
      key: KEY,
      issuer: 'slimstad',
      audience: 'slimstad',
      roles: ['admin'],
    }).get(),
  });

const versions = async () => {
  const { lamps } = await api.listLamps({ zoneId: '', page: { pageSize: 1000, pageToken: '' } });
  const { zones } = await api.listZones({ page: { pageSize: 100, pageToken: '' } });
  const profiles = await Promise.all(
    layout.zones.map(async (z) => (await api.getProfile({ zoneId: z.id })).profile?.version),
  );
  return {
    lamps: Object.fromEntries(lamps.map((l) => [l.id, l.version])),
    zones: Object.fromEntries(zones.map((z) => [z.id, z.version])),
    profiles,
  };
};

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'simlighting');
  ns = createTestNamespace(inject('natsUrl'), 'simlighting');
  lighting = startService(REPO, 'services/lighting/src/main.ts', {
    SERVICE_NAME: 'lighting',
    DATABASE_URL: database.url,
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: ns.namespace,
    AUTH_JWT_KEY: KEY,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    LIGHTING_TICK_MS: '200',
  });
  address = `127.0.0.1:${Number((await lighting.logLine('gRPC serving', 40_000)).port)}`;
  await waitForServing({
    service: 'lighting',
    variable: 'LIGHTING_GRPC_ADDRESS',
    address,
    timeoutMs: 40_000,
    pollMs: 250,
    log,
  });
  // The controllers of the demo lamps, on the lighting service's clock (the system clock).
  nc = await connectNats({ url: inject('natsUrl'), name: 'simulator-lighting-test', log });
  fleet = await startLampFleet({
    nc,
    namespace: new Namespace(ns.namespace),
    clock: systemClock,
    lamps: lampFleetSpecs(layout),
    feedbackEveryMs: 0,
    log,
    onCommand: (lampId) => commanded.add(lampId),
  });
  api = await operatorApi();
}, 60_000);

afterAll(async () => {
  api?.close();
  await fleet?.stop();
  await nc?.drain();
  await lighting?.stop();
  await ns?.cleanup();
  await database?.drop();
}, 30_000);

describe('the demo lighting in the real lighting service', () => {
  it('seeds the layout, and every demo lamp acknowledges the commands that follow', async () => {
    expect(await seed()).toEqual({
      zones: { created: 2, updated: 0, unchanged: 0 },
      lamps: { created: layout.lamps.length, updated: 0, unchanged: 0 },
      profiles: { set: 2, kept: 0 },
    });

    // Stored as in the file: lamps, paths, detectors, the park's curfew.
    const { lamps } = await api.listLamps({ zoneId: '', page: { pageSize: 1000, pageToken: '' } });
    expect(lamps.map((l) => l.id)).toEqual(lampIds);
    for (const lamp of layout.lamps) {
      const stored = lamps.find((l) => l.id === lamp.id)!;
      expect(sameLamp(stored, lampMessage(lamp)), lamp.id).toBe(true);
    }
    const park = (await api.getProfile({ zoneId: 'warandepark' })).profile!;
    expect(park.version).toBe(1n);
    expect(park.updatedBy).toBe('simulator');
    expect(park.curfews[0]).toMatchObject({ startLocalTime: '01:00', endLocalTime: '05:00' });
    expect(park.curfews[0]!.exceptLampIds).toEqual(
      layout.zones[0]!.profile.curfews[0]!.exceptLampIds,
    );

    // Every lamp was commanded and its controller's acknowledgement reached the service.
    await vi.waitFor(
      async () => {
        const { states } = await api.listLampStates({ zoneId: '' });
        expect(states.map((s) => s.lampId)).toEqual(lampIds);
        const unacknowledged = states
          .filter((s) => !(s.acknowledged && s.commandSequence > 0n))
          .map((s) => s.lampId);
        expect(unacknowledged).toEqual([]);
        expect(states.every((s) => s.status === LampStatus.LAMP_STATUS_OK)).toBe(true);
      },
      { timeout: 20_000, interval: 250 },
    );
    expect([...commanded].sort()).toEqual(lampIds);
    expect(fleet.published.acks).toBeGreaterThanOrEqual(layout.lamps.length);
    expect(fleet.published.failed).toBe(0);
  });

  it('changes nothing when seeded again', async () => {
    const before = await versions();
    expect(await seed()).toEqual({
      zones: { created: 0, updated: 0, unchanged: 2 },
      lamps: { created: 0, updated: 0, unchanged: layout.lamps.length },
      profiles: { set: 0, kept: 2 },
    });
    expect(await versions()).toEqual(before);
  });

  it('keeps a profile an operator set, and puts back a lamp edited or deleted', async () => {
    const square = (await api.getProfile({ zoneId: 'sint-goriks' })).profile!;
    await api.setProfile({
      profile: { ...square, weekday: { baseLevel: 30, presenceLevel: 100 } },
    });
    const edited = layout.lamps.find((l) => l.zoneId === 'warandepark' && l.neighbourIds.length)!;
    const { lamp } = await api.getLamp({ lampId: edited.id });
    await api.updateLamp({ lamp: { ...lamp!, ratedPowerWatts: 75, neighbourIds: [] } });
    // A lamp at the end of a path, named by no other lamp.
    const end = layout.lamps.find(
      (l) => l.neighbourIds.length && !layout.lamps.some((o) => o.neighbourIds.includes(l.id)),
    )!;
    await api.deleteLamp({ lampId: end.id });

    expect(await seed()).toEqual({
      zones: { created: 0, updated: 0, unchanged: 2 },
      lamps: { created: 1, updated: 1, unchanged: layout.lamps.length - 2 },
      profiles: { set: 0, kept: 2 },
    });
    const kept = (await api.getProfile({ zoneId: 'sint-goriks' })).profile!;
    expect(kept.weekday).toEqual({ baseLevel: 30, presenceLevel: 100 });
    expect(kept.updatedBy).toBe('olga');
    const { lamps } = await api.listLamps({ zoneId: '', page: { pageSize: 1000, pageToken: '' } });
    expect(lamps.map((l) => l.id)).toEqual(lampIds);
    for (const l of [edited, end]) {
      expect(sameLamp(lamps.find((x) => x.id === l.id)!, lampMessage(l)), l.id).toBe(true);
    }
    // The lamp created again is commanded again, and its controller answers.
    await vi.waitFor(
      async () => {
        const { states } = await api.listLampStates({ zoneId: end.zoneId });
        expect(states.find((s) => s.lampId === end.id)?.acknowledged).toBe(true);
      },
      { timeout: 20_000, interval: 250 },
    );
  });
});

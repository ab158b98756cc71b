// `slimstad lighting …`: the real program, run in-process, against a real kit gRPC server on
// 127.0.0.1 serving a fake LightingService whose in-memory handlers record every request — so
// each test states the exact request the CLI sent (versions, durations, enums) and what the
// operator then sees (stdout, stderr, exit code). The real lighting service is not needed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protoFiles, protoRoot } from '@slimstad/contracts';
import {
  ControlSource,
  Lamp,
  LampFailureReason,
  LampState,
  LampStatus,
  LightingProfile,
  NightKind,
  Override,
  Zone,
  ZoneKind,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import {
  type ClearOverrideRequest,
  type CreateLampRequest,
  type CreateZoneRequest,
  type DeleteLampRequest,
  type DeleteZoneRequest,
  type GetEnergyReportRequest,
  type GetLampRequest,
  type GetProfileRequest,
  type GetZoneRequest,
  LightingServiceService,
  type ListLampStatesRequest,
  type ListLampsRequest,
  type ListOverridesRequest,
  type ListZonesRequest,
  type SetOverrideRequest,
  type SetProfileRequest,
  type UpdateLampRequest,
  type UpdateZoneRequest,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting_service';
import { AppError } from '@slimstad/kit/errors';
import {
  createGrpcServer,
  createTokenVerifier,
  defineService,
  type GrpcServer,
  signToken,
} from '@slimstad/kit/grpc/index';
import { createLogger } from '@slimstad/kit/log';
import { createMetrics } from '@slimstad/kit/telemetry/metrics';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../index.js';
import { localToday } from './lighting-args.js';

const KEY = 'cli-lighting-secret-0123456789abcdef';
const files = mkdtempSync(join(tmpdir(), 'slimstad-cli-lighting-'));

/** Every request the handlers received, per method, in order. */
const received = {
  createZone: [] as CreateZoneRequest[],
  updateZone: [] as UpdateZoneRequest[],
  deleteZone: [] as DeleteZoneRequest[],
  getZone: [] as GetZoneRequest[],
  listZones: [] as ListZonesRequest[],
  createLamp: [] as CreateLampRequest[],
  updateLamp: [] as UpdateLampRequest[],
  deleteLamp: [] as DeleteLampRequest[],
  getLamp: [] as GetLampRequest[],
  listLamps: [] as ListLampsRequest[],
  getProfile: [] as GetProfileRequest[],
  setProfile: [] as SetProfileRequest[],
  setOverride: [] as SetOverrideRequest[],
  clearOverride: [] as ClearOverrideRequest[],
  listOverrides: [] as ListOverridesRequest[],
  listLampStates: [] as ListLampStatesRequest[],
  getEnergyReport: [] as GetEnergyReportRequest[],
};
const callCount = () => Object.values(received).reduce((n, list) => n + list.length, 0);

const CREATED = new Date('2026-11-20T09:00:00.000Z');

let zones = new Map<string, Zone>();
let lamps = new Map<string, Lamp>();
let profiles = new Map<string, LightingProfile>();
let overrides = new Map<string, Override>();
/** Another operator's change right after a read (a test sets it). */
let afterRead: (() => void) | undefined;

const seed = () => {
  zones = new Map(
    [
      Zone.fromPartial({
        id: 'markt',
        name: 'Grote Markt',
        kind: ZoneKind.ZONE_KIND_SQUARE,
        location: { latitude: 51.5886, longitude: 4.7759 },
        timeZone: 'Europe/Brussels',
        version: 1n,
        createTime: CREATED,
      }),
      Zone.fromPartial({
        id: 'warandepark',
        name: 'Warandepark',
        kind: ZoneKind.ZONE_KIND_PARK,
        location: { latitude: 51.58, longitude: 4.77 },
        timeZone: 'Europe/Brussels',
        version: 4n,
        createTime: CREATED,
      }),
    ].map((z) => [z.id, z]),
  );
  lamps = new Map(
    ['wp-13', 'wp-14'].map((id) => [
      id,
      Lamp.fromPartial({
        id,
        zoneId: 'warandepark',
        location: { latitude: 51.58, longitude: 4.77 },
        ratedPowerWatts: 36,
        minLevel: 10,
        controllerId: `lc-${id}`,
        version: 2n,
      }),
    ]),
  );
  profiles = new Map([
    [
      'warandepark',
      LightingProfile.fromPartial({
        zoneId: 'warandepark',
        weekday: { baseLevel: 20, presenceLevel: 100 },
        hold: { seconds: 60n },
        fallbackLevel: 30,
        version: 4n,
        updatedBy: 'jan',
      }),
    ],
  ]);
  overrides = new Map();
  afterRead = undefined;
};

const notFound = (what: string): never => {
  throw new AppError('NOT_FOUND', `${what} not found`);
};
const conflict = (what: string, version: bigint, current: bigint): never => {
  throw new AppError(
    'ABORTED',
    `${what} was changed meanwhile (version ${version} is not the current ${current}); read it again`,
  );
};
const page = <T>(items: T[], request: { page?: { pageSize: number; pageToken: string } }) => {
  const offset = Number(request.page?.pageToken || '0');
  const size = request.page?.pageSize || 100;
  const next = offset + size < items.length ? String(offset + size) : '';
  return { items: items.slice(offset, offset + size), next, total: items.length };
};

const checkLamp = (lamp: Lamp | undefined): Lamp => {
  if (!lamp) throw new AppError('INVALID_ARGUMENT', 'lamp is required');
  const violations = [
    ...(zones.has(lamp.zoneId)
      ? []
      : [{ field: 'lamp.zone_id', description: `no zone ${lamp.zoneId}` }]),
    ...lamp.neighbourIds.flatMap((id, i) =>
      lamps.has(id) ? [] : [{ field: `lamp.neighbour_ids[${i}]`, description: `no lamp ${id}` }],
    ),
    ...(lamp.ratedPowerWatts > 0
      ? []
      : [{ field: 'lamp.rated_power_watts', description: 'must be above 0' }]),
  ];
  if (violations.length > 0) throw new AppError('INVALID_ARGUMENT', 'lamp is invalid', violations);
  return lamp;
};

const STATES = [
  LampState.fromPartial({
    lampId: 'wp-13',
    zoneId: 'warandepark',
    targetLevel: 100,
    source: ControlSource.CONTROL_SOURCE_PRESENCE,
    commandedLevel: 100,
    commandSequence: 41n,
    actualLevel: 100,
    acknowledged: true,
    powerWatts: 35.84,
    status: LampStatus.LAMP_STATUS_OK,
  }),
  LampState.fromPartial({
    lampId: 'wp-14',
    zoneId: 'warandepark',
    targetLevel: 20,
    source: ControlSource.CONTROL_SOURCE_SCHEDULE,
    commandedLevel: 20,
    commandSequence: 7n,
    actualLevel: 0,
    acknowledged: false,
    powerWatts: 0,
    status: LampStatus.LAMP_STATUS_FAILED,
    failureReason: LampFailureReason.LAMP_FAILURE_REASON_POWER_MISMATCH,
    failureDetail: '0 W at 20 %',
  }),
];

const lighting = defineService(LightingServiceService, {
  createZone: {
    roles: ['admin'],
    handle: async (request) => {
      received.createZone.push(request);
      const zone = Zone.fromPartial({ ...request.zone, version: 1n, createTime: CREATED });
      if (zones.has(zone.id)) throw new AppError('ALREADY_EXISTS', `zone ${zone.id} exists`);
      zones.set(zone.id, zone);
      return { zone };
    },
  },
  updateZone: {
    roles: ['admin'],
    handle: async (request) => {
      received.updateZone.push(request);
      const id = request.zone?.id ?? '';
      const current = zones.get(id) ?? notFound(`zone ${id}`);
      if (request.zone?.version !== current.version)
        conflict(`zone ${id}`, request.zone?.version ?? 0n, current.version);
      const zone = { ...current, ...request.zone, version: current.version + 1n };
      zones.set(id, zone);
      return { zone };
    },
  },
  deleteZone: {
    roles: ['admin'],
    handle: async (request) => {
      received.deleteZone.push(request);
      if (!zones.has(request.zoneId)) notFound(`zone ${request.zoneId}`);
      const count = [...lamps.values()].filter((l) => l.zoneId === request.zoneId).length;
      if (count > 0)
        throw new AppError(
          'FAILED_PRECONDITION',
          `zone ${request.zoneId} has ${count} lamps; delete or move them first`,
        );
      zones.delete(request.zoneId);
      return {};
    },
  },
  getZone: {
    roles: ['viewer'],
    handle: async (request) => {
      received.getZone.push(request);
      return { zone: zones.get(request.zoneId) ?? notFound(`zone ${request.zoneId}`) };
    },
  },
  listZones: {
    roles: ['viewer'],
    handle: async (request) => {
      received.listZones.push(request);
      const { items, next, total } = page([...zones.values()], request);
      return { zones: items, page: { nextPageToken: next, totalSize: total } };
    },
  },
  createLamp: {
    roles: ['admin'],
    handle: async (request) => {
      received.createLamp.push(request);
      const lamp = { ...checkLamp(request.lamp), version: 1n };
      if (lamps.has(lamp.id)) throw new AppError('ALREADY_EXISTS', `lamp ${lamp.id} exists`);
      lamps.set(lamp.id, lamp);
      return { lamp };
    },
  },
  updateLamp: {
    roles: ['admin'],
    handle: async (request) => {
      received.updateLamp.push(request);
      const lamp = checkLamp(request.lamp);
      const current = lamps.get(lamp.id) ?? notFound(`lamp ${lamp.id}`);
      if (lamp.version !== current.version)
        conflict(`lamp ${lamp.id}`, lamp.version, current.version);
      const stored = { ...lamp, version: current.version + 1n };
      lamps.set(lamp.id, stored);
      return { lamp: stored };
    },
  },
  deleteLamp: {
    roles: ['admin'],
    handle: async (request) => {
      received.deleteLamp.push(request);
      if (!lamps.delete(request.lampId)) notFound(`lamp ${request.lampId}`);
      return {};
    },
  },
  getLamp: {
    roles: ['viewer'],
    handle: async (request) => {
      received.getLamp.push(request);
      const lamp = lamps.get(request.lampId) ?? notFound(`lamp ${request.lampId}`);
      afterRead?.();
      return { lamp };
    },
  },
  listLamps: {
    roles: ['viewer'],
    handle: async (request) => {
      received.listLamps.push(request);
      const all = [...lamps.values()]
        .filter((l) => !request.zoneId || l.zoneId === request.zoneId)
        .sort((a, b) => a.id.localeCompare(b.id));
      const { items, next, total } = page(all, request);
      return { lamps: items, page: { nextPageToken: next, totalSize: total } };
    },
  },
  getProfile: {
    roles: ['viewer'],
    handle: async (request) => {
      received.getProfile.push(request);
      if (!zones.has(request.zoneId)) notFound(`zone ${request.zoneId}`);
      return {
        profile:
          profiles.get(request.zoneId) ??
          LightingProfile.fromPartial({ zoneId: request.zoneId, fallbackLevel: 50 }),
      };
    },
  },
  setProfile: {
    roles: ['admin'],
    handle: async (request, ctx) => {
      received.setProfile.push(request);
      const zoneId = request.profile?.zoneId ?? '';
      const version = profiles.get(zoneId)?.version ?? 0n;
      if (request.profile?.version !== version)
        conflict(`the profile of ${zoneId}`, request.profile?.version ?? 0n, version);
      const profile = LightingProfile.fromPartial({
        ...request.profile,
        version: version + 1n,
        updatedBy: ctx.principal.subject,
      });
      profiles.set(zoneId, profile);
      return { profile };
    },
  },
  setOverride: {
    roles: ['operator'],
    handle: async (request, ctx) => {
      received.setOverride.push(request);
      const start = new Date(Math.floor(Date.now() / 1000) * 1000);
      const end =
        request.endTime ?? new Date(start.getTime() + Number(request.duration?.seconds) * 1000);
      const override = Override.fromPartial({
        id: `ov-${overrides.size + 1}`,
        zoneId: request.zoneId,
        lampId: request.lampId,
        level: request.level,
        startTime: start,
        endTime: end,
        reason: request.reason,
        createdBy: ctx.principal.subject,
      });
      overrides.set(override.id, override);
      return { override };
    },
  },
  clearOverride: {
    roles: ['operator'],
    handle: async (request, ctx) => {
      received.clearOverride.push(request);
      const override = {
        ...(overrides.get(request.overrideId) ?? notFound(`override ${request.overrideId}`)),
        clearTime: new Date(),
        clearedBy: ctx.principal.subject,
      };
      overrides.set(override.id, override);
      return { override };
    },
  },
  listOverrides: {
    roles: ['viewer'],
    handle: async (request) => {
      received.listOverrides.push(request);
      return {
        overrides: [...overrides.values()].filter(
          (o) =>
            (!request.zoneId || o.zoneId === request.zoneId) &&
            (request.includeEnded || !o.clearTime),
        ),
      };
    },
  },
  listLampStates: {
    roles: ['viewer'],
    handle: async (request) => {
      received.listLampStates.push(request);
      return { states: STATES.filter((s) => !request.zoneId || s.zoneId === request.zoneId) };
    },
  },
  getEnergyReport: {
    roles: ['viewer'],
    handle: async (request) => {
      received.getEnergyReport.push(request);
      if (request.zoneId === 'nowhere')
        return { days: [], usedKwh: 0, baselineKwh: 0, savingPercent: 0 };
      const day = (zoneId: string, date: string, used: number, baseline: number) => ({
        zoneId,
        date,
        usedKwh: used,
        baselineKwh: baseline,
        savedKwh: baseline - used,
        savingPercent: ((baseline - used) / baseline) * 100,
        nightHours: 15.5,
        lampCount: 2,
      });
      return {
        days: [
          day('markt', '2026-11-01', 12.5, 20),
          day('warandepark', '2026-11-01', 3.125, 12.5),
          day('warandepark', '2026-11-02', 2.5, 12.5),
        ],
        usedKwh: 18.125,
        baselineKwh: 45,
        savingPercent: (26.875 / 45) * 100,
      };
    },
  },
});

let server: GrpcServer;
let address: string;
let env: Record<string, string>;

beforeAll(async () => {
  server = createGrpcServer({
    log: createLogger('cli-lighting-test', 'silent'),
    metrics: createMetrics('cli-lighting-test', { defaultMetrics: false }),
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [lighting],
    reflection: { protoRoot, protoFiles },
  });
  address = `127.0.0.1:${await server.start(0, '127.0.0.1')}`;
  env = {
    SLIMSTAD_LIGHTING_API: address,
    SLIMSTAD_TOKEN: await signToken({ key: KEY, subject: 'olga', roles: ['admin'] }),
  };
});

afterAll(async () => {
  await server?.shutdown(1_000);
  rmSync(files, { recursive: true, force: true });
});

beforeEach(() => {
  seed();
  for (const list of Object.values(received)) list.length = 0;
});

async function slimstad(...args: string[]) {
  return slimstadWith(env, ...args);
}

async function slimstadWith(environment: Record<string, string>, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: environment,
  });
  return { code, stdout, stderr };
}

/** A command line refused before any call: exit 2, the first stderr line, nothing sent. */
async function refused(...args: string[]) {
  const result = await slimstad(...args);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(callCount()).toBe(0);
  return result.stderr.split('\n')[0];
}

function file(name: string, content: string): string {
  const path = join(files, name);
  writeFileSync(path, content);
  return path;
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const bound = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!bound || typeof bound === 'string') throw new Error('no port');
  return bound.port;
}

describe('where the lighting service is', () => {
  it('takes $SLIMSTAD_LIGHTING_API, not $SLIMSTAD_API (ingest)', async () => {
    const closed = `127.0.0.1:${await closedPort()}`;
    const result = await slimstadWith(
      { ...env, SLIMSTAD_API: closed },
      'lighting',
      'zones',
      'get',
      'markt',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(received.getZone).toEqual([{ zoneId: 'markt' }]);
  });

  it('--api wins, and an unreachable address names $SLIMSTAD_LIGHTING_API', async () => {
    const closed = `127.0.0.1:${await closedPort()}`;
    const result = await slimstad(
      'lighting',
      'zones',
      'list',
      '--api',
      closed,
      '--timeout',
      '3000',
    );
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `slimstad: cannot reach ${closed} (UNAVAILABLE) — is the service running? set --api or SLIMSTAD_LIGHTING_API\n`,
    });
  });

  it('defaults to 127.0.0.1:50053', async () => {
    const { SLIMSTAD_LIGHTING_API: _, ...withoutAddress } = env;
    // A 1 ms deadline: the call fails whether or not a lighting service runs there.
    const result = await slimstadWith(withoutAddress, 'lighting', 'state', '--timeout', '1');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^slimstad: (cannot reach )?127\.0\.0\.1:50053 /);
  });
});

describe('slimstad lighting zones', () => {
  it('create: sends the zone from the options, the time zone defaulting to Europe/Brussels', async () => {
    const result = await slimstad(
      'lighting',
      'zones',
      'create',
      '--id',
      'haven',
      '--name',
      'Oude Haven',
      '--kind',
      'street',
      '--lat',
      '51.5877',
      '--lon',
      '4.7763',
    );
    expect(received.createZone).toEqual([
      {
        zone: Zone.fromPartial({
          id: 'haven',
          name: 'Oude Haven',
          kind: ZoneKind.ZONE_KIND_STREET,
          location: { latitude: 51.5877, longitude: 4.7763 },
          timeZone: 'Europe/Brussels',
        }),
      },
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: [
        'ID      KIND     NAME         LOCATION         TIME ZONE         VERSION',
        'haven   street   Oude Haven   51.5877,4.7763   Europe/Brussels   1',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('create: JSON output with enum names; refuses bad options before calling', async () => {
    const json = await slimstad(
      'lighting',
      'zones',
      'create',
      '--id',
      'plein',
      '--name',
      'Plein',
      '--kind',
      'ZONE_KIND_SQUARE',
      '--lat',
      '51',
      '--lon',
      '4',
      '--time-zone',
      'Europe/Amsterdam',
      '-o',
      'json',
    );
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: 'plein',
      kind: 'ZONE_KIND_SQUARE',
      timeZone: 'Europe/Amsterdam',
      version: '1',
      createTime: CREATED.toISOString(),
    });
    for (const list of Object.values(received)) list.length = 0;
    const base = [
      'lighting',
      'zones',
      'create',
      '--id',
      'x',
      '--name',
      'X',
      '--lat',
      '51',
      '--lon',
      '4',
    ];
    expect(await refused(...base, '--kind', 'forest')).toBe(
      "slimstad: option '--kind <kind>' argument 'forest' is invalid. must be one of park, street, square.",
    );
    expect(await refused(...base, '--kind', 'park', '--time-zone', 'Mars/Olympus')).toBe(
      "slimstad: option '--time-zone <iana>' argument 'Mars/Olympus' is invalid. must be an IANA time zone, e.g. Europe/Brussels.",
    );
    expect(await refused('lighting', 'zones', 'create', '--id', 'x', '--kind', 'park')).toBe(
      "slimstad: required option '--name <name>' not specified",
    );
    expect(await refused(...base.map((a) => (a === 'x' ? 'a.b' : a)), '--kind', 'park')).toBe(
      "slimstad: option '--id <id>' argument 'a.b' is invalid. must be a single NATS token: letters, digits, - and _.",
    );
  });

  it('update: reads the zone, applies the options and sends the version read', async () => {
    const result = await slimstad(
      'lighting',
      'zones',
      'update',
      'warandepark',
      '--name',
      'Waranda',
    );
    expect(received.getZone).toEqual([{ zoneId: 'warandepark' }]);
    expect(received.updateZone).toEqual([
      {
        zone: Zone.fromPartial({
          id: 'warandepark',
          name: 'Waranda',
          kind: ZoneKind.ZONE_KIND_PARK,
          location: { latitude: 51.58, longitude: 4.77 },
          timeZone: 'Europe/Brussels',
          version: 4n,
        }),
      },
    ]);
    expect(result.stdout).toMatch(
      /^warandepark\s+park\s+Waranda\s+51\.58,4\.77\s+Europe\/Brussels\s+5$/m,
    );
  });

  it('update: needs an option, and --lat with --lon', async () => {
    expect(await refused('lighting', 'zones', 'update', 'warandepark')).toBe(
      'slimstad: nothing to change: give at least one option, e.g. --name',
    );
    expect(await refused('lighting', 'zones', 'update', 'warandepark', '--lat', '51')).toBe(
      'slimstad: --lat and --lon go together',
    );
  });

  it('list and get; delete prints what it deleted', async () => {
    const list = await slimstad(
      'lighting',
      'zones',
      'list',
      '--page-size',
      '1',
      '--all',
      '-o',
      'json',
    );
    expect(received.listZones.map((r) => r.page)).toEqual([
      { pageSize: 1, pageToken: '' },
      { pageSize: 1, pageToken: '1' },
    ]);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((z) => z.id)).toEqual([
      'markt',
      'warandepark',
    ]);
    const one = await slimstad('lighting', 'zones', 'list', '--page-size', '1');
    expect(one.stderr).toBe('more zones: pass --all to list every page\n');
    const get = await slimstad('lighting', 'zones', 'get', 'markt', '-o', 'json');
    expect(JSON.parse(get.stdout)).toMatchObject({ id: 'markt', kind: 'ZONE_KIND_SQUARE' });
    const deleted = await slimstad('lighting', 'zones', 'delete', 'markt');
    expect(received.deleteZone).toEqual([{ zoneId: 'markt' }]);
    expect(deleted).toEqual({ code: 0, stdout: 'ZONE    RESULT\nmarkt   deleted\n', stderr: '' });
  });

  it('prints an error of the service as one line and exits 1', async () => {
    const result = await slimstad('lighting', 'zones', 'delete', 'warandepark');
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'slimstad: zone warandepark has 2 lamps; delete or move them first (FAILED_PRECONDITION)\n',
    });
    const missing = await slimstad('lighting', 'zones', 'get', 'nope');
    expect(missing.stderr).toBe('slimstad: zone nope not found (NOT_FOUND)\n');
  });
});

describe('slimstad lighting lamps', () => {
  it('create: sends the lamp with its neighbours and detectors', async () => {
    const result = await slimstad(
      'lighting',
      'lamps',
      'create',
      '--id',
      'wp-15',
      '--zone',
      'warandepark',
      '--lat',
      '51.581',
      '--lon',
      '4.771',
      '--power',
      '24',
      '--min-level',
      '10',
      '--controller',
      'lc-15',
      '--neighbours',
      'wp-13, wp-14',
      '--detectors',
      'pir-15',
      '--name',
      'Lichtpunt 15',
    );
    expect(received.createLamp).toEqual([
      {
        lamp: Lamp.fromPartial({
          id: 'wp-15',
          zoneId: 'warandepark',
          name: 'Lichtpunt 15',
          location: { latitude: 51.581, longitude: 4.771 },
          ratedPowerWatts: 24,
          minLevel: 10,
          controllerId: 'lc-15',
          neighbourIds: ['wp-13', 'wp-14'],
          detectorIds: ['pir-15'],
        }),
      },
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: [
        'ID      ZONE          POWER W   MIN %   CONTROLLER   NEIGHBOURS    DETECTORS   LOCATION       NAME',
        'wp-15   warandepark   24        10      lc-15        wp-13,wp-14   pir-15      51.581,4.771   Lichtpunt 15',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('create: field violations of the service follow the message, one per line', async () => {
    const result = await slimstad(
      'lighting',
      'lamps',
      'create',
      '--id',
      'wp-16',
      '--zone',
      'warandepark',
      '--lat',
      '51',
      '--lon',
      '4',
      '--power',
      '24',
      '--neighbours',
      'wp-14,wp-99',
    );
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'slimstad: lamp is invalid (INVALID_ARGUMENT)\n  - lamp.neighbour_ids[1]: no lamp wp-99\n',
    });
  });

  it('create: refuses bad options before calling', async () => {
    const base = [
      'lighting',
      'lamps',
      'create',
      '--id',
      'x',
      '--zone',
      'z',
      '--lat',
      '51',
      '--lon',
      '4',
    ];
    expect(await refused(...base, '--power', '0')).toBe(
      "slimstad: option '--power <watts>' argument '0' is invalid. must be a number of watts above 0.",
    );
    expect(await refused(...base, '--power', '24', '--min-level', '120')).toBe(
      "slimstad: option '--min-level <percent>' argument '120' is invalid. must be 0-100.",
    );
    expect(await refused(...base, '--power', '24', '--neighbours', 'a,,b')).toBe(
      "slimstad: option '--neighbours <ids>' argument 'a,,b' is invalid. an empty id is not an id; give ids separated by commas, e.g. lamp-1,lamp-2.",
    );
    expect(await refused(...base, '--power', '24', '--neighbours', 'x')).toBe(
      'slimstad: --neighbours lists the lamp itself (x)',
    );
    expect(await refused('lighting', 'lamps', 'create', '--id', 'x', '--zone', 'z')).toBe(
      "slimstad: required option '--lat <degrees>' not specified",
    );
  });

  it('update: reads the lamp and sends it changed with the version read', async () => {
    const result = await slimstad(
      'lighting',
      'lamps',
      'update',
      'wp-14',
      '--neighbours',
      'wp-13',
      '--power',
      '30',
      '-o',
      'json',
    );
    expect(received.getLamp).toEqual([{ lampId: 'wp-14' }]);
    expect(received.updateLamp).toEqual([
      {
        lamp: Lamp.fromPartial({
          id: 'wp-14',
          zoneId: 'warandepark',
          location: { latitude: 51.58, longitude: 4.77 },
          ratedPowerWatts: 30,
          minLevel: 10,
          controllerId: 'lc-wp-14',
          neighbourIds: ['wp-13'],
          version: 2n,
        }),
      },
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 'wp-14', version: '3' });
  });

  it('update: a change made between the read and the write is refused, not overwritten', async () => {
    afterRead = () => {
      const lamp = lamps.get('wp-14') as Lamp;
      lamps.set('wp-14', { ...lamp, version: lamp.version + 1n });
    };
    const result = await slimstad('lighting', 'lamps', 'update', 'wp-14', '--power', '30');
    expect(received.updateLamp[0]?.lamp?.version).toBe(2n);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'slimstad: lamp wp-14 was changed meanwhile (version 2 is not the current 3); read it again (ABORTED)\n',
    });
  });

  it('list by zone, get and delete', async () => {
    const list = await slimstad('lighting', 'lamps', 'list', '--zone', 'warandepark');
    expect(received.listLamps).toEqual([
      { zoneId: 'warandepark', page: { pageSize: 100, pageToken: '' } },
    ]);
    expect(list.stdout.split('\n').map((line) => line.split(/\s+/)[0])).toEqual([
      'ID',
      'wp-13',
      'wp-14',
      '',
    ]);
    const empty = await slimstad('lighting', 'lamps', 'list', '--zone', 'markt');
    expect(empty.stdout).toBe('no lamps\n');
    const get = await slimstad('lighting', 'lamps', 'get', 'wp-13', '-o', 'json');
    expect(JSON.parse(get.stdout)).toMatchObject({ id: 'wp-13', ratedPowerWatts: 36 });
    const deleted = await slimstad('lighting', 'lamps', 'delete', 'wp-13', '-o', 'json');
    expect(JSON.parse(deleted.stdout)).toEqual({ lampId: 'wp-13', deleted: true });
  });

  it('import: creates and updates each lamp; neighbours further down come in a second pass', async () => {
    const path = file(
      'lamps.json',
      JSON.stringify([
        {
          id: 'wp-14',
          zoneId: 'warandepark',
          ratedPowerWatts: 30,
          neighbourIds: ['wp-13', 'wp-15'],
          version: '1',
        },
        { id: 'wp-15', zoneId: 'warandepark', ratedPowerWatts: 24, neighbourIds: ['wp-14'] },
        { id: 'wp-16', zoneId: 'nowhere', ratedPowerWatts: 24 },
      ]),
    );
    const result = await slimstad('lighting', 'lamps', 'import', '--file', path);
    expect(received.listLamps).toEqual([{ zoneId: '', page: { pageSize: 1000, pageToken: '' } }]);
    expect(received.createLamp.map((r) => [r.lamp?.id, r.lamp?.neighbourIds])).toEqual([
      ['wp-15', ['wp-14']],
      ['wp-16', []],
    ]);
    expect(
      received.updateLamp.map((r) => [r.lamp?.id, r.lamp?.neighbourIds, r.lamp?.version]),
    ).toEqual([
      ['wp-14', ['wp-13'], 2n],
      ['wp-14', ['wp-13', 'wp-15'], 3n],
    ]);
    expect(lamps.get('wp-14')).toMatchObject({ neighbourIds: ['wp-13', 'wp-15'], version: 4n });
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')).toEqual([
      'LAMP    OUTCOME   VERSION   ERROR',
      'wp-14   updated   4         -',
      'wp-15   created   1         -',
      'wp-16   failed    -         lamp is invalid (INVALID_ARGUMENT); lamp.zone_id: no zone nowhere',
      '',
    ]);
    expect(result.stderr).toBe('created 1, updated 1, failed 1\n');
  });

  it('import: refuses a bad file before calling', async () => {
    const bad = file('bad-lamps.json', JSON.stringify([{ id: 'wp-1', zoneId: 'z', power: 3 }]));
    expect(await refused('lighting', 'lamps', 'import', '--file', bad)).toMatch(
      new RegExp(
        `^slimstad: cannot read ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} as lamps in JSON: \\[0\\] has an unknown field power; fields are id, zoneId, `,
      ),
    );
    const missing = join(files, 'missing.json');
    expect(await refused('lighting', 'lamps', 'import', '--file', missing)).toMatch(
      /^slimstad: cannot read .*missing\.json as lamps in JSON: ENOENT/,
    );
  });
});

describe('slimstad lighting profile', () => {
  it('get: a line per setting; the default profile says so', async () => {
    const result = await slimstad('lighting', 'profile', 'get', 'warandepark');
    expect(received.getProfile).toEqual([{ zoneId: 'warandepark' }]);
    expect(result.stdout.split('\n')).toEqual([
      'FIELD        VALUE',
      'zone         warandepark',
      'version      4',
      'dusk         sunset + 0 min',
      'dawn         sunrise + 0 min',
      'weekday      base 20 %, presence 100 %',
      'weekend      as weekday',
      'hold         60s',
      'ramp up      -',
      'ramp down    -',
      'pedestrian   -',
      'cyclist      -',
      'fallback     30 %',
      'updated      by jan',
      '',
    ]);
    const fresh = await slimstad('lighting', 'profile', 'get', 'markt');
    expect(fresh.stdout).toMatch(/^version\s+0 \(the default: never set\)$/m);
  });

  it('set: reads the file (durations in seconds, night kinds) and sends it with the version read', async () => {
    const path = file(
      'profile.json',
      JSON.stringify({
        duskOffsetMinutes: -10,
        weekday: { baseLevel: 10, presenceLevel: 100 },
        weekend: { baseLevel: 20, presenceLevel: 100 },
        holdSeconds: 90,
        rampUp: '1.5s',
        rampDownSeconds: 120,
        pedestrian: { distanceMeters: 40, speedMetersPerSecond: 1.4 },
        curfews: [{ startLocalTime: '23:30', endLocalTime: '05:00', level: 0, nights: 'weekday' }],
        fallbackLevel: 40,
      }),
    );
    const result = await slimstad('lighting', 'profile', 'set', 'warandepark', '--file', path);
    expect(received.getProfile).toEqual([{ zoneId: 'warandepark' }]);
    expect(received.setProfile).toEqual([
      {
        profile: LightingProfile.fromPartial({
          zoneId: 'warandepark',
          duskOffsetMinutes: -10,
          weekday: { baseLevel: 10, presenceLevel: 100 },
          weekend: { baseLevel: 20, presenceLevel: 100 },
          hold: { seconds: 90n, nanos: 0 },
          rampUp: { seconds: 1n, nanos: 500_000_000 },
          rampDown: { seconds: 120n, nanos: 0 },
          pedestrian: { distanceMeters: 40, speedMetersPerSecond: 1.4 },
          curfews: [
            {
              startLocalTime: '23:30',
              endLocalTime: '05:00',
              level: 0,
              nights: NightKind.NIGHT_KIND_WEEKDAY,
            },
          ],
          fallbackLevel: 40,
          version: 4n,
        }),
      },
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^version\s+5$/m);
    expect(result.stdout).toMatch(/^curfew 1\s+23:30-05:00 at 0 %, weekday nights$/m);
    expect(result.stdout).toMatch(/^updated\s+by olga$/m);
  });

  it('get -o json reads back into set; a file of an older version needs --force', async () => {
    const got = await slimstad('lighting', 'profile', 'get', 'warandepark', '-o', 'json');
    expect(JSON.parse(got.stdout)).toMatchObject({
      zoneId: 'warandepark',
      hold: '60s',
      version: '4',
    });
    const path = file('warandepark.json', got.stdout);
    const first = await slimstad('lighting', 'profile', 'set', 'warandepark', '--file', path);
    expect(first.code).toBe(0);
    expect(received.setProfile[0]?.profile).toMatchObject({ version: 4n, hold: { seconds: 60n } });

    const stale = await slimstad('lighting', 'profile', 'set', 'warandepark', '--file', path);
    expect(stale).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'slimstad: the profile of warandepark changed since the file was read (file version 4, now 5): get it again, or pass --force to overwrite it\n',
    });
    expect(received.setProfile).toHaveLength(1);

    const forced = await slimstad(
      'lighting',
      'profile',
      'set',
      'warandepark',
      '--file',
      path,
      '--force',
    );
    expect(forced.code).toBe(0);
    expect(received.setProfile[1]?.profile?.version).toBe(5n);

    const otherZone = await slimstad('lighting', 'profile', 'set', 'markt', '--file', path);
    expect(otherZone).toMatchObject({
      code: 2,
      stderr:
        'slimstad: the file is the profile of zone warandepark, not markt: pass --force to set it on markt\n',
    });
  });

  it('set: refuses a bad file before calling, naming the field', async () => {
    const path = file('typo.json', JSON.stringify({ holdSecond: 30 }));
    expect(await refused('lighting', 'profile', 'set', 'warandepark', '--file', path)).toMatch(
      /as a LightingProfile in JSON: unknown field holdSecond; fields are zoneId, /,
    );
    const nights = file('nights.json', JSON.stringify({ curfews: [{ nights: 'fridays' }] }));
    expect(await refused('lighting', 'profile', 'set', 'warandepark', '--file', nights)).toMatch(
      /as a LightingProfile in JSON: curfews\[0\]\.nights must be weekday, weekend or all\.$/,
    );
    expect(await refused('lighting', 'profile', 'set', 'warandepark')).toBe(
      "slimstad: required option '--file <profile.json>' not specified",
    );
  });
});

describe('slimstad lighting override', () => {
  it('set --for: sends the duration, no end time; prints the override', async () => {
    const result = await slimstad(
      'lighting',
      'override',
      'set',
      '--zone',
      'warandepark',
      '--level',
      '100',
      '--for',
      '2h',
      '--reason',
      'concert',
    );
    expect(received.setOverride).toEqual([
      {
        zoneId: 'warandepark',
        lampId: '',
        level: 100,
        endTime: undefined,
        duration: { seconds: 7_200n, nanos: 0 },
        reason: 'concert',
      },
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [header, row] = result.stdout.split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'ID',
      'ZONE',
      'LAMP',
      'LEVEL %',
      'STATE',
      'START',
      'END',
      'BY',
      'REASON',
    ]);
    expect(row).toMatch(
      /^ov-1\s+warandepark\s+\(whole zone\)\s+100\s+active\s+\S+Z\s+\S+Z\s+olga\s+concert$/,
    );
  });

  it('set --until with --lamp: sends the end time; JSON output', async () => {
    const until = new Date(Date.now() + 3_600_000);
    until.setMilliseconds(0);
    const result = await slimstad(
      'lighting',
      'override',
      'set',
      '--zone',
      'warandepark',
      '--lamp',
      'wp-14',
      '--level',
      '0',
      '--until',
      until.toISOString(),
      '--reason',
      'lamp post damaged',
      '-o',
      'json',
    );
    expect(received.setOverride).toEqual([
      {
        zoneId: 'warandepark',
        lampId: 'wp-14',
        level: 0,
        endTime: until,
        duration: undefined,
        reason: 'lamp post damaged',
      },
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({
      id: 'ov-1',
      lampId: 'wp-14',
      endTime: until.toISOString(),
      createdBy: 'olga',
    });
  });

  it('set: refuses bad options before calling', async () => {
    const base = ['lighting', 'override', 'set', '--zone', 'warandepark', '--reason', 'test'];
    expect(await refused(...base, '--level', '120', '--for', '2h')).toBe(
      "slimstad: option '--level <percent>' argument '120' is invalid. must be 0-100.",
    );
    expect(await refused(...base, '--level', '50', '--for', 'soon')).toBe(
      "slimstad: option '--for <duration>' argument 'soon' is invalid. must be a duration like 90m or 2h.",
    );
    expect(await refused(...base, '--level', '50', '--for', '8d')).toBe(
      "slimstad: option '--for <duration>' argument '8d' is invalid. must be at most 7 days.",
    );
    expect(await refused(...base, '--level', '50')).toBe(
      'slimstad: say how long: --for (e.g. 2h) or --until (an ISO 8601 time), one of them',
    );
    expect(await refused(...base, '--level', '50', '--until', '2020-01-01T00:00:00Z')).toBe(
      'slimstad: --until 2020-01-01T00:00:00.000Z is in the past',
    );
    expect(
      await refused(
        'lighting',
        'override',
        'set',
        '--zone',
        'warandepark',
        '--level',
        '5',
        '--for',
        '1h',
      ),
    ).toBe("slimstad: required option '--reason <text>' not specified");
  });

  it('clear and list (--all includes the cleared ones)', async () => {
    await slimstad(
      'lighting',
      'override',
      'set',
      '--zone',
      'warandepark',
      '--level',
      '80',
      '--for',
      '90m',
      '--reason',
      'market',
    );
    const cleared = await slimstad(
      'lighting',
      'override',
      'clear',
      'ov-1',
      '--reason',
      'market over',
      '-o',
      'json',
    );
    expect(received.clearOverride).toEqual([{ overrideId: 'ov-1', reason: 'market over' }]);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ id: 'ov-1', clearedBy: 'olga' });

    const active = await slimstad('lighting', 'override', 'list', '--zone', 'warandepark');
    expect(active.stdout).toBe('no overrides\n');
    const all = await slimstad('lighting', 'override', 'list', '--all');
    expect(received.listOverrides).toEqual([
      { zoneId: 'warandepark', includeEnded: false },
      { zoneId: '', includeEnded: true },
    ]);
    expect(all.stdout).toMatch(
      /^ov-1\s+warandepark\s+\(whole zone\)\s+80\s+cleared\s.*\solga, olga\s+market$/m,
    );

    const missing = await slimstad('lighting', 'override', 'clear', 'ov-9');
    expect(received.clearOverride[1]).toEqual({ overrideId: 'ov-9', reason: '' });
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: 'slimstad: override ov-9 not found (NOT_FOUND)\n',
    });
  });
});

describe('slimstad lighting state', () => {
  it('prints a table of every lamp: levels, source, power, status and failure', async () => {
    const result = await slimstad('lighting', 'state');
    expect(received.listLampStates).toEqual([{ zoneId: '' }]);
    expect(result).toEqual({
      code: 0,
      stdout: [
        'LAMP    ZONE          TARGET   SOURCE     COMMANDED      ACTUAL   POWER W   STATUS   FAILURE',
        'wp-13   warandepark   100      presence   100            100      35.8      ok       -',
        'wp-14   warandepark   20       schedule   20 (unacked)   0        0.0       failed   power_mismatch: 0 W at 20 %',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('filters by zone; JSON has the enum names', async () => {
    const result = await slimstad('lighting', 'state', '--zone', 'warandepark', '-o', 'json');
    expect(received.listLampStates).toEqual([{ zoneId: 'warandepark' }]);
    expect(JSON.parse(result.stdout)[1]).toMatchObject({
      lampId: 'wp-14',
      source: 'CONTROL_SOURCE_SCHEDULE',
      status: 'LAMP_STATUS_FAILED',
      failureReason: 'LAMP_FAILURE_REASON_POWER_MISMATCH',
      commandSequence: '7',
    });
    const none = await slimstad('lighting', 'state', '--zone', 'markt');
    expect(none.stdout).toBe('no lamps\n');
  });
});

describe('slimstad lighting energy', () => {
  it('prints a row per zone and day and a totals line', async () => {
    const result = await slimstad(
      'lighting',
      'energy',
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-02',
    );
    expect(received.getEnergyReport).toEqual([
      { zoneId: '', fromDate: '2026-11-01', toDate: '2026-11-02' },
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: [
        'ZONE          DATE                     USED KWH   BASELINE KWH   SAVED KWH   SAVING %',
        'markt         2026-11-01               12.50      20.00          7.50        37.5',
        'warandepark   2026-11-01               3.13       12.50          9.38        75.0',
        'warandepark   2026-11-02               2.50       12.50          10.00       80.0',
        'total         2026-11-01..2026-11-02   18.13      45.00          26.88       59.7',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('--to defaults to today; JSON has the report and the saved total', async () => {
    const result = await slimstad(
      'lighting',
      'energy',
      '--zone',
      'warandepark',
      '--from',
      '2026-01-01',
      '-o',
      'json',
    );
    const today = localToday(new Date());
    expect(received.getEnergyReport).toEqual([
      { zoneId: 'warandepark', fromDate: '2026-01-01', toDate: today },
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({
      fromDate: '2026-01-01',
      toDate: today,
      usedKwh: 18.125,
      baselineKwh: 45,
      savedKwh: 26.875,
    });
  });

  it('says when there is no data, and refuses a bad range before calling', async () => {
    const none = await slimstad(
      'lighting',
      'energy',
      '--zone',
      'nowhere',
      '--from',
      '2026-01-01',
      '--to',
      '2026-01-31',
    );
    expect(none.stdout).toBe('no energy data from 2026-01-01 to 2026-01-31\n');
    for (const list of Object.values(received)) list.length = 0;
    expect(await refused('lighting', 'energy', '--from', '2026-11-31')).toBe(
      "slimstad: option '--from <date>' argument '2026-11-31' is invalid. must be a date YYYY-MM-DD, e.g. 2026-11-22.",
    );
    expect(await refused('lighting', 'energy', '--from', '2026-11-02', '--to', '2026-11-01')).toBe(
      'slimstad: --to 2026-11-01 is before --from 2026-11-02',
    );
    expect(await refused('lighting', 'energy')).toBe(
      "slimstad: required option '--from <date>' not specified",
    );
  });
});

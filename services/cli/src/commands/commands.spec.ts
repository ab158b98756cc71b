// `slimstad devices | readings | quarantine`: the real program, run in-process, against a real
// kit gRPC server on 127.0.0.1 whose in-memory handlers record every request — so each test
// states the exact request the CLI sent (mask, enums, page tokens, import format) and what
// the operator then sees (stdout, stderr, exit code).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protoFiles, protoRoot } from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  Device,
  DeviceStatus,
  DeviceType,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import {
  type GetLatestReadingsRequest,
  IngestServiceService,
  type ListQuarantineRequest,
  type QueryReadingsRequest,
  type ReplayQuarantineRequest,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import {
  type DecommissionDeviceRequest,
  DeviceRegistryServiceService,
  type GetDeviceRequest,
  type ImportDevicesRequest,
  ImportFormat,
  ImportOutcome,
  type ListDevicesRequest,
  type RegisterDeviceRequest,
  type UpdateDeviceRequest,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
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

const KEY = 'cli-commands-secret-0123456789abcdef';
const files = mkdtempSync(join(tmpdir(), 'slimstad-cli-commands-'));

/** Every request the handlers received, per method, in order. */
const received = {
  listDevices: [] as ListDevicesRequest[],
  getDevice: [] as GetDeviceRequest[],
  registerDevice: [] as RegisterDeviceRequest[],
  updateDevice: [] as UpdateDeviceRequest[],
  decommissionDevice: [] as DecommissionDeviceRequest[],
  importDevices: [] as ImportDevicesRequest[],
  getLatestReadings: [] as GetLatestReadingsRequest[],
  queryReadings: [] as QueryReadingsRequest[],
  listQuarantine: [] as ListQuarantineRequest[],
  replayQuarantine: [] as ReplayQuarantineRequest[],
};
const callCount = () => Object.values(received).reduce((n, list) => n + list.length, 0);

const seed = (): Device[] =>
  ['wl-001', 'wl-002', 'wl-003'].map((id, i) =>
    Device.fromPartial({
      id,
      type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
      name: `Gauge ${i + 1}`,
      zone: 'haven',
      status: DeviceStatus.DEVICE_STATUS_ACTIVE,
      metrics: [{ name: 'water_level', unit: 'm', min: -2, max: 8 }],
      network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK, networkId: `0004A30B00${i}` },
    }),
  );
let stored = new Map<string, Device>();

const notFound = (id: string): never => {
  throw new AppError('NOT_FOUND', `device ${id} not found`);
};

const registry = defineService(DeviceRegistryServiceService, {
  listDevices: {
    roles: ['viewer'],
    handle: async (request) => {
      received.listDevices.push(request);
      const offset = Number(request.page?.pageToken || '0');
      const size = request.page?.pageSize || 100;
      const all = [...stored.values()].sort((a, b) => a.id.localeCompare(b.id));
      const next = offset + size < all.length ? String(offset + size) : '';
      return {
        devices: all.slice(offset, offset + size),
        page: { nextPageToken: next, totalSize: all.length },
      };
    },
  },
  getDevice: {
    roles: ['viewer'],
    handle: async (request) => {
      received.getDevice.push(request);
      return { device: stored.get(request.deviceId) ?? notFound(request.deviceId) };
    },
  },
  registerDevice: {
    roles: ['operator'],
    handle: async (request) => {
      received.registerDevice.push(request);
      const device = { ...request.device!, status: DeviceStatus.DEVICE_STATUS_ACTIVE };
      stored.set(device.id, device);
      return { device };
    },
  },
  updateDevice: {
    roles: ['operator'],
    handle: async (request) => {
      received.updateDevice.push(request);
      const id = request.device?.id ?? '';
      const device = { ...(stored.get(id) ?? notFound(id)) };
      if (request.updateMask?.includes('name')) device.name = request.device!.name;
      if (request.updateMask?.includes('zone')) device.zone = request.device!.zone;
      stored.set(id, device);
      return { device };
    },
  },
  decommissionDevice: {
    roles: ['operator'],
    handle: async (request) => {
      received.decommissionDevice.push(request);
      const device = {
        ...(stored.get(request.deviceId) ?? notFound(request.deviceId)),
        status: DeviceStatus.DEVICE_STATUS_DECOMMISSIONED,
      };
      stored.set(device.id, device);
      return { device };
    },
  },
  importDevices: {
    roles: ['admin'],
    handle: async (request) => {
      received.importDevices.push(request);
      // A row (line or feature) fails when it mentions "bad"; the others are new devices.
      const text = Buffer.from(request.content).toString('utf8');
      const items =
        request.format === ImportFormat.IMPORT_FORMAT_CSV
          ? text.trim().split('\n').slice(1)
          : (JSON.parse(text) as { features: unknown[] }).features.map((f) => JSON.stringify(f));
      const rows = items.map((item, i) => {
        const failed = item.includes('bad');
        return {
          row: i + 1,
          deviceId: /(bin-\d+)/.exec(item)?.[1] ?? '',
          outcome: failed
            ? ImportOutcome.IMPORT_OUTCOME_FAILED
            : ImportOutcome.IMPORT_OUTCOME_CREATED,
          error: failed ? 'latitude: 91 is not in [-90, 90]' : '',
        };
      });
      const failedCount = rows.filter((r) => r.error).length;
      return {
        rows,
        dryRun: request.dryRun,
        createdCount: rows.length - failedCount,
        updatedCount: 0,
        unchangedCount: 0,
        failedCount,
      };
    },
  },
});

const OBSERVED = new Date('2026-11-22T10:00:00.000Z');

const ingest = defineService(IngestServiceService, {
  pushReadings: {
    roles: ['admin'],
    // Not used by the CLI; answers each message with nothing accepted.
    handle: async function* (requests) {
      for await (const request of requests) {
        yield {
          clientRef: request.clientRef,
          requestIndex: 0n,
          results: [],
          acceptedCount: 0,
          rejectedCount: 0,
        };
      }
    },
  },
  getLatestReadings: {
    roles: ['viewer'],
    handle: async (request) => {
      received.getLatestReadings.push(request);
      return {
        readings: [
          {
            deviceId: 'wl-001',
            metric: 'water_level',
            value: 0,
            unit: 'm',
            observedAt: OBSERVED,
            receivedAt: OBSERVED,
            zone: 'haven',
            deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
          },
        ],
      };
    },
  },
  queryReadings: {
    roles: ['viewer'],
    handle: async (request) => {
      received.queryReadings.push(request);
      if (request.deviceId === 'nope') notFound('nope');
      return {
        unit: 'm',
        buckets: [
          { startTime: OBSERVED, avg: 1.23456, min: 1, max: 1.5, count: 4n },
          { startTime: new Date('2026-11-22T10:15:00Z'), avg: 2, min: 2, max: 2, count: 1n },
        ],
      };
    },
  },
  listQuarantine: {
    roles: ['viewer'],
    handle: async (request) => {
      received.listQuarantine.push(request);
      return {
        entries: [
          {
            id: 'q-1',
            reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
            detail: 'no device wl-404',
            source: 'mqtt',
            deviceId: 'wl-404',
            payload: Buffer.from('{}'),
            receivedAt: OBSERVED,
            reading: undefined,
            replayCount: 0,
            lastReplayedAt: undefined,
          },
        ],
        page: { nextPageToken: 'more', totalSize: 2 },
      };
    },
  },
  replayQuarantine: {
    roles: ['operator'],
    handle: async (request) => {
      received.replayQuarantine.push(request);
      return { matchedCount: 2, acceptedCount: 1, stillRejectedCount: 1, notFoundCount: 0 };
    },
  },
});

let server: GrpcServer;
let env: Record<string, string>;

beforeAll(async () => {
  server = createGrpcServer({
    log: createLogger('cli-commands-test', 'silent'),
    metrics: createMetrics('cli-commands-test', { defaultMetrics: false }),
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [registry, ingest],
    reflection: { protoRoot, protoFiles },
  });
  const port = await server.start(0, '127.0.0.1');
  env = {
    SLIMSTAD_API: `127.0.0.1:${port}`,
    SLIMSTAD_TOKEN: await signToken({ key: KEY, subject: 'olga', roles: ['admin'] }),
  };
});

afterAll(async () => {
  await server?.shutdown(1_000);
  rmSync(files, { recursive: true, force: true });
});

beforeEach(() => {
  stored = new Map(seed().map((d) => [d.id, d]));
  for (const list of Object.values(received)) list.length = 0;
});

async function slimstad(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
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

describe('slimstad devices list', () => {
  it('sends the filters as enum values and follows next_page_token with --all', async () => {
    const result = await slimstad(
      'devices',
      'list',
      '--type',
      'water_level',
      '--zone',
      'haven',
      '--status',
      'active',
      '--page-size',
      '2',
      '--all',
      '-o',
      'json',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const filters = {
      type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
      zone: 'haven',
      status: DeviceStatus.DEVICE_STATUS_ACTIVE,
    };
    expect(received.listDevices).toEqual([
      { page: { pageSize: 2, pageToken: '' }, ...filters },
      { page: { pageSize: 2, pageToken: '2' }, ...filters },
    ]);
    const listed = JSON.parse(result.stdout) as { id: string; type: string }[];
    expect(listed.map((d) => d.id)).toEqual(['wl-001', 'wl-002', 'wl-003']);
    expect(listed[0]?.type).toBe('DEVICE_TYPE_WATER_LEVEL');
  });

  it('asks for one page without --all, as a table, and says that more exist', async () => {
    const result = await slimstad('devices', 'list', '--page-size', '1');
    expect(received.listDevices).toEqual([
      {
        page: { pageSize: 1, pageToken: '' },
        type: DeviceType.DEVICE_TYPE_UNSPECIFIED,
        zone: '',
        status: DeviceStatus.DEVICE_STATUS_UNSPECIFIED,
      },
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'ID       TYPE          STATUS   ZONE    NETWORK                          METRICS          NAME',
      'wl-001   water_level   active   haven   lorawan_chirpstack:0004A30B000   water_level[m]   Gauge 1',
      '',
    ]);
    expect(result.stderr).toBe('more devices: pass --all to list every page\n');
  });

  it('refuses an unknown enum token naming the option, before calling', async () => {
    expect(await refused('devices', 'list', '--type', 'lamp')).toMatch(
      /^slimstad: option '--type <type>' argument 'lamp' is invalid\. must be one of pedestrian_counter, bike_counter, .*, anpr_camera\.$/,
    );
    expect(await refused('devices', 'list', '--status', 'retired')).toBe(
      "slimstad: option '--status <status>' argument 'retired' is invalid. must be one of active, decommissioned.",
    );
    expect(await refused('devices', 'list', '--page-size', '0')).toBe(
      "slimstad: option '--page-size <n>' argument '0' is invalid. must be a positive integer.",
    );
  });
});

describe('slimstad devices get', () => {
  it('prints one device as JSON', async () => {
    const result = await slimstad('devices', 'get', 'wl-002', '-o', 'json');
    expect(received.getDevice).toEqual([{ deviceId: 'wl-002' }]);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 'wl-002', name: 'Gauge 2' });
  });

  it('prints NOT_FOUND as one line and exits 1', async () => {
    const result = await slimstad('devices', 'get', 'wl-404');
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'slimstad: device wl-404 not found (NOT_FOUND)\n',
    });
  });
});

describe('slimstad devices register', () => {
  it('builds the Device from options, enum tokens becoming enum values', async () => {
    const result = await slimstad(
      'devices',
      'register',
      '--id',
      'wl-014',
      '--type',
      'water_level',
      '--name',
      'Haven Mark',
      '--lat',
      '51.5877',
      '--lon',
      '4.7763',
      '--zone',
      'haven',
      '--metric',
      'water_level:m:-2:8',
      '--metric',
      'battery:V',
      '--owner',
      'public-works',
      '--classification',
      'public',
      '--interval',
      '15m',
      '--network',
      'lorawan_chirpstack:0004A30B001C0530',
      '--label',
      'vendor=acme',
      '--label',
      'batch=2024-q3',
      '-o',
      'json',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(received.registerDevice).toEqual([
      {
        device: Device.fromPartial({
          id: 'wl-014',
          type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
          name: 'Haven Mark',
          location: { latitude: 51.5877, longitude: 4.7763 },
          zone: 'haven',
          metrics: [
            { name: 'water_level', unit: 'm', min: -2, max: 8 },
            { name: 'battery', unit: 'V' },
          ],
          ownerDepartment: 'public-works',
          classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
          expectedReportInterval: { seconds: 900n, nanos: 0 },
          network: {
            kind: NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK,
            networkId: '0004A30B001C0530',
          },
          labels: { vendor: 'acme', batch: '2024-q3' },
        }),
      },
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({
      id: 'wl-014',
      type: 'DEVICE_TYPE_WATER_LEVEL',
      status: 'DEVICE_STATUS_ACTIVE',
      expectedReportInterval: { seconds: '900' },
    });
  });

  it('reads a Device in proto3 JSON from --file; options override it', async () => {
    const path = file(
      'device.json',
      JSON.stringify({
        id: 'noise-9',
        type: 'DEVICE_TYPE_NOISE',
        name: 'Grote Markt',
        location: { latitude: 51.5886, longitude: 4.7759 },
        metrics: [{ name: 'laeq', unit: 'dB[A]', min: 0, max: 140 }],
        classification: 'DATA_CLASSIFICATION_INTERNAL',
        expectedReportInterval: '300s',
        network: { kind: 'NETWORK_KIND_MQTT', networkId: 'noise-9' },
      }),
    );
    const result = await slimstad('devices', 'register', '--file', path, '--zone', 'markt');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(received.registerDevice[0]?.device).toEqual(
      Device.fromPartial({
        id: 'noise-9',
        type: DeviceType.DEVICE_TYPE_NOISE,
        name: 'Grote Markt',
        location: { latitude: 51.5886, longitude: 4.7759 },
        zone: 'markt',
        metrics: [{ name: 'laeq', unit: 'dB[A]', min: 0, max: 140 }],
        classification: DataClassification.DATA_CLASSIFICATION_INTERNAL,
        expectedReportInterval: { seconds: 300n, nanos: 0 },
        network: { kind: NetworkKind.NETWORK_KIND_MQTT, networkId: 'noise-9' },
      }),
    );
    expect(result.stdout).toMatch(/^noise-9\s+noise\s+active\s+markt\s+mqtt:noise-9\s/m);
  });

  it('refuses a bad metric spec, network or file, naming the option', async () => {
    expect(await refused('devices', 'register', '--id', 'x', '--metric', 'fill_level')).toBe(
      "slimstad: option '--metric <name:unit[:min[:max]]>' argument 'fill_level' is invalid. must be name:unit[:min[:max]], e.g. water_level:m:-2:8.",
    );
    expect(await refused('devices', 'register', '--network', 'zigbee:42')).toBe(
      "slimstad: option '--network <kind:id>' argument 'zigbee:42' is invalid. kind zigbee is unknown; must be one of lorawan_chirpstack, lorawan_tts, mqtt, http, grpc, nats.",
    );
    expect(await refused('devices', 'register', '--interval', 'often')).toMatch(
      /^slimstad: option '--interval <duration>' argument 'often' is invalid\. must be a duration/,
    );
    expect(await refused('devices', 'register', '--lat', '51')).toBe(
      'slimstad: --lat and --lon go together',
    );
    const lamp = file('lamp.json', '{"id": "lamp-1", "type": "DEVICE_TYPE_LAMP"}');
    expect(await refused('devices', 'register', '--file', lamp)).toBe(
      `slimstad: cannot read ${lamp} as a Device in JSON: type must be one of pedestrian_counter, bike_counter, presence, bin_fill, water_level, rain_gauge, water_meter, energy_meter, noise, air_quality, vehicle_loop, lamp_controller, bollard_controller, anpr_camera.`,
    );
    const broken = file('broken.json', '{"id": "wl-1",');
    expect(await refused('devices', 'register', '--file', broken)).toMatch(
      /^slimstad: cannot read .*broken\.json as a Device in JSON: .*JSON/,
    );
  });
});

describe('slimstad devices update', () => {
  it('sends a mask of exactly the options given', async () => {
    const result = await slimstad(
      'devices',
      'update',
      'wl-001',
      '--zone',
      'haven-noord',
      '--name',
      'Haven Mark N',
    );
    expect(result.code).toBe(0);
    expect(received.updateDevice).toEqual([
      {
        device: Device.fromPartial({ id: 'wl-001', name: 'Haven Mark N', zone: 'haven-noord' }),
        updateMask: ['name', 'zone'],
      },
    ]);
    expect(result.stdout).toMatch(/^wl-001\s+water_level\s+active\s+haven-noord\s.*Haven Mark N$/m);
  });

  it('takes --set field=value, alone or with options', async () => {
    const result = await slimstad(
      'devices',
      'update',
      'wl-001',
      '--set',
      'location=51.58,4.77,2',
      '--set',
      'labels=vendor=acme,batch=7',
      '--set',
      'expected_report_interval=900s',
      '--set',
      'classification=personal',
      '--set',
      'network=lorawan_tts:70B3D57ED0000001',
      '--set',
      'metrics=water_level:m:-2:8',
      '--owner',
      'water',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(received.updateDevice).toEqual([
      {
        device: Device.fromPartial({
          id: 'wl-001',
          location: { latitude: 51.58, longitude: 4.77, altitudeMeters: 2 },
          metrics: [{ name: 'water_level', unit: 'm', min: -2, max: 8 }],
          ownerDepartment: 'water',
          classification: DataClassification.DATA_CLASSIFICATION_PERSONAL,
          expectedReportInterval: { seconds: 900n, nanos: 0 },
          network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: '70B3D57ED0000001' },
          labels: { vendor: 'acme', batch: '7' },
        }),
        updateMask: [
          'location',
          'metrics',
          'owner_department',
          'classification',
          'expected_report_interval',
          'network',
          'labels',
        ],
      },
    ]);
  });

  it('refuses an unknown field, a field given twice, --type and an empty change', async () => {
    expect(await refused('devices', 'update', 'wl-001', '--set', 'type=noise')).toMatch(
      /^slimstad: option '--set <field=value>' argument 'type=noise' is invalid\. cannot set type; fields are name, location, /,
    );
    expect(await refused('devices', 'update', 'wl-001', '--set', 'classification=secret')).toBe(
      "slimstad: option '--set <field=value>' argument 'classification=secret' is invalid. classification must be one of public, internal, personal.",
    );
    expect(await refused('devices', 'update', 'wl-001', '--zone', 'a', '--set', 'zone=b')).toBe(
      'slimstad: zone is given twice (options and --set name each field once)',
    );
    expect(await refused('devices', 'update', 'wl-001', '--type', 'noise')).toBe(
      "slimstad: unknown option '--type'",
    );
    expect(await refused('devices', 'update', 'wl-001')).toBe(
      'slimstad: nothing to change: give at least one option, e.g. --name',
    );
  });

  it('prints NOT_FOUND as one line and exits 1', async () => {
    const result = await slimstad('devices', 'update', 'wl-404', '--name', 'x');
    expect(received.updateDevice).toHaveLength(1);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'slimstad: device wl-404 not found (NOT_FOUND)\n',
    });
  });
});

describe('slimstad devices decommission', () => {
  it('sends the id and the reason', async () => {
    const result = await slimstad(
      'devices',
      'decommission',
      'wl-003',
      '--reason',
      'replaced by wl-015',
      '-o',
      'json',
    );
    expect(received.decommissionDevice).toEqual([
      { deviceId: 'wl-003', reason: 'replaced by wl-015' },
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({
      id: 'wl-003',
      status: 'DEVICE_STATUS_DECOMMISSIONED',
    });
  });

  it('requires a reason that is not blank', async () => {
    expect(await refused('devices', 'decommission', 'wl-003')).toBe(
      "slimstad: required option '--reason <text>' not specified",
    );
    expect(await refused('devices', 'decommission', 'wl-003', '--reason', ' ')).toBe(
      "slimstad: option '--reason <text>' argument ' ' is invalid. must not be empty.",
    );
  });

  it('prints NOT_FOUND as one line and exits 1', async () => {
    const result = await slimstad('devices', 'decommission', 'wl-404', '--reason', 'gone');
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'slimstad: device wl-404 not found (NOT_FOUND)\n',
    });
  });
});

describe('slimstad devices import', () => {
  const CSV = 'id,type,latitude\nbin-1,bin_fill,51.58\nbin-2,bin_fill,51.59\n';
  const GEOJSON = JSON.stringify({
    type: 'FeatureCollection',
    features: [{ type: 'Feature', properties: { id: 'bin-3' } }],
  });

  it('sends a .csv as CSV with its bytes, prints a row per result and a summary', async () => {
    const path = file('devices.csv', CSV);
    const result = await slimstad('devices', 'import', path);
    expect(received.importDevices).toEqual([
      { format: ImportFormat.IMPORT_FORMAT_CSV, content: Buffer.from(CSV), dryRun: false },
    ]);
    expect(result).toEqual({
      code: 0,
      stdout:
        'ROW   DEVICE   OUTCOME   ERROR\n1     bin-1    created   -\n2     bin-2    created   -\n',
      stderr: 'created 2, updated 0, unchanged 0, failed 0\n',
    });
  });

  it('takes the format from .geojson and .json, or from --format; passes --dry-run', async () => {
    await slimstad('devices', 'import', file('devices.geojson', GEOJSON), '--dry-run');
    await slimstad('devices', 'import', file('devices.json', GEOJSON));
    const dry = await slimstad('devices', 'import', file('devices.txt', CSV), '--format', 'csv');
    expect(received.importDevices.map((r) => [r.format, r.dryRun])).toEqual([
      [ImportFormat.IMPORT_FORMAT_GEOJSON, true],
      [ImportFormat.IMPORT_FORMAT_GEOJSON, false],
      [ImportFormat.IMPORT_FORMAT_CSV, false],
    ]);
    expect(dry.code).toBe(0);
    const dryRun = await slimstad('devices', 'import', file('d.geojson', GEOJSON), '--dry-run');
    expect(dryRun.stderr).toBe('would be created 1, updated 0, unchanged 0, failed 0\n');
  });

  it('exits 1 when a row failed, with the row in table and JSON output', async () => {
    const path = file('bad.csv', `${CSV}bin-9,bad,91\n`);
    const table = await slimstad('devices', 'import', path);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^3\s+bin-9\s+failed\s+latitude: 91 is not in \[-90, 90\]$/m);
    expect(table.stderr).toBe('nothing written; created 2, updated 0, unchanged 0, failed 1\n');

    const json = await slimstad('devices', 'import', path, '-o', 'json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      failedCount: 1,
      rows: [
        { row: 1, deviceId: 'bin-1', outcome: 'IMPORT_OUTCOME_CREATED', error: '' },
        { row: 2, deviceId: 'bin-2', outcome: 'IMPORT_OUTCOME_CREATED' },
        { row: 3, deviceId: 'bin-9', outcome: 'IMPORT_OUTCOME_FAILED' },
      ],
    });
  });

  it('refuses an unknown extension or format and a missing file', async () => {
    const txt = file('devices.txt', CSV);
    expect(await refused('devices', 'import', txt)).toBe(
      `slimstad: cannot tell the format of ${txt}: pass --format csv or --format geojson`,
    );
    expect(await refused('devices', 'import', txt, '--format', 'xlsx')).toBe(
      "slimstad: option '--format <format>' argument 'xlsx' is invalid. Allowed choices are csv, geojson.",
    );
    expect(await refused('devices', 'import', join(files, 'missing.csv'))).toMatch(
      /^slimstad: cannot read .*missing\.csv: ENOENT/,
    );
  });
});

describe('slimstad readings', () => {
  it('latest: by repeated --device, with enum names in JSON', async () => {
    const result = await slimstad(
      'readings',
      'latest',
      '--device',
      'wl-001',
      '--device',
      'wl-002',
      '-o',
      'json',
    );
    expect(received.getLatestReadings).toEqual([
      {
        deviceIds: ['wl-001', 'wl-002'],
        zone: '',
        deviceType: DeviceType.DEVICE_TYPE_UNSPECIFIED,
      },
    ]);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        deviceId: 'wl-001',
        metric: 'water_level',
        value: 0,
        unit: 'm',
        observedAt: '2026-11-22T10:00:00.000Z',
        receivedAt: '2026-11-22T10:00:00.000Z',
        zone: 'haven',
        deviceType: 'DEVICE_TYPE_WATER_LEVEL',
      },
    ]);
  });

  it('latest: by zone and type, as a table', async () => {
    const result = await slimstad('readings', 'latest', '--zone', 'haven', '--type', 'water_level');
    expect(received.getLatestReadings).toEqual([
      { deviceIds: [], zone: 'haven', deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL },
    ]);
    expect(result.stdout.split('\n')).toEqual([
      'DEVICE   TYPE          ZONE    METRIC        VALUE   UNIT   OBSERVED',
      'wl-001   water_level   haven   water_level   0       m      2026-11-22T10:00:00.000Z',
      '',
    ]);
  });

  it('latest: needs a selection, and --device excludes --zone/--type', async () => {
    expect(await refused('readings', 'latest')).toBe(
      'slimstad: select devices: --device, --zone or --type',
    );
    expect(await refused('readings', 'latest', '--device', 'wl-001', '--zone', 'haven')).toBe(
      'slimstad: use --device, or --zone and/or --type, not both',
    );
    expect(await refused('readings', 'latest', '--type', 'lamp')).toMatch(
      /^slimstad: option '--type <type>' argument 'lamp' is invalid\. must be one of /,
    );
  });

  it('query: sends the range and the bucket as a Duration', async () => {
    const result = await slimstad(
      'readings',
      'query',
      '--device',
      'wl-001',
      '--metric',
      'water_level',
      '--from',
      '2026-11-22T10:00:00Z',
      '--to',
      '2026-11-22T12:00:00+01:00',
      '--bucket',
      '15m',
    );
    expect(received.queryReadings).toEqual([
      {
        deviceId: 'wl-001',
        metric: 'water_level',
        startTime: new Date('2026-11-22T10:00:00Z'),
        endTime: new Date('2026-11-22T11:00:00Z'),
        bucket: { seconds: 900n, nanos: 0 },
      },
    ]);
    expect(result.stdout.split('\n')).toEqual([
      'BUCKET                     AVG [M]   MIN   MAX   COUNT',
      '2026-11-22T10:00:00.000Z   1.235     1     1.5   4',
      '2026-11-22T10:15:00.000Z   2         2     2     1',
      '',
    ]);
    const json = await slimstad(
      'readings',
      'query',
      '--device',
      'wl-001',
      '--metric',
      'water_level',
      '--from',
      '2026-11-22T10:00:00Z',
      '-o',
      'json',
    );
    expect(received.queryReadings[1]?.bucket).toEqual({ seconds: 3_600n, nanos: 0 });
    expect(JSON.parse(json.stdout).buckets[0]).toEqual({
      startTime: '2026-11-22T10:00:00.000Z',
      avg: 1.23456,
      min: 1,
      max: 1.5,
      count: '4',
    });
  });

  it('query: refuses a time without a zone and a bad bucket; NOT_FOUND is one line', async () => {
    const base = ['readings', 'query', '--device', 'wl-001', '--metric', 'water_level'];
    expect(await refused(...base, '--from', '2026-11-22T10:00:00')).toBe(
      "slimstad: option '--from <time>' argument '2026-11-22T10:00:00' is invalid. must be an ISO 8601 time with a zone, e.g. 2026-11-22T10:00:00Z.",
    );
    expect(await refused(...base, '--from', '2026-11-22T10:00:00Z', '--bucket', '0s')).toBe(
      "slimstad: option '--bucket <duration>' argument '0s' is invalid. must be longer than zero.",
    );
    expect(await refused('readings', 'query', '--device', 'wl-001', '--metric', 'x')).toBe(
      "slimstad: required option '--from <time>' not specified",
    );
    const missing = await slimstad(
      'readings',
      'query',
      '--device',
      'nope',
      '--metric',
      'x',
      '--from',
      '2026-11-22T10:00:00Z',
    );
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: 'slimstad: device nope not found (NOT_FOUND)\n',
    });
  });
});

describe('slimstad quarantine', () => {
  it('list: sends the filter and page size; reasons are names in JSON', async () => {
    const result = await slimstad(
      'quarantine',
      'list',
      '--reason',
      'unknown_device',
      '--device',
      'wl-404',
      '--source',
      'mqtt',
      '--page-size',
      '10',
      '-o',
      'json',
    );
    expect(received.listQuarantine).toEqual([
      {
        page: { pageSize: 10, pageToken: '' },
        filter: {
          reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
          deviceId: 'wl-404',
          source: 'mqtt',
          received: undefined,
        },
      },
    ]);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({
        id: 'q-1',
        reason: 'REJECTION_REASON_UNKNOWN_DEVICE',
        receivedAt: '2026-11-22T10:00:00.000Z',
        payload: Buffer.from('{}').toString('base64'),
      }),
    ]);
    expect(result.stderr).toBe('more entries: narrow the filter or raise --page-size\n');
  });

  it('list: an empty filter by default, as a table', async () => {
    const result = await slimstad('quarantine', 'list');
    expect(received.listQuarantine[0]).toEqual({
      page: { pageSize: 50, pageToken: '' },
      filter: {
        reason: RejectionReason.REJECTION_REASON_UNSPECIFIED,
        deviceId: '',
        source: '',
        received: undefined,
      },
    });
    expect(result.stdout).toMatch(
      /^q-1\s+2026-11-22T10:00:00\.000Z\s+unknown_device\s+wl-404\s+mqtt\s+no device wl-404$/m,
    );
  });

  it('list: refuses an unknown reason token', async () => {
    expect(await refused('quarantine', 'list', '--reason', 'bogus')).toMatch(
      /^slimstad: option '--reason <reason>' argument 'bogus' is invalid\. must be one of unknown_device, decommissioned_device, /,
    );
  });

  it('replay: by ids, with --dry-run', async () => {
    const result = await slimstad(
      'quarantine',
      'replay',
      '--id',
      'q-1',
      '--id',
      'q-2',
      '--dry-run',
    );
    expect(received.replayQuarantine).toEqual([
      { selection: { $case: 'ids', value: { ids: ['q-1', 'q-2'] } }, dryRun: true },
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.split('\n')).toEqual([
      'MATCHED   WOULD PASS   STILL REJECTED   NOT FOUND',
      '2         1            1                0',
      '',
    ]);
  });

  it('replay: by a filter', async () => {
    const result = await slimstad(
      'quarantine',
      'replay',
      '--reason',
      'out_of_range',
      '--device',
      'wl-001',
      '-o',
      'json',
    );
    expect(received.replayQuarantine).toEqual([
      {
        selection: {
          $case: 'filter',
          value: {
            reason: RejectionReason.REJECTION_REASON_OUT_OF_RANGE,
            deviceId: 'wl-001',
            source: '',
            received: undefined,
          },
        },
        dryRun: false,
      },
    ]);
    expect(JSON.parse(result.stdout)).toEqual({
      matchedCount: 2,
      acceptedCount: 1,
      stillRejectedCount: 1,
      notFoundCount: 0,
    });
  });

  it('replay: needs ids or a filter, not both', async () => {
    expect(await refused('quarantine', 'replay')).toBe(
      'slimstad: choose what to replay: --id, or --reason/--device/--source',
    );
    expect(await refused('quarantine', 'replay', '--id', 'q-1', '--reason', 'out_of_range')).toBe(
      'slimstad: use --id or a filter, not both',
    );
  });
});

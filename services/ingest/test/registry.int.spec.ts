// The device registry over real gRPC and a real Postgres: register, update, decommission,
// list, bulk import (all-or-nothing), role checks, the append-only audit, and the directory
// caches of this replica and of another one converging.
import { protoFiles, protoRoot, SensorDevicesStream } from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  type Device,
  DeviceChanged as DeviceChangedMessage,
  DeviceChangeKind,
  DeviceStatus,
  DeviceType,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import {
  DeviceRegistryServiceClient,
  ImportFormat,
  ImportOutcome,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import {
  Bus,
  connectNats,
  createClient,
  createDatabase,
  createGrpcServer,
  createLogger,
  createMetrics,
  createTokenVerifier,
  type Database,
  decodeErrorDetails,
  isServiceError,
  migrateToLatest,
  Namespace,
  OutboxRelay,
  promisifyUnary,
  type Role,
  signToken,
} from '@slimstad/kit';
import { createTestDatabase, createTestNamespace, type TestDatabase } from '@slimstad/test-harness';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registryService } from '../src/api/registry.handler.js';
import type { IngestDatabase } from '../src/store/db.js';
import { auditOf } from '../src/store/device.repository.js';
import { CachedDeviceDirectory } from '../src/store/device-directory.js';
import { migrations } from '../src/store/migrations/index.js';

const KEY = 'registry-test-secret-0123456789abcdef';
const log = createLogger('registry-test', 'silent');

let testDb: TestDatabase;
let database: Database<IngestDatabase>;
let directory: CachedDeviceDirectory;
let address: string;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'), 'ingest_registry');
  database = createDatabase<IngestDatabase>({ url: testDb.url, schema: 'ingest' });
  await migrateToLatest(database.db as never, { schema: 'ingest', migrations, log });
  directory = new CachedDeviceDirectory(database.db);
  await directory.refresh();
  const server = createGrpcServer({
    log,
    metrics: createMetrics('registry-test', { defaultMetrics: false }),
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [registryService({ db: database.db, directory, log, municipalityCode: 'GM0758' })],
    reflection: { protoRoot, protoFiles },
  });
  address = `127.0.0.1:${await server.start(0, '127.0.0.1')}`;
  closers.push(() => server.shutdown(1_000));
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await database?.close();
  await testDb?.drop();
});

async function registry(roles: Role[], subject = 'alice') {
  const token = await signToken({ key: KEY, subject, roles });
  const client = createClient(DeviceRegistryServiceClient, address, { token, deadlineMs: 10_000 });
  closers.push(async () => client.close());
  return {
    register: promisifyUnary(client, client.registerDevice),
    update: promisifyUnary(client, client.updateDevice),
    decommission: promisifyUnary(client, client.decommissionDevice),
    get: promisifyUnary(client, client.getDevice),
    list: promisifyUnary(client, client.listDevices),
    import: promisifyUnary(client, client.importDevices),
  };
}

function gauge(id: string, overrides: Partial<Device> = {}): Device {
  return {
    id,
    type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
    name: `Gauge ${id}`,
    location: { latitude: 51.5877, longitude: 4.7763, altitudeMeters: undefined },
    zone: 'haven',
    metrics: [{ name: 'water_level', unit: 'm', min: -2, max: 8 }],
    ownerDepartment: 'public-works',
    classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
    expectedReportInterval: { seconds: 900n, nanos: 0 },
    network: {
      kind: NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK,
      networkId: `0004a30b00${id.replace(/\D/g, '').padStart(6, '0')}`,
    },
    status: DeviceStatus.DEVICE_STATUS_UNSPECIFIED,
    createdAt: undefined,
    updatedAt: undefined,
    decommissionedAt: undefined,
    labels: { vendor: 'acme' },
    municipalityCode: '',
    ...overrides,
  };
}

/** The gRPC status code and field violations a call failed with. */
async function failure(call: Promise<unknown>) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isServiceError(error)) throw new Error(`expected a gRPC error, got ${String(error)}`);
  return {
    code: error.code,
    details: error.details,
    fields: decodeErrorDetails(error.metadata)?.violations.map((v) => v.field) ?? [],
  };
}

describe('registering devices', () => {
  it('stores a device with output-only fields set, normalized, audited and visible to the reading path', async () => {
    const api = await registry(['operator'], 'alice');
    const { device } = await api.register({
      device: gauge('wl-101', { status: DeviceStatus.DEVICE_STATUS_DECOMMISSIONED }),
    });
    expect(device).toMatchObject({
      id: 'wl-101',
      status: DeviceStatus.DEVICE_STATUS_ACTIVE,
      municipalityCode: 'GM0758',
      // DevEUIs are kept in upper case, whatever the operator typed.
      network: { networkId: '0004A30B00000101' },
      expectedReportInterval: { seconds: 900n, nanos: 0 },
      labels: { vendor: 'acme' },
    });
    expect(device?.createdAt).toBeInstanceOf(Date);

    const { device: read } = await (await registry(['viewer'])).get({ deviceId: 'wl-101' });
    expect(read).toEqual(device);

    const view = directory.byNetworkId(
      NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK,
      '0004A30B00000101',
    );
    expect(view).toMatchObject({ id: 'wl-101', active: true, typeToken: 'water_level' });
    expect(view?.metrics.get('water_level')).toEqual({ unit: 'm', min: -2, max: 8 });
    expect(view?.expectedIntervalMs).toBe(900_000);

    const audit = await auditOf(database.db, 'wl-101');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'alice', action: 'register' });
    expect(audit[0]?.detail).toMatchObject({ device: { id: 'wl-101', type: 'water_level' } });
  });

  it('refuses an invalid device naming every bad field', async () => {
    const api = await registry(['operator']);
    const bad = gauge('wl-102', {
      location: { latitude: 91.2, longitude: 4.7, altitudeMeters: undefined },
      metrics: [{ name: 'water_level', unit: 'furlong', min: undefined, max: undefined }],
      classification: DataClassification.DATA_CLASSIFICATION_UNSPECIFIED,
    });
    const result = await failure(api.register({ device: bad }));
    expect(result.code).toBe(3); // INVALID_ARGUMENT
    expect(result.fields).toEqual([
      'device.location.latitude',
      'device.metrics[0].unit',
      'device.classification',
    ]);
    expect((await failure(api.get({ deviceId: 'wl-102' }))).code).toBe(5);
  });

  it('refuses a taken id and a network id held by another active device', async () => {
    const api = await registry(['operator']);
    await api.register({ device: gauge('wl-103') });
    const sameId = await failure(api.register({ device: gauge('wl-103') }));
    expect(sameId.code).toBe(6); // ALREADY_EXISTS
    expect(sameId.fields).toEqual(['device.id']);

    const sameEui = await failure(
      api.register({
        device: gauge('wl-104', { network: gauge('wl-103').network }),
      }),
    );
    expect(sameEui.code).toBe(6);
    expect(sameEui.details).toMatch(/belongs to active device wl-103/);
  });

  it('lets only operators change the registry, and records nothing for refused calls', async () => {
    const viewer = await registry(['viewer'], 'victor');
    expect((await failure(viewer.register({ device: gauge('wl-105') }))).code).toBe(7);
    expect((await failure(viewer.decommission({ deviceId: 'wl-101', reason: 'test' }))).code).toBe(
      7,
    );
    expect(
      (
        await failure(
          viewer.import({
            format: ImportFormat.IMPORT_FORMAT_CSV,
            content: Buffer.from(''),
            dryRun: true,
          }),
        )
      ).code,
    ).toBe(7);
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from device_audit where actor = 'victor'`.execute(database.db);
    expect(rows[0]?.n).toBe(0);
  });
});

describe('changing devices', () => {
  it('changes exactly the fields in the mask and audits before and after', async () => {
    const api = await registry(['operator'], 'bob');
    await api.register({ device: gauge('wl-110') });
    const { device } = await api.update({
      device: gauge('wl-110', { name: 'Renamed', zone: 'ignored-zone', labels: {} }),
      updateMask: ['name', 'labels'],
    });
    expect(device).toMatchObject({ name: 'Renamed', zone: 'haven', labels: {} });
    const audit = await auditOf(database.db, 'wl-110');
    expect(audit.map((a) => a.action)).toEqual(['register', 'update']);
    expect(audit[1]?.detail).toEqual({
      changed: ['name', 'labels'],
      before: { name: 'Gauge wl-110', labels: { vendor: 'acme' } },
      after: { name: 'Renamed', labels: {} },
    });
  });

  it('refuses an empty mask, a fixed field and an invalid result', async () => {
    const api = await registry(['operator']);
    await api.register({ device: gauge('wl-111') });
    expect((await failure(api.update({ device: gauge('wl-111'), updateMask: [] }))).fields).toEqual(
      ['update_mask'],
    );
    const fixed = await failure(
      api.update({
        device: gauge('wl-111', { type: DeviceType.DEVICE_TYPE_NOISE }),
        updateMask: ['type'],
      }),
    );
    expect(fixed.code).toBe(3);
    expect(fixed.details).toMatch(/cannot be changed/);
    const invalid = await failure(
      api.update({
        device: gauge('wl-111', { metrics: [] }),
        updateMask: ['metrics'],
      }),
    );
    expect(invalid.fields).toEqual(['device.metrics']);
  });

  it('decommissions with a reason, idempotently, and frees the network id for a replacement', async () => {
    const api = await registry(['operator'], 'carol');
    await api.register({ device: gauge('wl-120') });
    expect((await failure(api.decommission({ deviceId: 'wl-120', reason: ' ' }))).fields).toEqual([
      'reason',
    ]);
    const { device } = await api.decommission({ deviceId: 'wl-120', reason: 'replaced by wl-121' });
    expect(device?.status).toBe(DeviceStatus.DEVICE_STATUS_DECOMMISSIONED);
    expect(device?.decommissionedAt).toBeInstanceOf(Date);
    const again = await api.decommission({ deviceId: 'wl-120', reason: 'twice' });
    expect(again.device?.decommissionedAt).toEqual(device?.decommissionedAt);

    expect(directory.byId('wl-120')?.active).toBe(false);
    expect(
      (await failure(api.update({ device: gauge('wl-120'), updateMask: ['name'] }))).code,
    ).toBe(9); // FAILED_PRECONDITION

    await api.register({ device: gauge('wl-121', { network: gauge('wl-120').network }) });
    const holder = directory.byNetworkId(
      NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK,
      '0004A30B00000120',
    );
    expect(holder?.id).toBe('wl-121');

    const audit = await auditOf(database.db, 'wl-120');
    expect(audit.map((a) => [a.action, a.actor, a.detail])).toEqual([
      ['register', 'carol', expect.anything()],
      ['decommission', 'carol', { reason: 'replaced by wl-121' }],
    ]);
  });

  it('refuses to move a device onto a network id another active device holds', async () => {
    const api = await registry(['operator']);
    await api.register({ device: gauge('wl-140') });
    await api.register({ device: gauge('wl-141') });
    const taken = await failure(
      api.update({
        device: gauge('wl-141', { network: gauge('wl-140').network }),
        updateMask: ['network'],
      }),
    );
    expect(taken.code).toBe(6);
    expect(taken.details).toBe('network id 0004A30B00000140 belongs to active device wl-140');
    expect((await api.get({ deviceId: 'wl-141' })).device?.network?.networkId).toBe(
      '0004A30B00000141',
    );
  });

  it('keeps the audit append-only', async () => {
    await expect(
      sql`update device_audit set actor = 'mallory'`.execute(database.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from device_audit`.execute(database.db)).rejects.toThrow(/append-only/);
  });
});

describe('listing devices', () => {
  it('pages by id and filters by type, zone and status', async () => {
    const api = await registry(['operator']);
    for (const id of ['ls-1', 'ls-2', 'ls-3', 'ls-4', 'ls-5']) {
      await api.register({ device: gauge(id, { zone: 'listing' }) });
    }
    await api.register({
      device: gauge('ls-6', {
        zone: 'listing',
        type: DeviceType.DEVICE_TYPE_NOISE,
        metrics: [{ name: 'laeq', unit: 'dB[A]', min: 0, max: 140 }],
      }),
    });
    await api.decommission({ deviceId: 'ls-2', reason: 'broken' });
    const viewer = await registry(['viewer']);

    const ids: string[] = [];
    let pageToken = '';
    do {
      const { devices, page } = await viewer.list({
        page: { pageSize: 2, pageToken },
        zone: 'listing',
        type: DeviceType.DEVICE_TYPE_UNSPECIFIED,
        status: DeviceStatus.DEVICE_STATUS_UNSPECIFIED,
      });
      expect(devices.length).toBeLessThanOrEqual(2);
      ids.push(...devices.map((d) => d.id));
      pageToken = page?.nextPageToken ?? '';
    } while (pageToken);
    expect(ids).toEqual(['ls-1', 'ls-2', 'ls-3', 'ls-4', 'ls-5', 'ls-6']);

    const active = await viewer.list({
      zone: 'listing',
      type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
      status: DeviceStatus.DEVICE_STATUS_ACTIVE,
    });
    expect(active.devices.map((d) => d.id)).toEqual(['ls-1', 'ls-3', 'ls-4', 'ls-5']);

    const bad = await failure(
      viewer.list({
        page: { pageSize: 2, pageToken: 'not-a-token' },
        zone: '',
        type: 0,
        status: 0,
      }),
    );
    expect(bad.fields).toEqual(['page.page_token']);
  });
});

describe('importing devices', () => {
  const header =
    'id,type,name,latitude,longitude,zone,metrics,owner_department,classification,expected_report_interval,network_kind,network_id,labels';
  const row = (id: string, eui: string, extra: Partial<Record<'name' | 'lat', string>> = {}) =>
    `${id},bin_fill,${extra.name ?? `Bin ${id}`},${extra.lat ?? '51.58'},4.77,centrum,fill_level:%:0:100,waste,public,1h,lorawan_tts,${eui},vendor=ecobin`;

  it('reports every row and writes nothing when one row fails', async () => {
    const api = await registry(['operator']);
    const csv = [
      header,
      row('bin-1', '70B3D57ED0000001'),
      row('bin-2', '70B3D57ED0000002', { lat: '91.5' }),
      row('bin-3', '70B3D57ED0000003'),
    ].join('\n');
    const result = await api.import({
      format: ImportFormat.IMPORT_FORMAT_CSV,
      content: Buffer.from(csv),
      dryRun: false,
    });
    expect(result.rows).toEqual([
      { row: 1, deviceId: 'bin-1', outcome: ImportOutcome.IMPORT_OUTCOME_CREATED, error: '' },
      {
        row: 2,
        deviceId: 'bin-2',
        outcome: ImportOutcome.IMPORT_OUTCOME_FAILED,
        error: 'location.latitude: 91.5 is not in [-90, 90]',
      },
      { row: 3, deviceId: 'bin-3', outcome: ImportOutcome.IMPORT_OUTCOME_CREATED, error: '' },
    ]);
    expect(result).toMatchObject({ createdCount: 2, failedCount: 1, dryRun: false });
    expect((await failure(api.get({ deviceId: 'bin-1' }))).code).toBe(5);
  });

  it('creates, updates and leaves unchanged rows; a dry run writes nothing', async () => {
    const api = await registry(['operator'], 'importer');
    const first = [header, row('bin-11', '70B3D57ED0000011'), row('bin-12', '70B3D57ED0000012')];
    const created = await api.import({
      format: ImportFormat.IMPORT_FORMAT_CSV,
      content: Buffer.from(first.join('\n')),
      dryRun: false,
    });
    expect(created).toMatchObject({ createdCount: 2, failedCount: 0 });
    expect(directory.byId('bin-11')?.metrics.get('fill_level')).toEqual({
      unit: '%',
      min: 0,
      max: 100,
    });

    const second = [
      header,
      row('bin-11', '70B3D57ED0000011'),
      row('bin-12', '70B3D57ED0000012', { name: 'Bin by the station' }),
      row('bin-13', '70B3D57ED0000013'),
    ].join('\n');
    const dry = await api.import({
      format: ImportFormat.IMPORT_FORMAT_CSV,
      content: Buffer.from(second),
      dryRun: true,
    });
    expect(dry.rows.map((r) => r.outcome)).toEqual([
      ImportOutcome.IMPORT_OUTCOME_UNCHANGED,
      ImportOutcome.IMPORT_OUTCOME_UPDATED,
      ImportOutcome.IMPORT_OUTCOME_CREATED,
    ]);
    expect((await failure(api.get({ deviceId: 'bin-13' }))).code).toBe(5);

    const applied = await api.import({
      format: ImportFormat.IMPORT_FORMAT_CSV,
      content: Buffer.from(second),
      dryRun: false,
    });
    expect(applied).toMatchObject({ createdCount: 1, updatedCount: 1, unchangedCount: 1 });
    expect((await api.get({ deviceId: 'bin-12' })).device?.name).toBe('Bin by the station');
    const audit = await auditOf(database.db, 'bin-12');
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['register', 'importer'],
      ['update', 'importer'],
    ]);
    expect(audit[1]?.detail).toMatchObject({ changed: ['name'], import: true });
  });

  it('imports GeoJSON points longitude first', async () => {
    const api = await registry(['operator']);
    const geojson = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [4.7763, 51.5877, 3.2] },
          properties: {
            id: 'noise-1',
            type: 'noise',
            name: 'Grote Markt',
            zone: 'centrum',
            metrics: [{ name: 'laeq', unit: 'dB[A]', min: 0, max: 140 }],
            owner_department: 'environment',
            classification: 'internal',
            expected_report_interval: '5m',
            network_kind: 'mqtt',
            network_id: 'noise-grote-markt',
            labels: { vendor: 'sonitus' },
          },
        },
      ],
    };
    const result = await api.import({
      format: ImportFormat.IMPORT_FORMAT_GEOJSON,
      content: Buffer.from(JSON.stringify(geojson)),
      dryRun: false,
    });
    expect(result.rows).toEqual([
      { row: 1, deviceId: 'noise-1', outcome: ImportOutcome.IMPORT_OUTCOME_CREATED, error: '' },
    ]);
    const { device } = await api.get({ deviceId: 'noise-1' });
    expect(device?.location).toEqual({ latitude: 51.5877, longitude: 4.7763, altitudeMeters: 3.2 });
    expect(device?.classification).toBe(DataClassification.DATA_CLASSIFICATION_INTERNAL);
    expect(device?.expectedReportInterval).toEqual({ seconds: 300n, nanos: 0 });
  });

  it('refuses a file it cannot read with one clear reason', async () => {
    const api = await registry(['operator']);
    const unknownColumn = await failure(
      api.import({
        format: ImportFormat.IMPORT_FORMAT_CSV,
        content: Buffer.from('id,type,colour\nx,noise,red'),
        dryRun: true,
      }),
    );
    expect(unknownColumn.code).toBe(3);
    expect(unknownColumn.details).toMatch(/unknown column\(s\) colour/);
    const notUtf8 = await failure(
      api.import({
        format: ImportFormat.IMPORT_FORMAT_CSV,
        content: Buffer.from([0xff, 0xfe, 0x00]),
        dryRun: true,
      }),
    );
    expect(notUtf8.fields).toEqual(['content']);
    const noFormat = await failure(
      api.import({
        format: ImportFormat.IMPORT_FORMAT_UNSPECIFIED,
        content: Buffer.from('x'),
        dryRun: true,
      }),
    );
    expect(noFormat.fields).toEqual(['format']);
  });
});

describe('the directory on another replica', () => {
  it('catches up with registrations, changes and decommissions on refresh', async () => {
    let refreshed = 0;
    const replica = new CachedDeviceDirectory(database.db, { onRefreshed: () => refreshed++ });
    await replica.refresh();
    const before = replica.counts().get('water_level') ?? { active: 0, decommissioned: 0 };
    const api = await registry(['operator']);
    await api.register({ device: gauge('wl-130') });
    expect(replica.byId('wl-130')).toBeUndefined();
    await replica.refresh();
    expect(replica.byId('wl-130')?.active).toBe(true);

    await api.update({
      device: gauge('wl-130', {
        metrics: [{ name: 'water_level', unit: 'cm', min: 0, max: 500 }],
      }),
      updateMask: ['metrics'],
    });
    await api.decommission({ deviceId: 'wl-130', reason: 'moved' });
    await replica.refresh();
    expect(replica.byId('wl-130')).toMatchObject({ active: false });
    expect(replica.byId('wl-130')?.metrics.get('water_level')?.unit).toBe('cm');
    expect(replica.size).toBe(directory.size);
    expect(replica.counts().get('water_level')).toEqual({
      active: before.active,
      decommissioned: before.decommissioned + 1,
    });
    expect(refreshed).toBe(3);
  });
});

describe('device change events', () => {
  it('publishes registered, updated and decommissioned through the outbox, once each', async () => {
    const natsUrl = inject('natsUrl');
    const ns = createTestNamespace(natsUrl, 'registry-events');
    const nc = await connectNats({ url: natsUrl, name: 'registry-events-test', log });
    const bus = await Bus.create(nc, { namespace: ns.namespace, log });
    await bus.declareStreams(SensorDevicesStream);
    // Events of the earlier tests wait in the outbox too; this test follows its own device.
    const relay = new OutboxRelay({ db: database.db as never, bus, log });
    try {
      const api = await registry(['operator'], 'erik');
      await api.register({ device: gauge('wl-150') });
      await api.update({ device: gauge('wl-150', { zone: 'dijle' }), updateMask: ['zone'] });
      await api.decommission({ deviceId: 'wl-150', reason: 'flooded' });
      await relay.drain();
      await relay.drain(); // a second round finds nothing more to send

      const stream = new Namespace(ns.namespace).stream(SensorDevicesStream);
      const subject = `${ns.namespace}.sensor.device.changed.water_level.wl-150`;
      const info = await bus.jsm.streams.info(stream, { subjects_filter: subject });
      expect(info.state.subjects?.[subject]).toBe(3);
      const events = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await bus.jsm.streams.getMessage(stream, { seq });
        if (m?.subject === subject) events.push(DeviceChangedMessage.decode(m.data));
      }
      expect(events.map((e) => [e.kind, e.changedFields, e.actor, e.device?.zone])).toEqual([
        [DeviceChangeKind.DEVICE_CHANGE_KIND_REGISTERED, [], 'erik', 'haven'],
        [DeviceChangeKind.DEVICE_CHANGE_KIND_UPDATED, ['zone'], 'erik', 'dijle'],
        [DeviceChangeKind.DEVICE_CHANGE_KIND_DECOMMISSIONED, [], 'erik', 'dijle'],
      ]);
      expect(events[2]?.device?.status).toBe(DeviceStatus.DEVICE_STATUS_DECOMMISSIONED);
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from outbox`.execute(
        database.db,
      );
      expect(rows[0]?.n).toBe(0);
    } finally {
      await bus.drain();
      await ns.cleanup();
    }
  });

  it('leaves no event behind a change that was refused', async () => {
    const before = await sql<{ n: number }>`select count(*)::int as n from outbox`.execute(
      database.db,
    );
    const api = await registry(['operator']);
    await failure(api.register({ device: gauge('wl-101') })); // id taken
    const after = await sql<{ n: number }>`select count(*)::int as n from outbox`.execute(
      database.db,
    );
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });
});

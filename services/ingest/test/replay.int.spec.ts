// The operator's loop on the real service: a reading from a device nobody registered yet is
// refused and quarantined with its reason; the operator registers the device, replays the
// quarantine, and the reading is stored, published and visible as the device's latest value.
import { ReadingSubmitted } from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import { Device, DeviceType, NetworkKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { IngestServiceClient } from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import { Reading, RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { DeviceRegistryServiceClient } from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import {
  Bus,
  connectNats,
  createClient,
  createLogger,
  promisifyUnary,
  signToken,
} from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { afterAll, beforeAll, expect, inject, it, vi } from 'vitest';
import { type IngestProcess, startIngest } from './support/ingest-process.js';

const KEY = 'replay-test-key-0123456789abcdef';
const log = createLogger('replay-test', 'silent');

let database: TestDatabase;
let ns: TestNamespace;
let ingest: IngestProcess;
let bus: Bus;
let address: string;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'ingest_replay');
  ns = createTestNamespace(inject('natsUrl'), 'replay');
  ingest = startIngest({
    databaseUrl: database.url,
    natsUrl: inject('natsUrl'),
    namespace: ns.namespace,
    authKey: KEY,
  });
  address = await ingest.grpcAddress();
  const nc = await connectNats({ url: inject('natsUrl'), name: 'replay-test-adapter', log });
  bus = await Bus.create(nc, { namespace: ns.namespace, log });
}, 60_000);

afterAll(async () => {
  await bus?.drain();
  await ingest?.stop();
  await ns?.cleanup();
  await database?.drop();
}, 30_000);

it('stores a quarantined reading once its device is registered and the quarantine replayed', async () => {
  const token = await signToken({ key: KEY, subject: 'otto', roles: ['operator'] });
  const registry = createClient(DeviceRegistryServiceClient, address, {
    token,
    deadlineMs: 10_000,
  });
  const api = createClient(IngestServiceClient, address, { token, deadlineMs: 10_000 });
  const listQuarantine = promisifyUnary(api, api.listQuarantine);

  // A trusted adapter publishes a reading for a gauge the registry does not know yet.
  const observedAt = new Date(Date.now() - 30_000);
  await bus.publish(
    ReadingSubmitted,
    { source: 'adapter' },
    Reading.fromPartial({
      deviceId: 'wl-900',
      metric: 'water_level',
      value: 2.4,
      unit: 'm',
      observedAt,
    }),
    { msgId: 'adapter:wl-900:1' },
  );
  const entry = await vi.waitFor(
    async () => {
      const { entries } = await listQuarantine({
        filter: {
          reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
          deviceId: 'wl-900',
          source: '',
          received: undefined,
        },
      });
      expect(entries).toHaveLength(1);
      return entries[0]!;
    },
    { timeout: 15_000, interval: 200 },
  );
  expect(entry.detail).toBe('no device wl-900 in the registry');

  await promisifyUnary(
    registry,
    registry.registerDevice,
  )({
    device: Device.fromPartial({
      id: 'wl-900',
      type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
      name: 'Dijle at the Haverwerf',
      location: { latitude: 51.0283, longitude: 4.4777 },
      metrics: [{ name: 'water_level', unit: 'cm', min: -200, max: 800 }],
      ownerDepartment: 'public-works',
      classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
      network: { kind: NetworkKind.NETWORK_KIND_NATS, networkId: 'wl-900' },
    }),
  });
  const replayed = await promisifyUnary(
    api,
    api.replayQuarantine,
  )({
    selection: { $case: 'ids', value: { ids: [entry.id] } },
    dryRun: false,
  });
  expect(replayed).toEqual({
    matchedCount: 1,
    acceptedCount: 1,
    stillRejectedCount: 0,
    notFoundCount: 0,
  });

  // Stored in the registry's unit (cm), and no longer in the quarantine.
  const latest = await vi.waitFor(
    async () => {
      const { readings } = await promisifyUnary(
        api,
        api.getLatestReadings,
      )({
        deviceIds: ['wl-900'],
        zone: '',
        deviceType: DeviceType.DEVICE_TYPE_UNSPECIFIED,
      });
      expect(readings).toHaveLength(1);
      return readings[0]!;
    },
    { timeout: 15_000, interval: 200 },
  );
  expect(latest).toMatchObject({ metric: 'water_level', value: 240, unit: 'cm', observedAt });
  const { entries } = await listQuarantine({});
  expect(entries).toEqual([]);
  registry.close();
  api.close();
}, 60_000);

import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  type Device,
  DeviceStatus,
  DeviceType,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyUpdateMask,
  changedFields,
  deviceViolations,
  intervalSeconds,
  normalizeDevice,
  UPDATABLE_FIELDS,
} from './device-rules.js';

function validDevice(overrides: Partial<Device> = {}): Device {
  return {
    id: 'wl-001',
    type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
    name: 'Haven Mark - waterpeil',
    location: { latitude: 51.5877, longitude: 4.7763, altitudeMeters: undefined },
    zone: 'haven',
    metrics: [{ name: 'water_level', unit: 'm', min: -2, max: 8 }],
    ownerDepartment: 'public-works',
    classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
    expectedReportInterval: { seconds: 900n, nanos: 0 },
    network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK, networkId: '0004A30B001C0530' },
    status: DeviceStatus.DEVICE_STATUS_UNSPECIFIED,
    createdAt: undefined,
    updatedAt: undefined,
    decommissionedAt: undefined,
    labels: {},
    municipalityCode: '',
    ...overrides,
  };
}

const fields = (device: Device) => deviceViolations(device).map((v) => v.field);

describe('deviceViolations', () => {
  it('accepts a complete registration', () => {
    expect(deviceViolations(validDevice())).toEqual([]);
  });

  it.each([
    ['id with a dot', { id: 'wl.001' }, 'id'],
    ['empty id', { id: '' }, 'id'],
    ['id of 65 characters', { id: 'x'.repeat(65) }, 'id'],
    ['no type', { type: DeviceType.DEVICE_TYPE_UNSPECIFIED }, 'type'],
    ['no name', { name: '' }, 'name'],
    ['no location', { location: undefined }, 'location'],
    ['zone with a space', { zone: 'old town' }, 'zone'],
    ['no metrics', { metrics: [] }, 'metrics'],
    ['department with capitals', { ownerDepartment: 'Public Works' }, 'owner_department'],
    [
      'no classification',
      { classification: DataClassification.DATA_CLASSIFICATION_UNSPECIFIED },
      'classification',
    ],
    [
      'interval over 7 days',
      { expectedReportInterval: { seconds: 8n * 86_400n, nanos: 0 } },
      'expected_report_interval',
    ],
    [
      'no network kind',
      { network: { kind: NetworkKind.NETWORK_KIND_UNSPECIFIED, networkId: 'x' } },
      'network.kind',
    ],
    [
      'short DevEUI',
      { network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: '70B3D57E' } },
      'network.network_id',
    ],
    [
      'empty MQTT id',
      { network: { kind: NetworkKind.NETWORK_KIND_MQTT, networkId: '' } },
      'network.network_id',
    ],
    ['label key with a capital', { labels: { Vendor: 'acme' } }, 'labels.Vendor'],
  ] as const)('names the field for %s', (_case, overrides, field) => {
    expect(fields(validDevice(overrides as Partial<Device>))).toEqual([field]);
  });

  it('names each bad coordinate with its value', () => {
    const violations = deviceViolations(
      validDevice({ location: { latitude: 91.2, longitude: -181, altitudeMeters: Number.NaN } }),
    );
    expect(violations).toEqual([
      { field: 'location.latitude', description: '91.2 is not in [-90, 90]' },
      { field: 'location.longitude', description: '-181 is not in [-180, 180]' },
      { field: 'location.altitude_meters', description: 'must be a finite number' },
    ]);
  });

  it('checks every metric: name, duplicates, unit and bounds', () => {
    const violations = deviceViolations(
      validDevice({
        metrics: [
          { name: 'Water Level', unit: 'm', min: undefined, max: undefined },
          { name: 'pm2_5', unit: 'furlong', min: undefined, max: undefined },
          { name: 'pm2_5', unit: 'ug/m3', min: 10, max: 5 },
          { name: 'count_in', unit: '{count}', min: Number.POSITIVE_INFINITY, max: undefined },
        ],
      }),
    );
    expect(violations.map((v) => v.field)).toEqual([
      'metrics[0].name',
      'metrics[1].unit',
      'metrics[2].name',
      'metrics[2].max',
      'metrics[3].min',
    ]);
    expect(violations[2]?.description).toBe('pm2_5 is listed twice');
    expect(violations[3]?.description).toBe('5 is below min 10');
  });
});

describe('normalizeDevice', () => {
  it('trims text, upper-cases DevEUIs, lower-cases the department and clears output-only fields', () => {
    const device = normalizeDevice(
      validDevice({
        id: ' wl-001 ',
        ownerDepartment: ' Public-Works ',
        network: {
          kind: NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK,
          networkId: ' 0004a30b001c0530 ',
        },
        status: DeviceStatus.DEVICE_STATUS_ACTIVE,
        createdAt: new Date(),
        municipalityCode: 'GM0758',
        labels: { b: ' 2 ', a: '1' },
      }),
    );
    expect(device).toMatchObject({
      id: 'wl-001',
      ownerDepartment: 'public-works',
      network: { networkId: '0004A30B001C0530' },
      status: DeviceStatus.DEVICE_STATUS_UNSPECIFIED,
      createdAt: undefined,
      municipalityCode: '',
    });
    expect(Object.entries(device.labels)).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('keeps the case of non-LoRaWAN network ids', () => {
    const device = normalizeDevice(
      validDevice({ network: { kind: NetworkKind.NETWORK_KIND_MQTT, networkId: 'Noise-Markt' } }),
    );
    expect(device.network?.networkId).toBe('Noise-Markt');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
        fc.constantFrom(NetworkKind.NETWORK_KIND_LORAWAN_TTS, NetworkKind.NETWORK_KIND_HTTP),
        (name, networkId, labels, kind) => {
          const once = normalizeDevice(validDevice({ name, labels, network: { kind, networkId } }));
          expect(normalizeDevice(once)).toEqual(once);
        },
      ),
    );
  });
});

describe('applyUpdateMask', () => {
  const current = validDevice();

  it('takes exactly the masked fields from the patch', () => {
    const patch = validDevice({ name: 'New', zone: 'elsewhere', labels: { a: 'b' } });
    const result = applyUpdateMask(current, patch, ['name', 'labels']);
    expect(result).toEqual({ device: { ...current, name: 'New', labels: { a: 'b' } } });
  });

  it('refuses an empty mask rather than reading it as everything', () => {
    expect(applyUpdateMask(current, current, [])).toEqual({
      violations: [{ field: 'update_mask', description: 'is required: name the fields to change' }],
    });
  });

  it.each(['id', 'type', 'status', 'created_at', 'colour'])('refuses %s', (path) => {
    const result = applyUpdateMask(current, current, ['name', path]);
    expect('violations' in result && result.violations).toEqual([
      {
        field: 'update_mask',
        description: expect.stringContaining(`"${path}" cannot be changed`),
      },
    ]);
  });

  it('for any mask of updatable fields, changes nothing outside it', () => {
    const other = validDevice({
      name: 'Other',
      location: { latitude: 1, longitude: 2, altitudeMeters: 3 },
      zone: 'z2',
      metrics: [{ name: 'level', unit: 'cm', min: 0, max: 1 }],
      ownerDepartment: 'mobility',
      classification: DataClassification.DATA_CLASSIFICATION_INTERNAL,
      expectedReportInterval: { seconds: 60n, nanos: 0 },
      network: { kind: NetworkKind.NETWORK_KIND_HTTP, networkId: 'h-1' },
      labels: { x: 'y' },
    });
    fc.assert(
      fc.property(fc.subarray([...UPDATABLE_FIELDS], { minLength: 1 }), (mask) => {
        const result = applyUpdateMask(current, other, mask);
        if (!('device' in result)) throw new Error('expected a device');
        expect(changedFields(current, result.device).sort()).toEqual([...mask].sort());
      }),
    );
  });
});

describe('changedFields', () => {
  it('sees no change between a device and its normalized form', () => {
    const device = validDevice({
      network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: '70b3d57ed0000abc' },
    });
    expect(changedFields(device, normalizeDevice(device))).toEqual([]);
  });

  it('compares intervals by length, not by representation', () => {
    const a = validDevice({ expectedReportInterval: { seconds: 900n, nanos: 0 } });
    const b = validDevice({ expectedReportInterval: { seconds: 899n, nanos: 1e9 } });
    expect(changedFields(a, b)).toEqual([]);
    expect(
      changedFields(a, validDevice({ expectedReportInterval: { seconds: 901n, nanos: 0 } })),
    ).toEqual(['expected_report_interval']);
  });

  it('names metric and location changes', () => {
    const changed = validDevice({
      metrics: [{ name: 'water_level', unit: 'm', min: -2, max: 9 }],
      location: { latitude: 51.5877, longitude: 4.7764, altitudeMeters: undefined },
    });
    expect(changedFields(validDevice(), changed)).toEqual(['location', 'metrics']);
  });
});

describe('intervalSeconds', () => {
  it('is 0 when unset and includes nanoseconds', () => {
    expect(intervalSeconds(validDevice({ expectedReportInterval: undefined }))).toBe(0);
    expect(
      intervalSeconds(validDevice({ expectedReportInterval: { seconds: 1n, nanos: 500_000_000 } })),
    ).toBe(1.5);
  });
});

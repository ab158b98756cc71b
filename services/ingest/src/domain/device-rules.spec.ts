import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  type Device,
  DeviceStatus,
  DeviceType,
  type MetricSpec,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyUpdateMask,
  changedFields,
  DEVICE_ID,
  describeViolations,
  deviceViolations,
  intervalSeconds,
  isLoRaWan,
  normalizeDevice,
  UPDATABLE_FIELDS,
  type UpdatableField,
} from './device-rules.js';
import { knownUnit } from './units.js';

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

const metric = (name: string, unit = 'm', min?: number, max?: number): MetricSpec => ({
  name,
  unit,
  min,
  max,
});
const fields = (device: Device) => deviceViolations(device).map((v) => v.field);
const numericValues = <E extends number>(e: Record<string, E | string>) =>
  Object.values(e).filter((v): v is E => typeof v === 'number' && v > 0);

const DEVICE_TYPES = numericValues(DeviceType);
const NETWORK_KINDS = numericValues(NetworkKind);
const CLASSIFICATIONS = numericValues(DataClassification);
const LORAWAN_KINDS = [
  NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK,
  NetworkKind.NETWORK_KIND_LORAWAN_TTS,
];
const OTHER_KINDS = NETWORK_KINDS.filter((k) => !LORAWAN_KINDS.includes(k));
/** The UCUM codes units.ts knows (checked below, so a removed unit fails loudly). */
const UNITS = [
  'm',
  'cm',
  'mm',
  'km',
  'm3',
  'L',
  'l',
  'mL',
  'm3/h',
  'L/min',
  'L/h',
  'K',
  'Cel',
  '[degF]',
  'J',
  'kJ',
  'MJ',
  'Wh',
  'kWh',
  'W',
  'kW',
  'Pa',
  'hPa',
  'kPa',
  'bar',
  'm/s',
  'km/h',
  'ug/m3',
  'mg/m3',
  'mm/h',
  '%',
  '1',
  'dB[A]',
  'dB',
  '{count}',
  'kg',
  'g',
  't',
];

// Arbitraries: registrations that satisfy every rule, already in canonical form.

const boundsArb = fc
  .tuple(
    fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: undefined }),
    fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: undefined }),
  )
  .map(([a, b]) =>
    a !== undefined && b !== undefined && a > b ? ([b, a] as const) : ([a, b] as const),
  );

const metricsArb = fc
  .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/), { minLength: 1, maxLength: 5 })
  .chain((names) =>
    fc.tuple(
      ...names.map((name) =>
        fc
          .tuple(fc.constantFrom(...UNITS), boundsArb)
          .map(([unit, [min, max]]): MetricSpec => ({ name, unit, min, max })),
      ),
    ),
  );

const networkArb = fc.oneof(
  fc.record({
    kind: fc.constantFrom(...LORAWAN_KINDS),
    networkId: fc.stringMatching(/^[0-9A-F]{16}$/),
  }),
  fc.record({
    kind: fc.constantFrom(...OTHER_KINDS),
    networkId: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/),
  }),
);

/** Text without surrounding whitespace, including CSV-hostile , " # ; = : */
const ALPHABET = 'abcXYZ019 ,"#;=:.-_/()';
const trimmedText = (minLength: number, maxLength: number, alphabet = ALPHABET) =>
  fc
    .string({ unit: fc.constantFrom(...alphabet), minLength, maxLength })
    .map((s) => s.trim())
    .filter((s) => s.length >= minLength);

const validDeviceArb: fc.Arbitrary<Device> = fc
  .record({
    id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    type: fc.constantFrom(...DEVICE_TYPES),
    name: trimmedText(1, 60),
    latitude: fc.double({ min: -90, max: 90, noNaN: true }),
    longitude: fc.double({ min: -180, max: 180, noNaN: true }),
    altitudeMeters: fc.option(fc.double({ min: -500, max: 9000, noNaN: true }), {
      nil: undefined,
    }),
    zone: fc.stringMatching(/^[A-Za-z0-9_-]{0,64}$/),
    metrics: metricsArb,
    ownerDepartment: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,30}$/),
    classification: fc.constantFrom(...CLASSIFICATIONS),
    intervalMs: fc.option(fc.integer({ min: 0, max: 7 * 86_400_000 }), { nil: undefined }),
    network: networkArb,
    labels: fc.dictionary(
      fc.stringMatching(/^[a-z0-9_.-]{1,20}$/),
      trimmedText(0, 30, ALPHABET.replace(';', '')),
      { maxKeys: 5 },
    ),
  })
  .map(
    (r): Device =>
      validDevice({
        id: r.id,
        type: r.type,
        name: r.name,
        location: {
          latitude: r.latitude,
          longitude: r.longitude,
          altitudeMeters: r.altitudeMeters,
        },
        zone: r.zone,
        metrics: r.metrics,
        ownerDepartment: r.ownerDepartment,
        classification: r.classification,
        expectedReportInterval:
          r.intervalMs === undefined
            ? undefined
            : {
                seconds: BigInt(Math.floor(r.intervalMs / 1000)),
                nanos: (r.intervalMs % 1000) * 1e6,
              },
        network: r.network,
        labels: r.labels,
      }),
  );

describe('the test fixtures', () => {
  it('list only units units.ts knows', () => {
    expect(UNITS.filter((u) => !knownUnit(u))).toEqual([]);
  });
});

describe('deviceViolations', () => {
  it('accepts a complete registration', () => {
    expect(deviceViolations(validDevice())).toEqual([]);
  });

  it('accepts every device built from valid fields', () => {
    fc.assert(
      fc.property(validDeviceArb, (device) => {
        expect(deviceViolations(device)).toEqual([]);
      }),
    );
  });

  it.each([
    ['id with a dot', { id: 'wl.001' }, 'id'],
    ['id with a space', { id: 'wl 001' }, 'id'],
    ['empty id', { id: '' }, 'id'],
    ['id of 65 characters', { id: 'x'.repeat(65) }, 'id'],
    ['no type', { type: DeviceType.DEVICE_TYPE_UNSPECIFIED }, 'type'],
    ['an unknown type number', { type: 99 as DeviceType }, 'type'],
    ['the UNRECOGNIZED type', { type: DeviceType.UNRECOGNIZED }, 'type'],
    ['no name', { name: '' }, 'name'],
    ['a name of 201 characters', { name: 'n'.repeat(201) }, 'name'],
    ['no location', { location: undefined }, 'location'],
    [
      'latitude over 90',
      { location: { latitude: 90.0001, longitude: 0, altitudeMeters: undefined } },
      'location.latitude',
    ],
    [
      'NaN latitude',
      { location: { latitude: Number.NaN, longitude: 0, altitudeMeters: undefined } },
      'location.latitude',
    ],
    [
      'longitude under -180',
      { location: { latitude: 0, longitude: -180.5, altitudeMeters: undefined } },
      'location.longitude',
    ],
    [
      'infinite altitude',
      { location: { latitude: 0, longitude: 0, altitudeMeters: Number.POSITIVE_INFINITY } },
      'location.altitude_meters',
    ],
    ['zone with a space', { zone: 'old town' }, 'zone'],
    ['zone with a dot (a NATS token separator)', { zone: 'a.b' }, 'zone'],
    ['zone of 65 characters', { zone: 'z'.repeat(65) }, 'zone'],
    ['no metrics', { metrics: [] }, 'metrics'],
    ['33 metrics', { metrics: Array.from({ length: 33 }, (_, i) => metric(`m${i}`)) }, 'metrics'],
    ['metric name in camel case', { metrics: [metric('waterLevel')] }, 'metrics[0].name'],
    ['metric name starting with a digit', { metrics: [metric('2pm')] }, 'metrics[0].name'],
    ['unknown unit', { metrics: [metric('level', 'furlong')] }, 'metrics[0].unit'],
    ['unit in the wrong case', { metrics: [metric('level', 'CEL')] }, 'metrics[0].unit'],
    ['NaN max', { metrics: [metric('level', 'm', 0, Number.NaN)] }, 'metrics[0].max'],
    ['department with capitals', { ownerDepartment: 'Public Works' }, 'owner_department'],
    ['no department', { ownerDepartment: '' }, 'owner_department'],
    ['department starting with -', { ownerDepartment: '-works' }, 'owner_department'],
    [
      'no classification',
      { classification: DataClassification.DATA_CLASSIFICATION_UNSPECIFIED },
      'classification',
    ],
    [
      'the UNRECOGNIZED classification',
      { classification: DataClassification.UNRECOGNIZED },
      'classification',
    ],
    [
      'interval over 7 days',
      { expectedReportInterval: { seconds: 8n * 86_400n, nanos: 0 } },
      'expected_report_interval',
    ],
    [
      'interval 7 days and a nanosecond',
      { expectedReportInterval: { seconds: 7n * 86_400n, nanos: 1 } },
      'expected_report_interval',
    ],
    [
      'negative interval',
      { expectedReportInterval: { seconds: -1n, nanos: 0 } },
      'expected_report_interval',
    ],
    [
      'no network kind',
      { network: { kind: NetworkKind.NETWORK_KIND_UNSPECIFIED, networkId: 'x' } },
      'network.kind',
    ],
    [
      'the UNRECOGNIZED network kind',
      { network: { kind: NetworkKind.UNRECOGNIZED, networkId: 'x' } },
      'network.kind',
    ],
    [
      'short DevEUI',
      { network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: '70B3D57E' } },
      'network.network_id',
    ],
    [
      'DevEUI with a non-hex digit',
      {
        network: {
          kind: NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK,
          networkId: '0004A30B001C053G',
        },
      },
      'network.network_id',
    ],
    [
      'lower-case DevEUI that was not normalized',
      { network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: '70b3d57ed0000abc' } },
      'network.network_id',
    ],
    [
      'empty MQTT id',
      { network: { kind: NetworkKind.NETWORK_KIND_MQTT, networkId: '' } },
      'network.network_id',
    ],
    [
      'HTTP id with a slash',
      { network: { kind: NetworkKind.NETWORK_KIND_HTTP, networkId: 'a/b' } },
      'network.network_id',
    ],
    [
      'NATS id of 129 characters',
      { network: { kind: NetworkKind.NETWORK_KIND_NATS, networkId: 'n'.repeat(129) } },
      'network.network_id',
    ],
    ['label key with a capital', { labels: { Vendor: 'acme' } }, 'labels.Vendor'],
    ['empty label key', { labels: { '': 'acme' } }, 'labels.'],
    [
      'label key of 64 characters',
      { labels: { ['k'.repeat(64)]: 'v' } },
      `labels.${'k'.repeat(64)}`,
    ],
    ['label value of 257 characters', { labels: { vendor: 'v'.repeat(257) } }, 'labels.vendor'],
    [
      '33 labels',
      { labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) },
      'labels',
    ],
  ] as const)('names the field for %s', (_case, overrides, field) => {
    expect(fields(validDevice(overrides as Partial<Device>))).toEqual([field]);
  });

  it.each([
    ['an id of 64 characters', { id: 'x'.repeat(64) }],
    ['a name of 200 characters', { name: 'n'.repeat(200) }],
    ['the poles and the antimeridian', { location: { latitude: -90, longitude: 180 } }],
    ['the other pole', { location: { latitude: 90, longitude: -180, altitudeMeters: -12.5 } }],
    ['no zone', { zone: '' }],
    ['a zone of 64 characters', { zone: 'z'.repeat(64) }],
    ['32 metrics', { metrics: Array.from({ length: 32 }, (_, i) => metric(`m${i}`)) }],
    ['a metric with min equal to max', { metrics: [metric('level', 'm', 3, 3)] }],
    ['a metric without bounds', { metrics: [metric('count_in', '{count}')] }],
    ['no interval (reports on change)', { expectedReportInterval: undefined }],
    ['an interval of 0', { expectedReportInterval: { seconds: 0n, nanos: 0 } }],
    ['an interval of exactly 7 days', { expectedReportInterval: { seconds: 604_800n, nanos: 0 } }],
    [
      'the personal classification',
      { classification: DataClassification.DATA_CLASSIFICATION_PERSONAL },
    ],
    [
      'an MQTT id with every allowed character',
      { network: { kind: NetworkKind.NETWORK_KIND_MQTT, networkId: 'city_.:-9Z' } },
    ],
    [
      'a gRPC id of 128 characters',
      { network: { kind: NetworkKind.NETWORK_KIND_GRPC, networkId: 'g'.repeat(128) } },
    ],
    [
      '32 labels',
      { labels: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, 'v'])) },
    ],
    ['a label value of 256 characters', { labels: { 'install-batch.v_2': 'v'.repeat(256) } }],
    ['an empty label value', { labels: { vendor: '' } }],
  ] as const)('accepts %s', (_case, overrides) => {
    const device = validDevice(overrides as Partial<Device>);
    expect(deviceViolations(device)).toEqual([]);
  });

  it('lists every violation once, in field order', () => {
    const violations = deviceViolations(
      validDevice({
        id: 'bad id',
        type: DeviceType.DEVICE_TYPE_UNSPECIFIED,
        name: '',
        location: undefined,
        zone: 'a b',
        metrics: [],
        ownerDepartment: '',
        classification: DataClassification.DATA_CLASSIFICATION_UNSPECIFIED,
        expectedReportInterval: { seconds: -5n, nanos: 0 },
        network: undefined,
        labels: { BAD: 'x' },
      }),
    );
    expect(violations.map((v) => v.field)).toEqual([
      'id',
      'type',
      'name',
      'location',
      'zone',
      'metrics',
      'owner_department',
      'classification',
      'expected_report_interval',
      'network.kind',
      'network.network_id',
      'labels.BAD',
    ]);
    expect(violations[0]?.description).toBe(
      '"bad id" must be 1-64 characters from A-Z a-z 0-9 _ -',
    );
    expect(violations[8]?.description).toBe('-5s is not between 0 and 7 days');
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
          metric('Water Level'),
          metric('pm2_5', 'furlong'),
          metric('pm2_5', 'ug/m3', 10, 5),
          metric('count_in', '{count}', Number.POSITIVE_INFINITY),
        ],
      }),
    );
    expect(violations).toEqual([
      {
        field: 'metrics[0].name',
        description: '"Water Level" must be lower snake case, e.g. water_level',
      },
      { field: 'metrics[1].unit', description: '"furlong" is not a known UCUM unit' },
      { field: 'metrics[2].name', description: 'pm2_5 is listed twice' },
      { field: 'metrics[2].max', description: '5 is below min 10' },
      { field: 'metrics[3].min', description: 'must be a finite number' },
    ]);
  });

  it('names the DevEUI it refuses', () => {
    expect(
      deviceViolations(
        validDevice({ network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: 'abc' } }),
      ),
    ).toEqual([
      { field: 'network.network_id', description: '"abc" is not a DevEUI (16 hex digits)' },
    ]);
  });

  it('requires the DevEUI shape for LoRaWAN kinds only', () => {
    // A 16-hex-digit id is fine for MQTT too; a LoRaWAN device needs exactly that shape.
    const eui = '0004A30B001C0530';
    for (const kind of OTHER_KINDS) {
      expect(fields(validDevice({ network: { kind, networkId: eui } }))).toEqual([]);
      expect(fields(validDevice({ network: { kind, networkId: 'pump-3' } }))).toEqual([]);
    }
    for (const kind of LORAWAN_KINDS) {
      expect(fields(validDevice({ network: { kind, networkId: 'pump-3' } }))).toEqual([
        'network.network_id',
      ]);
    }
  });

  it('finds an out-of-range latitude whatever the rest of the device', () => {
    fc.assert(
      fc.property(
        validDeviceArb,
        fc.oneof(
          fc.double({ min: 90, max: 1e9, noNaN: true, minExcluded: true }),
          fc.double({ min: -1e9, max: -90, noNaN: true, maxExcluded: true }),
          fc.constant(Number.NaN),
        ),
        (device, latitude) => {
          const location = { ...device.location!, latitude };
          expect(fields({ ...device, location })).toEqual(['location.latitude']);
        },
      ),
    );
  });

  it('finds the one bad unit among valid metrics by its index', () => {
    fc.assert(
      fc.property(validDeviceArb, fc.nat(), (device, seed) => {
        const i = seed % device.metrics.length;
        const metrics = device.metrics.map((m, j) => (j === i ? { ...m, unit: 'parsec' } : m));
        expect(fields({ ...device, metrics })).toEqual([`metrics[${i}].unit`]);
      }),
    );
  });
});

describe('normalizeDevice', () => {
  it('trims text, upper-cases DevEUIs, lower-cases the department and clears output-only fields', () => {
    const device = normalizeDevice(
      validDevice({
        id: ' wl-001 ',
        name: '  Haven Mark ',
        zone: ' haven\t',
        metrics: [metric(' water_level ', ' m ', -2, 8)],
        ownerDepartment: ' Public-Works ',
        network: {
          kind: NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK,
          networkId: ' 0004a30b001c0530 ',
        },
        status: DeviceStatus.DEVICE_STATUS_ACTIVE,
        createdAt: new Date(),
        updatedAt: new Date(),
        decommissionedAt: new Date(),
        municipalityCode: 'GM0758',
        labels: { ' b ': ' 2 ', a: '1' },
      }),
    );
    expect(device).toEqual({
      ...validDevice(),
      name: 'Haven Mark',
      labels: { a: '1', b: '2' },
    });
    expect(Object.keys(device.labels)).toEqual(['a', 'b']);
  });

  it.each(LORAWAN_KINDS)('upper-cases and trims the DevEUI for LoRaWAN kind %i', (kind) => {
    const device = normalizeDevice(
      validDevice({ network: { kind, networkId: ' 70b3d57ed0000abc ' } }),
    );
    expect(device.network).toEqual({ kind, networkId: '70B3D57ED0000ABC' });
    expect(deviceViolations(device)).toEqual([]);
  });

  it.each(OTHER_KINDS)('keeps the case of the network id for kind %i, only trimming it', (kind) => {
    const device = normalizeDevice(validDevice({ network: { kind, networkId: ' Noise-Markt ' } }));
    expect(device.network).toEqual({ kind, networkId: 'Noise-Markt' });
  });

  it('agrees with isLoRaWan on which kinds are LoRaWAN', () => {
    expect(NETWORK_KINDS.filter(isLoRaWan)).toEqual(LORAWAN_KINDS);
  });

  it('fills in a missing network as unspecified, which validation then names', () => {
    const device = normalizeDevice(validDevice({ network: undefined }));
    expect(device.network).toEqual({ kind: NetworkKind.NETWORK_KIND_UNSPECIFIED, networkId: '' });
    expect(fields(device)).toEqual(['network.kind', 'network.network_id']);
  });

  it('keeps location and interval absent when they are, and copies them when present', () => {
    const absent = normalizeDevice(
      validDevice({ location: undefined, expectedReportInterval: undefined }),
    );
    expect(absent.location).toBeUndefined();
    expect(absent.expectedReportInterval).toBeUndefined();

    const input = validDevice({
      location: { latitude: 1, longitude: 2, altitudeMeters: 3 },
      expectedReportInterval: { seconds: 60n, nanos: 5 },
    });
    const present = normalizeDevice(input);
    expect(present.location).toEqual({ latitude: 1, longitude: 2, altitudeMeters: 3 });
    expect(present.location).not.toBe(input.location);
    expect(present.expectedReportInterval).toEqual({ seconds: 60n, nanos: 5 });
  });

  it('does not change its input', () => {
    const input = validDevice({
      id: ' x ',
      labels: { b: ' 1 ', a: '2' },
      network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: 'abc' },
      status: DeviceStatus.DEVICE_STATUS_ACTIVE,
    });
    const copy = structuredClone(input);
    normalizeDevice(input);
    expect(input).toEqual(copy);
    expect(Object.keys(input.labels)).toEqual(['b', 'a']);
  });

  it('is idempotent', () => {
    const anyText = fc.string({
      unit: fc.constantFrom(...'aAbBzZ09 \t-_.:ßéİ'),
      maxLength: 20,
    });
    fc.assert(
      fc.property(
        fc.record({
          id: anyText,
          name: anyText,
          zone: anyText,
          ownerDepartment: anyText,
          networkId: anyText,
          kind: fc.constantFrom(NetworkKind.NETWORK_KIND_UNSPECIFIED, ...NETWORK_KINDS),
          labels: fc.dictionary(anyText, anyText, { maxKeys: 5 }),
          metrics: fc.array(fc.record({ name: anyText, unit: anyText }), { maxLength: 3 }),
          status: fc.constantFrom(
            DeviceStatus.DEVICE_STATUS_ACTIVE,
            DeviceStatus.DEVICE_STATUS_DECOMMISSIONED,
          ),
        }),
        (r) => {
          const once = normalizeDevice(
            validDevice({
              id: r.id,
              name: r.name,
              zone: r.zone,
              ownerDepartment: r.ownerDepartment,
              network: { kind: r.kind, networkId: r.networkId },
              labels: r.labels,
              metrics: r.metrics.map((m) => metric(m.name, m.unit)),
              status: r.status,
              createdAt: new Date(0),
              municipalityCode: 'GM0001',
            }),
          );
          const twice = normalizeDevice(once);
          expect(twice).toEqual(once);
          expect(Object.keys(twice.labels)).toEqual(Object.keys(once.labels));
          expect(changedFields(once, twice)).toEqual([]);
        },
      ),
    );
  });

  it('leaves a valid device valid and unchanged', () => {
    fc.assert(
      fc.property(validDeviceArb, (device) => {
        expect(normalizeDevice(device)).toEqual(device);
      }),
    );
  });
});

describe('applyUpdateMask', () => {
  const current = validDevice({
    status: DeviceStatus.DEVICE_STATUS_ACTIVE,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-02-01T00:00:00Z'),
    municipalityCode: 'GM0758',
  });
  const other = validDevice({
    id: 'someone-else',
    type: DeviceType.DEVICE_TYPE_NOISE,
    name: 'Other',
    location: { latitude: 1, longitude: 2, altitudeMeters: 3 },
    zone: 'z2',
    metrics: [metric('level', 'cm', 0, 1)],
    ownerDepartment: 'mobility',
    classification: DataClassification.DATA_CLASSIFICATION_INTERNAL,
    expectedReportInterval: { seconds: 60n, nanos: 0 },
    network: { kind: NetworkKind.NETWORK_KIND_HTTP, networkId: 'h-1' },
    labels: { x: 'y' },
    status: DeviceStatus.DEVICE_STATUS_DECOMMISSIONED,
    createdAt: new Date('2030-01-01T00:00:00Z'),
    municipalityCode: 'GM9999',
  });

  it('takes exactly the masked fields from the patch', () => {
    const patch = validDevice({ name: 'New', zone: 'elsewhere', labels: { a: 'b' } });
    const result = applyUpdateMask(current, patch, ['name', 'labels']);
    expect(result).toEqual({ device: { ...current, name: 'New', labels: { a: 'b' } } });
  });

  it.each([
    ['name', { name: 'Other' }],
    ['location', { location: { latitude: 1, longitude: 2, altitudeMeters: 3 } }],
    ['zone', { zone: 'z2' }],
    ['metrics', { metrics: [metric('level', 'cm', 0, 1)] }],
    ['owner_department', { ownerDepartment: 'mobility' }],
    ['classification', { classification: DataClassification.DATA_CLASSIFICATION_INTERNAL }],
    ['expected_report_interval', { expectedReportInterval: { seconds: 60n, nanos: 0 } }],
    ['network', { network: { kind: NetworkKind.NETWORK_KIND_HTTP, networkId: 'h-1' } }],
    ['labels', { labels: { x: 'y' } }],
  ] as const)('maps the path %s to its field', (path, expected) => {
    expect(applyUpdateMask(current, other, [path])).toEqual({
      device: { ...current, ...expected },
    });
  });

  it('never takes id, type, status, timestamps or municipality from the patch', () => {
    const result = applyUpdateMask(current, other, [...UPDATABLE_FIELDS]);
    if (!('device' in result)) throw new Error('expected a device');
    expect(result.device).toMatchObject({
      id: current.id,
      type: current.type,
      status: DeviceStatus.DEVICE_STATUS_ACTIVE,
      createdAt: current.createdAt,
      updatedAt: current.updatedAt,
      decommissionedAt: undefined,
      municipalityCode: 'GM0758',
    });
  });

  it('can clear an optional field: a masked field absent from the patch becomes absent', () => {
    const result = applyUpdateMask(current, validDevice({ expectedReportInterval: undefined }), [
      'expected_report_interval',
    ]);
    expect(result).toEqual({ device: { ...current, expectedReportInterval: undefined } });
  });

  it('does not change the current device', () => {
    const before = structuredClone(current);
    applyUpdateMask(current, other, [...UPDATABLE_FIELDS]);
    expect(current).toEqual(before);
  });

  it('refuses an empty mask rather than reading it as everything', () => {
    expect(applyUpdateMask(current, other, [])).toEqual({
      violations: [{ field: 'update_mask', description: 'is required: name the fields to change' }],
    });
  });

  it.each([
    'id',
    'type',
    'status',
    'created_at',
    'updated_at',
    'decommissioned_at',
    'municipality_code',
    'colour',
    'ownerDepartment',
    'location.latitude',
    'network.network_id',
    'Name',
    '',
  ])('refuses the path %j, listing what may change', (path) => {
    const result = applyUpdateMask(current, other, ['name', path]);
    expect(result).toEqual({
      violations: [
        {
          field: 'update_mask',
          description: `${JSON.stringify(path)} cannot be changed; changeable: ${UPDATABLE_FIELDS.join(', ')}`,
        },
      ],
    });
  });

  it('names every refused path, and applies nothing when one is refused', () => {
    const result = applyUpdateMask(current, other, ['id', 'name', 'type', 'status']);
    expect('violations' in result && result.violations.map((v) => v.description)).toEqual([
      expect.stringMatching(/^"id" cannot be changed/),
      expect.stringMatching(/^"type" cannot be changed/),
      expect.stringMatching(/^"status" cannot be changed/),
    ]);
    expect('device' in result).toBe(false);
  });

  it('accepts a path named twice', () => {
    expect(applyUpdateMask(current, other, ['zone', 'zone'])).toEqual({
      device: { ...current, zone: 'z2' },
    });
  });

  it('for any mask of updatable fields, changes exactly the masked fields', () => {
    fc.assert(
      fc.property(fc.subarray([...UPDATABLE_FIELDS], { minLength: 1 }), (mask) => {
        const result = applyUpdateMask(current, other, mask);
        if (!('device' in result)) throw new Error('expected a device');
        expect(changedFields(current, result.device)).toEqual(
          UPDATABLE_FIELDS.filter((f) => mask.includes(f)),
        );
      }),
    );
  });

  it('for any mask with a fixed or unknown path, refuses it', () => {
    fc.assert(
      fc.property(
        fc.subarray([...UPDATABLE_FIELDS]),
        fc.constantFrom('id', 'type', 'status', 'created_at', 'labels.vendor', 'metrics[0]'),
        fc.nat(),
        (mask, bad, at) => {
          const withBad: string[] = [...mask];
          withBad.splice(at % (mask.length + 1), 0, bad);
          const result = applyUpdateMask(current, other, withBad);
          expect('violations' in result && result.violations).toEqual([
            expect.objectContaining({ field: 'update_mask' }),
          ]);
        },
      ),
    );
  });
});

describe('changedFields', () => {
  const base = validDevice({ labels: { vendor: 'acme' } });
  const changes: Record<UpdatableField, Partial<Device>> = {
    name: { name: 'Haven Mark - nieuw' },
    location: { location: { latitude: 51.5877, longitude: 4.7763, altitudeMeters: 2 } },
    zone: { zone: '' },
    metrics: { metrics: [metric('water_level', 'cm', -2, 8)] },
    owner_department: { ownerDepartment: 'water' },
    classification: { classification: DataClassification.DATA_CLASSIFICATION_INTERNAL },
    expected_report_interval: { expectedReportInterval: { seconds: 900n, nanos: 1 } },
    network: {
      network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: '0004A30B001C0530' },
    },
    labels: { labels: { vendor: 'acme', batch: '1' } },
  };

  it('covers every updatable field in the test table', () => {
    expect(Object.keys(changes).sort()).toEqual([...UPDATABLE_FIELDS].sort());
  });

  it.each(UPDATABLE_FIELDS)('names %s when only it changed', (field) => {
    expect(changedFields(base, validDevice({ ...base, ...changes[field] }))).toEqual([field]);
    expect(changedFields(validDevice({ ...base, ...changes[field] }), base)).toEqual([field]);
  });

  it('finds exactly the changed fields, in UPDATABLE_FIELDS order', () => {
    fc.assert(
      fc.property(fc.subarray([...UPDATABLE_FIELDS]), (subset) => {
        const after = validDevice({
          ...base,
          ...Object.assign({}, ...subset.map((f) => changes[f])),
        });
        expect(changedFields(base, after)).toEqual(subset);
      }),
    );
  });

  it('is empty between a device and itself, and symmetric', () => {
    fc.assert(
      fc.property(validDeviceArb, validDeviceArb, (a, b) => {
        expect(changedFields(a, a)).toEqual([]);
        expect(changedFields(a, b)).toEqual(changedFields(b, a));
      }),
    );
  });

  it('sees no change between a device and its normalized form', () => {
    const device = validDevice({
      name: ' Haven ',
      ownerDepartment: 'Public-Works',
      network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: '70b3d57ed0000abc' },
      labels: { z: '1', a: ' 2' },
    });
    expect(changedFields(device, normalizeDevice(device))).toEqual([]);
  });

  it('ignores label order, output-only fields, id and type', () => {
    const a = validDevice({ labels: { a: '1', b: '2' } });
    const b = validDevice({
      id: 'other-id',
      type: DeviceType.DEVICE_TYPE_NOISE,
      labels: { b: '2', a: '1' },
      status: DeviceStatus.DEVICE_STATUS_DECOMMISSIONED,
      createdAt: new Date(),
      updatedAt: new Date(),
      decommissionedAt: new Date(),
      municipalityCode: 'GM0001',
    });
    expect(changedFields(a, b)).toEqual([]);
  });

  it('sees the case of a non-LoRaWAN network id, but not of a DevEUI', () => {
    const mqtt = (networkId: string) =>
      validDevice({ network: { kind: NetworkKind.NETWORK_KIND_MQTT, networkId } });
    expect(changedFields(mqtt('Noise-1'), mqtt('noise-1'))).toEqual(['network']);
    const tts = (networkId: string) =>
      validDevice({ network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId } });
    expect(changedFields(tts('70B3D57ED0000ABC'), tts('70b3d57ed0000abc'))).toEqual([]);
  });

  it('compares intervals by length, not by representation', () => {
    const a = validDevice({ expectedReportInterval: { seconds: 900n, nanos: 0 } });
    const b = validDevice({ expectedReportInterval: { seconds: 899n, nanos: 1e9 } });
    expect(changedFields(a, b)).toEqual([]);
    expect(
      changedFields(a, validDevice({ expectedReportInterval: { seconds: 901n, nanos: 0 } })),
    ).toEqual(['expected_report_interval']);
    // Unset means "on change only", the same as 0.
    expect(
      changedFields(
        validDevice({ expectedReportInterval: undefined }),
        validDevice({ expectedReportInterval: { seconds: 0n, nanos: 0 } }),
      ),
    ).toEqual([]);
  });

  it('tells an unset bound or altitude from 0, and a removed location from a moved one', () => {
    expect(
      changedFields(
        validDevice({ metrics: [metric('water_level', 'm', undefined, 8)] }),
        validDevice({ metrics: [metric('water_level', 'm', 0, 8)] }),
      ),
    ).toEqual(['metrics']);
    expect(
      changedFields(
        validDevice({ location: { latitude: 1, longitude: 2, altitudeMeters: undefined } }),
        validDevice({ location: { latitude: 1, longitude: 2, altitudeMeters: 0 } }),
      ),
    ).toEqual(['location']);
    expect(changedFields(validDevice(), validDevice({ location: undefined }))).toEqual([
      'location',
    ]);
  });

  it('sees a reordering of metrics as a change', () => {
    const two = [metric('a'), metric('b')];
    expect(
      changedFields(validDevice({ metrics: two }), validDevice({ metrics: [...two].reverse() })),
    ).toEqual(['metrics']);
  });

  it('names metric and location changes', () => {
    const changed = validDevice({
      metrics: [metric('water_level', 'm', -2, 9)],
      location: { latitude: 51.5877, longitude: 4.7764, altitudeMeters: undefined },
    });
    expect(changedFields(validDevice(), changed)).toEqual(['location', 'metrics']);
  });
});

describe('intervalSeconds', () => {
  it.each([
    [undefined, 0],
    [{ seconds: 0n, nanos: 0 }, 0],
    [{ seconds: 900n, nanos: 0 }, 900],
    [{ seconds: 1n, nanos: 500_000_000 }, 1.5],
    [{ seconds: 0n, nanos: 250_000_000 }, 0.25],
    [{ seconds: 604_800n, nanos: 0 }, 604_800],
  ])('reads %o as %d seconds', (expectedReportInterval, seconds) => {
    expect(intervalSeconds(validDevice({ expectedReportInterval }))).toBe(seconds);
  });
});

describe('describeViolations', () => {
  it('joins field and description of each violation on one line', () => {
    expect(
      describeViolations([
        { field: 'location.latitude', description: '91.2 is not in [-90, 90]' },
        { field: 'metrics[1].unit', description: '"furlong" is not a known UCUM unit' },
      ]),
    ).toBe(
      'location.latitude: 91.2 is not in [-90, 90]; metrics[1].unit: "furlong" is not a known UCUM unit',
    );
    expect(describeViolations([])).toBe('');
  });

  it('describes what deviceViolations finds, one entry per violation', () => {
    const violations = deviceViolations(validDevice({ id: '', zone: 'a b' }));
    const line = describeViolations(violations);
    expect(line.split('; ')).toHaveLength(violations.length);
    expect(line).toMatch(/^id: "" must be .*; zone: "a b" must be at most 64 characters/);
  });
});

describe('DEVICE_ID', () => {
  it('accepts exactly the NATS-safe ids of 1-64 characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), (id) => {
        const safe = id.length >= 1 && id.length <= 64 && /^[\w-]+$/.test(id);
        expect(DEVICE_ID.test(id)).toBe(safe);
      }),
    );
  });
});

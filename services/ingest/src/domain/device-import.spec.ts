import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  type Device,
  DeviceStatus,
  DeviceType,
  type MetricSpec,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { ImportOutcome } from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CSV_COLUMNS,
  ImportFileError,
  MAX_IMPORT_ROWS,
  networkKey,
  type ParsedRow,
  type PlannedRow,
  parseDeviceCsv,
  parseDeviceGeoJson,
  parseDurationSeconds,
  parseLabelList,
  parseMetricList,
  planImport,
  type RegistrySnapshot,
} from './device-import.js';
import { changedFields, deviceViolations, intervalSeconds } from './device-rules.js';

const { IMPORT_OUTCOME_CREATED, IMPORT_OUTCOME_UPDATED, IMPORT_OUTCOME_UNCHANGED } = ImportOutcome;
const FAILED = ImportOutcome.IMPORT_OUTCOME_FAILED;

type Column = (typeof CSV_COLUMNS)[number];
const HEADER = CSV_COLUMNS.join(',');
const DEFAULT_CELLS: Record<Column, string> = {
  id: 'bin-1',
  type: 'bin_fill',
  name: 'Bin at the station',
  latitude: '51.58',
  longitude: '4.77',
  altitude_meters: '',
  zone: 'centrum',
  metrics: 'fill_level:%:0:100;temperature:Cel',
  owner_department: 'waste',
  classification: 'public',
  expected_report_interval: '1h',
  network_kind: 'lorawan_tts',
  network_id: '70b3d57ed0000001',
  labels: 'vendor=ecobin;batch=2024-q3',
};
/** One CSV line in CSV_COLUMNS order: the defaults above with some cells replaced (no quoting). */
const row = (cells: Partial<Record<Column, string>> = {}) =>
  CSV_COLUMNS.map((c) => cells[c] ?? DEFAULT_CELLS[c]).join(',');
const csv = (...lines: string[]) => [HEADER, ...lines].join('\n');
/** The error of the single data row `cells` describes. */
const rowError = (cells: Partial<Record<Column, string>>) => {
  const rows = parseDeviceCsv(csv(row(cells)));
  expect(rows).toHaveLength(1);
  return rows[0]?.error;
};

/** The device a valid CSV row or GeoJSON feature stands for. */
const parsedDevice = (rows: ParsedRow[]): Device => {
  expect(rows).toHaveLength(1);
  expect(rows[0]?.error).toBeUndefined();
  const device = rows[0]?.device;
  if (!device) throw new Error('expected a device');
  return device;
};

// A small serializer, independent of the parser: Device → one CSV data row.

const token = (e: Record<number, string>, prefix: string, value: number) =>
  (e[value] ?? '').slice(prefix.length).toLowerCase();
const quoted = (cell: string) =>
  /[",\r\n]/.test(cell) || cell !== cell.trim() ? `"${cell.replaceAll('"', '""')}"` : cell;
const num = (n: number | undefined) => (n === undefined ? '' : String(n));
/** Writes the interval in one of the forms the importer reads, chosen by `style`. */
function durationText(device: Device, style: number): string {
  const d = device.expectedReportInterval;
  if (!d) return '';
  const ms = Number(d.seconds) * 1000 + d.nanos / 1e6;
  if (ms % 1000 !== 0 || style % 4 === 0) return `${ms}ms`;
  const s = ms / 1000;
  if (s % 86_400 === 0 && style % 4 === 1) return `${s / 86_400}d`;
  if (s % 3600 === 0 && style % 4 === 2) return `${s / 3600}h`;
  if (s % 60 === 0 && style % 4 === 3) return `${s / 60}m`;
  return style % 2 === 0 ? String(s) : `${s}s`;
}
function serialize(device: Device, style = 0): string {
  const cells: Record<Column, string> = {
    id: device.id,
    type: token(DeviceType, 'DEVICE_TYPE_', device.type),
    name: device.name,
    latitude: num(device.location?.latitude),
    longitude: num(device.location?.longitude),
    altitude_meters: num(device.location?.altitudeMeters),
    zone: device.zone,
    metrics: device.metrics
      .map((m) => [m.name, m.unit, num(m.min), num(m.max)].join(':'))
      .join(';'),
    owner_department: device.ownerDepartment,
    classification: token(DataClassification, 'DATA_CLASSIFICATION_', device.classification),
    expected_report_interval: durationText(device, style),
    network_kind: token(NetworkKind, 'NETWORK_KIND_', device.network?.kind ?? 0),
    network_id: device.network?.networkId ?? '',
    labels: Object.entries(device.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(';'),
  };
  return CSV_COLUMNS.map((c) => quoted(cells[c])).join(',');
}
/** Device → one GeoJSON feature, with structured metrics and labels. */
const toFeature = (device: Device) => ({
  type: 'Feature',
  geometry: {
    type: 'Point',
    coordinates: [
      device.location?.longitude,
      device.location?.latitude,
      ...(device.location?.altitudeMeters === undefined ? [] : [device.location.altitudeMeters]),
    ],
  },
  properties: {
    id: device.id,
    type: token(DeviceType, 'DEVICE_TYPE_', device.type),
    name: device.name,
    zone: device.zone,
    metrics: device.metrics.map((m) => ({ name: m.name, unit: m.unit, min: m.min, max: m.max })),
    owner_department: device.ownerDepartment,
    classification: token(DataClassification, 'DATA_CLASSIFICATION_', device.classification),
    expected_report_interval:
      device.expectedReportInterval === undefined ? undefined : intervalSeconds(device),
    network_kind: token(NetworkKind, 'NETWORK_KIND_', device.network?.kind ?? 0),
    network_id: device.network?.networkId,
    labels: device.labels,
  },
});
const collection = (...features: unknown[]) =>
  JSON.stringify({ type: 'FeatureCollection', features });

// Valid registrations in canonical form, with text that is hard on CSV (, " # = : and spaces).

const TEXT = 'abXYZ09 ,"#=:.-_()';
const trimmedText = (minLength: number, maxLength: number, alphabet = TEXT) =>
  fc
    .string({ unit: fc.constantFrom(...alphabet), minLength, maxLength })
    .map((s) => s.trim())
    .filter((s) => s.length >= minLength);
const enumNumbers = <E extends number>(e: Record<string, E | string>) =>
  Object.values(e).filter((v): v is E => typeof v === 'number' && v > 0);
const LORAWAN = [NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK, NetworkKind.NETWORK_KIND_LORAWAN_TTS];
const UNITS = ['m', 'cm', 'mm', 'Cel', '[degF]', '%', 'ug/m3', 'm3/h', 'dB[A]', '{count}', 'kWh'];
const finite = (min: number, max: number) => fc.double({ min, max, noNaN: true });

const deviceArb: fc.Arbitrary<Device> = fc
  .record({
    id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    type: fc.constantFrom(...enumNumbers(DeviceType)),
    name: trimmedText(1, 40),
    latitude: finite(-90, 90),
    longitude: finite(-180, 180),
    altitudeMeters: fc.option(finite(-500, 9000), { nil: undefined }),
    zone: fc.stringMatching(/^[A-Za-z0-9_-]{0,64}$/),
    metrics: fc
      .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/), { minLength: 1, maxLength: 4 })
      .chain((names) =>
        fc.tuple(
          ...names.map((name) =>
            fc
              .record({
                unit: fc.constantFrom(...UNITS),
                a: fc.option(finite(-1e6, 1e6), { nil: undefined }),
                b: fc.option(finite(-1e6, 1e6), { nil: undefined }),
              })
              .map(({ unit, a, b }): MetricSpec => {
                const swap = a !== undefined && b !== undefined && a > b;
                return { name, unit, min: swap ? b : a, max: swap ? a : b };
              }),
          ),
        ),
      ),
    ownerDepartment: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,30}$/),
    classification: fc.constantFrom(...enumNumbers(DataClassification)),
    intervalMs: fc.option(
      fc.oneof(
        fc.integer({ min: 0, max: 7 * 86_400_000 }),
        fc.integer({ min: 0, max: 7 * 24 }).map((h) => h * 3_600_000),
        fc.integer({ min: 0, max: 7 * 24 * 60 }).map((m) => m * 60_000),
      ),
      { nil: undefined },
    ),
    network: fc.oneof(
      fc.record({
        kind: fc.constantFrom(...LORAWAN),
        networkId: fc.stringMatching(/^[0-9A-F]{16}$/),
      }),
      fc.record({
        kind: fc.constantFrom(...enumNumbers(NetworkKind).filter((k) => !LORAWAN.includes(k))),
        networkId: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/),
      }),
    ),
    labels: fc.dictionary(
      fc.stringMatching(/^[a-z0-9_.-]{1,20}$/),
      trimmedText(0, 20, TEXT.replace(' ', '')),
      { maxKeys: 4 },
    ),
  })
  .map(
    (r): Device => ({
      id: r.id,
      type: r.type,
      name: r.name,
      location: { latitude: r.latitude, longitude: r.longitude, altitudeMeters: r.altitudeMeters },
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
      status: DeviceStatus.DEVICE_STATUS_UNSPECIFIED,
      createdAt: undefined,
      updatedAt: undefined,
      decommissionedAt: undefined,
      labels: r.labels,
      municipalityCode: '',
    }),
  );

describe('parseDeviceCsv', () => {
  it('reads a row into a normalized device', () => {
    const rows = parseDeviceCsv(`\uFEFF# exported from the asset system\n${HEADER}\n${row()}\n`);
    expect(rows).toEqual([
      {
        row: 1,
        deviceId: 'bin-1',
        device: {
          id: 'bin-1',
          type: DeviceType.DEVICE_TYPE_BIN_FILL,
          name: 'Bin at the station',
          location: { latitude: 51.58, longitude: 4.77, altitudeMeters: undefined },
          zone: 'centrum',
          metrics: [
            { name: 'fill_level', unit: '%', min: 0, max: 100 },
            { name: 'temperature', unit: 'Cel', min: undefined, max: undefined },
          ],
          ownerDepartment: 'waste',
          classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
          expectedReportInterval: { seconds: 3600n, nanos: 0 },
          network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: '70B3D57ED0000001' },
          status: DeviceStatus.DEVICE_STATUS_UNSPECIFIED,
          createdAt: undefined,
          updatedAt: undefined,
          decommissionedAt: undefined,
          labels: { batch: '2024-q3', vendor: 'ecobin' },
          municipalityCode: '',
        },
      },
    ]);
  });

  it('upper-cases DevEUIs for LoRaWAN kinds only', () => {
    const id = (cells: Partial<Record<Column, string>>) =>
      parsedDevice(parseDeviceCsv(csv(row(cells)))).network?.networkId;
    expect(id({ network_kind: 'lorawan_chirpstack', network_id: 'abcdef0123456789' })).toBe(
      'ABCDEF0123456789',
    );
    expect(id({ network_kind: 'mqtt', network_id: 'bin-1.abc' })).toBe('bin-1.abc');
    expect(id({ network_kind: 'http', network_id: 'abcdef0123456789' })).toBe('abcdef0123456789');
  });

  it('skips comment lines, blank lines and a byte-order mark, and reads CRLF files', () => {
    const content = `\uFEFF# asset export\r\n${HEADER}\r\n\r\n# bins\r\n  # indented note\r\n${row({ id: 'a', network_id: '70B3D57ED000000A' })}\r\n${row({ id: 'b', network_id: '70B3D57ED000000B' })}\r\n`;
    const rows = parseDeviceCsv(content);
    // Rows are numbered by data row: comments and blank lines do not count.
    expect(rows.map((r) => [r.row, r.deviceId, r.error])).toEqual([
      [1, 'a', undefined],
      [2, 'b', undefined],
    ]);
  });

  it('keeps a # inside a value: only whole lines are comments', () => {
    const device = parsedDevice(
      parseDeviceCsv(csv(row({ name: 'Pump #3', labels: 'batch=#7;vendor=acme' }))),
    );
    expect(device.name).toBe('Pump #3');
    expect(device.labels).toEqual({ batch: '#7', vendor: 'acme' });
  });

  it('reads quoted cells with commas, quotes and line breaks', () => {
    const device = parsedDevice(
      parseDeviceCsv(csv(row({ name: '"Bin, ""north""\nside"', labels: '"a=1,2;b=x"' }))),
    );
    expect(device.name).toBe('Bin, "north"\nside');
    expect(device.labels).toEqual({ a: '1,2', b: 'x' });
  });

  it('accepts header names in any case, order and spacing', () => {
    const rows = parseDeviceCsv(
      [
        ' Network_ID ,NETWORK_KIND,Metrics,Longitude,Latitude,Type,Id,Name,Owner_Department,Classification',
        '70b3d57ed0000001,lorawan_tts,level:cm,4.77,51.58,water_level,wl-1,Canal,water,internal',
      ].join('\n'),
    );
    expect(parsedDevice(rows)).toMatchObject({
      id: 'wl-1',
      type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
      location: { latitude: 51.58, longitude: 4.77 },
      metrics: [{ name: 'level', unit: 'cm' }],
      zone: '',
      labels: {},
      expectedReportInterval: undefined,
    });
  });

  it('reads enum tokens in any case and with spaces around them', () => {
    const device = parsedDevice(
      parseDeviceCsv(
        csv(row({ type: ' Water_Level ', classification: 'PERSONAL', network_kind: 'Mqtt' })),
      ),
    );
    expect(device.type).toBe(DeviceType.DEVICE_TYPE_WATER_LEVEL);
    expect(device.classification).toBe(DataClassification.DATA_CLASSIFICATION_PERSONAL);
    expect(device.network?.kind).toBe(NetworkKind.NETWORK_KIND_MQTT);
  });

  it('takes the interval from an expected_report_interval_s column', () => {
    const header = HEADER.replace('expected_report_interval', 'expected_report_interval_s');
    const [parsed] = parseDeviceCsv(`${header}\n${row({ expected_report_interval: '900' })}`);
    expect(parsed?.device?.expectedReportInterval).toEqual({ seconds: 900n, nanos: 0 });
  });

  it.each([
    ['900', { seconds: 900n, nanos: 0 }],
    ['900s', { seconds: 900n, nanos: 0 }],
    ['15m', { seconds: 900n, nanos: 0 }],
    ['1h', { seconds: 3600n, nanos: 0 }],
    ['1.5h', { seconds: 5400n, nanos: 0 }],
    ['7d', { seconds: 604_800n, nanos: 0 }],
    ['250ms', { seconds: 0n, nanos: 250_000_000 }],
    ['0', { seconds: 0n, nanos: 0 }],
    ['1.0000000005', { seconds: 1n, nanos: 1 }],
    // Rounding to whole nanoseconds carries into the seconds instead of giving nanos = 1e9.
    ['0.9999999999', { seconds: 1n, nanos: 0 }],
    ['', undefined],
  ])('stores the interval %j as %o', (cell, duration) => {
    const device = parsedDevice(parseDeviceCsv(csv(row({ expected_report_interval: cell }))));
    expect(device.expectedReportInterval).toEqual(duration);
  });

  it.each([
    // Values the parser cannot read: the error names the column.
    [{ latitude: 'north' }, 'latitude: "north" is not a number'],
    [{ latitude: '' }, 'latitude: is required'],
    [{ longitude: '"4,77"' }, 'longitude: "4,77" is not a number'],
    [{ longitude: 'Infinity' }, 'longitude: "Infinity" is not a number'],
    [{ altitude_meters: 'high' }, 'altitude_meters: "high" is not a number'],
    [{ type: '' }, 'type: is required'],
    [{ classification: '' }, 'classification: is required'],
    [{ network_kind: '' }, 'network_kind: is required'],
    [
      { classification: 'secret' },
      'classification: "secret" is not one of public, internal, personal',
    ],
    [
      { network_kind: 'zigbee' },
      'network_kind: "zigbee" is not one of lorawan_chirpstack, lorawan_tts, mqtt, http, grpc, nats',
    ],
    [
      { network_kind: 'unspecified' },
      'network_kind: "unspecified" is not one of lorawan_chirpstack, lorawan_tts, mqtt, http, grpc, nats',
    ],
    [{ metrics: 'fill_level' }, 'metrics: "fill_level" is not name:unit[:min[:max]]'],
    [
      { metrics: 'fill_level:%:0:100:5' },
      'metrics: "fill_level:%:0:100:5" is not name:unit[:min[:max]]',
    ],
    [{ metrics: ':%' }, 'metrics: ":%" is not name:unit[:min[:max]]'],
    [{ metrics: 'fill_level:%:low' }, 'metrics fill_level min: "low" is not a number'],
    [{ metrics: 'fill_level:%:0:full' }, 'metrics fill_level max: "full" is not a number'],
    [{ labels: 'vendor' }, 'labels: "vendor" is not key=value'],
    [{ labels: '=ecobin' }, 'labels: "=ecobin" is not key=value'],
    [
      { expected_report_interval: 'hourly' },
      'expected_report_interval: "hourly" is not a duration like 900, 900s, 15m or 1h',
    ],
    [
      { expected_report_interval: '-1h' },
      'expected_report_interval: "-1h" is not a duration like 900, 900s, 15m or 1h',
    ],
    // Values that parse but break a registry rule: the error names the Device field.
    [{ latitude: '95' }, 'location.latitude: 95 is not in [-90, 90]'],
    [{ longitude: '-180.5' }, 'location.longitude: -180.5 is not in [-180, 180]'],
    [{ id: 'bin 1' }, 'id: "bin 1" must be 1-64 characters from A-Z a-z 0-9 _ -'],
    [{ name: '' }, 'name: is required'],
    [{ metrics: '' }, 'metrics: at least one is required'],
    [
      { metrics: 'fill_level:%;temperature:furlong' },
      'metrics[1].unit: "furlong" is not a known UCUM unit',
    ],
    [{ metrics: 'fill_level:%:100:0' }, 'metrics[0].max: 0 is below min 100'],
    [{ metrics: 'level:m;level:cm' }, 'metrics[1].name: level is listed twice'],
    [
      { owner_department: '' },
      'owner_department: is required: lower-case letters, digits and -, e.g. public-works',
    ],
    [
      { expected_report_interval: '8d' },
      'expected_report_interval: 691200s is not between 0 and 7 days',
    ],
    [
      { network_id: '70b3d57ed00001' },
      'network.network_id: "70B3D57ED00001" is not a DevEUI (16 hex digits)',
    ],
    [
      { network_kind: 'mqtt', network_id: '' },
      'network.network_id: is required: 1-128 characters from A-Z a-z 0-9 _ . : -',
    ],
    [{ labels: 'Vendor=x' }, 'labels.Vendor: key must be 1-63 characters from a-z 0-9 _ . -'],
  ] as const)('reports %o as %j', (cells, error) => {
    expect(rowError(cells)).toBe(error);
  });

  it('lists the allowed device types when the type is unknown', () => {
    const error = rowError({ type: 'lamp' });
    expect(error).toMatch(/^type: "lamp" is not one of pedestrian_counter, bike_counter, /);
    for (const t of ['bin_fill', 'water_level', 'noise', 'lamp_controller', 'anpr_camera']) {
      expect(error).toContain(t);
    }
    expect(error).not.toMatch(/unspecified|unrecognized/);
  });

  it('refuses the enum tokens for "not set", and ones written with their prefix', () => {
    expect(rowError({ type: 'unspecified' })).toMatch(/^type: "unspecified" is not one of/);
    expect(rowError({ type: 'DEVICE_TYPE_BIN_FILL' })).toMatch(/^type: "DEVICE_TYPE_BIN_FILL"/);
    expect(rowError({ classification: 'unrecognized' })).toMatch(/^classification: /);
  });

  it('names every broken rule of a row in one error', () => {
    expect(rowError({ latitude: '95', longitude: '200', zone: 'old town' })).toBe(
      'location.latitude: 95 is not in [-90, 90]; location.longitude: 200 is not in [-180, 180]; ' +
        'zone: "old town" must be at most 64 characters from A-Z a-z 0-9 _ -',
    );
  });

  it('reports a row with the wrong number of cells, keeping its id', () => {
    const rows = parseDeviceCsv(csv('e,bin_fill', `${row({ id: 'f' })},extra`, ''));
    expect(rows).toEqual([
      { row: 1, deviceId: 'e', error: 'row has 2 cells, the header 14' },
      { row: 2, deviceId: 'f', error: 'row has 15 cells, the header 14' },
    ]);
  });

  it('reports each bad row with the column and reason, keeping the good ones', () => {
    const rows = parseDeviceCsv(
      csv(
        row({ id: 'a', latitude: 'north' }),
        row({ id: 'b', type: 'lamp' }),
        row({ id: 'c', metrics: 'fill_level' }),
        row({ id: 'd', latitude: '95' }),
        'e,bin_fill',
        row({ id: 'f' }),
      ),
    );
    expect(rows.map((r) => [r.row, r.deviceId, r.error, r.device?.id])).toEqual([
      [1, 'a', 'latitude: "north" is not a number', undefined],
      [2, 'b', expect.stringMatching(/^type: "lamp" is not one of /), undefined],
      [3, 'c', 'metrics: "fill_level" is not name:unit[:min[:max]]', undefined],
      [4, 'd', 'location.latitude: 95 is not in [-90, 90]', undefined],
      [5, 'e', 'row has 2 cells, the header 14', undefined],
      [6, 'f', undefined, 'f'],
    ]);
  });

  it('gives no rows for a header alone', () => {
    expect(parseDeviceCsv(`${HEADER}\n`)).toEqual([]);
  });

  it('refuses a file with unknown columns as a whole', () => {
    expect(() => parseDeviceCsv('id,type,colour\nx,noise,red')).toThrow(
      new ImportFileError(`CSV: unknown column(s) colour; known: ${CSV_COLUMNS.join(', ')}`),
    );
    expect(() => parseDeviceCsv(`${HEADER},colour,Size\n`)).toThrow(
      /^CSV: unknown column\(s\) colour, size; known: /,
    );
  });

  it('refuses a file with missing required columns, naming them', () => {
    expect(() => parseDeviceCsv('id,type,name\nx,noise,y')).toThrow(
      new ImportFileError(
        'CSV: missing column(s) latitude, longitude, metrics, network_kind, network_id',
      ),
    );
    const withoutLatitude = CSV_COLUMNS.filter((c) => c !== 'latitude').join(',');
    expect(() => parseDeviceCsv(withoutLatitude)).toThrow('CSV: missing column(s) latitude');
  });

  it('refuses a column named twice rather than silently using one of them', () => {
    expect(() => parseDeviceCsv(`${HEADER},Latitude\n`)).toThrow(
      new ImportFileError('CSV: column(s) latitude appear more than once'),
    );
  });

  it('refuses an empty file, a file of comments and a broken quote', () => {
    expect(() => parseDeviceCsv('')).toThrow(
      new ImportFileError('CSV: the file is empty; expected a header row'),
    );
    expect(() => parseDeviceCsv('\uFEFF# nothing here\n\n')).toThrow(/CSV: the file is empty/);
    expect(() => parseDeviceCsv(csv(row({ name: '"Bin at the station' })))).toThrow(
      ImportFileError,
    );
    expect(() => parseDeviceCsv(csv(row({ name: '"Bin at the station' })))).toThrow(/^CSV: /);
  });

  it(`refuses more than ${MAX_IMPORT_ROWS} rows, and takes exactly that many`, () => {
    expect(() => parseDeviceCsv(`${HEADER}\n${'x\n'.repeat(MAX_IMPORT_ROWS + 1)}`)).toThrow(
      new ImportFileError(
        `CSV: ${MAX_IMPORT_ROWS + 1} rows is more than ${MAX_IMPORT_ROWS} per import`,
      ),
    );
    expect(parseDeviceCsv(`${HEADER}\n${'x\n'.repeat(MAX_IMPORT_ROWS)}`)).toHaveLength(
      MAX_IMPORT_ROWS,
    );
  });

  it('throws only ImportFileError, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'id,type"\n#x\uFEFF ;:=') }), (text) => {
        try {
          parseDeviceCsv(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ImportFileError);
        }
      }),
    );
  });

  it('round-trips any valid device through a CSV row', () => {
    fc.assert(
      fc.property(deviceArb, fc.nat(), (device, style) => {
        expect(deviceViolations(device)).toEqual([]);
        const parsed = parsedDevice(parseDeviceCsv(csv(serialize(device, style))));
        expect(changedFields(device, parsed)).toEqual([]);
        expect([parsed.id, parsed.type]).toEqual([device.id, device.type]);
        const nanos = parsed.expectedReportInterval?.nanos ?? 0;
        expect(nanos >= 0 && nanos < 1e9).toBe(true);
      }),
    );
  });

  it('numbers rows and keeps each one whatever mix of good and bad rows a file has', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(deviceArb, fc.boolean()), { maxLength: 8 }), (entries) => {
        const lines = entries.map(([d, broken]) =>
          broken ? serialize(d).replace(/^[^,]*,[^,]*,/, `${d.id},lamp,`) : serialize(d),
        );
        const rows = parseDeviceCsv(csv(...lines));
        expect(rows.map((r) => r.row)).toEqual(entries.map((_, i) => i + 1));
        expect(rows.map((r) => r.deviceId)).toEqual(entries.map(([d]) => d.id));
        expect(rows.map((r) => r.device === undefined)).toEqual(entries.map(([, b]) => b));
        expect(rows.map((r) => r.error === undefined)).toEqual(entries.map(([, b]) => !b));
      }),
    );
  });
});

describe('parseDeviceGeoJson', () => {
  const feature = (geometry: unknown, properties: Record<string, unknown> = {}) => ({
    type: 'Feature',
    geometry,
    properties: {
      id: 'noise-1',
      type: 'noise',
      name: 'Grote Markt',
      metrics: [{ name: 'laeq', unit: 'dB[A]', min: 0, max: 140 }],
      owner_department: 'environment',
      classification: 'internal',
      network_kind: 'mqtt',
      network_id: 'noise-1',
      labels: { vendor: 'sonitus' },
      ...properties,
    },
  });
  const point = (...coordinates: unknown[]) => ({ type: 'Point', coordinates });
  const one = (f: unknown) => {
    const rows = parseDeviceGeoJson(collection(f));
    expect(rows).toHaveLength(1);
    return rows[0];
  };

  it('reads a feature into a normalized device', () => {
    expect(one(feature(point(4.7763, 51.5877, 3.5)))).toEqual({
      row: 1,
      deviceId: 'noise-1',
      device: {
        id: 'noise-1',
        type: DeviceType.DEVICE_TYPE_NOISE,
        name: 'Grote Markt',
        location: { latitude: 51.5877, longitude: 4.7763, altitudeMeters: 3.5 },
        zone: '',
        metrics: [{ name: 'laeq', unit: 'dB[A]', min: 0, max: 140 }],
        ownerDepartment: 'environment',
        classification: DataClassification.DATA_CLASSIFICATION_INTERNAL,
        expectedReportInterval: undefined,
        network: { kind: NetworkKind.NETWORK_KIND_MQTT, networkId: 'noise-1' },
        status: DeviceStatus.DEVICE_STATUS_UNSPECIFIED,
        createdAt: undefined,
        updatedAt: undefined,
        decommissionedAt: undefined,
        labels: { vendor: 'sonitus' },
        municipalityCode: '',
      },
    });
  });

  it('reads coordinates longitude first (RFC 7946)', () => {
    // 120 is a longitude but not a latitude: read the other way round this would fail.
    expect(one(feature(point(120, 45)))?.device?.location).toEqual({
      latitude: 45,
      longitude: 120,
      altitudeMeters: undefined,
    });
    expect(one(feature(point(45, 120)))?.error).toBe('location.latitude: 120 is not in [-90, 90]');
  });

  it('reads any point longitude first', () => {
    fc.assert(
      fc.property(finite(-180, 180), finite(-90, 90), (longitude, latitude) => {
        const location = one(feature(point(longitude, latitude)))?.device?.location;
        // JSON has no negative zero (JSON.stringify(-0) is "0"), hence the + 0.
        expect(location).toEqual({
          latitude: latitude + 0,
          longitude: longitude + 0,
          altitudeMeters: undefined,
        });
      }),
    );
  });

  it('upper-cases DevEUIs for LoRaWAN kinds only', () => {
    const id = (network_kind: string, network_id: string) =>
      one(feature(point(4, 51), { network_kind, network_id }))?.device?.network?.networkId;
    expect(id('lorawan_tts', 'abcdef0123456789')).toBe('ABCDEF0123456789');
    expect(id('nats', 'adapter.abc')).toBe('adapter.abc');
  });

  it('also reads metrics and labels written as in CSV, and intervals as numbers or text', () => {
    const device = one(
      feature(point(4, 51), {
        metrics: 'laeq:dB[A]:0:140;lamax:dB[A]',
        labels: 'vendor=sonitus; batch = 3',
        expected_report_interval: 900,
      }),
    )?.device;
    expect(device?.metrics).toEqual([
      { name: 'laeq', unit: 'dB[A]', min: 0, max: 140 },
      { name: 'lamax', unit: 'dB[A]', min: undefined, max: undefined },
    ]);
    expect(device?.labels).toEqual({ batch: '3', vendor: 'sonitus' });
    expect(device?.expectedReportInterval).toEqual({ seconds: 900n, nanos: 0 });
    expect(
      one(feature(point(4, 51), { expected_report_interval: '15m' }))?.device
        ?.expectedReportInterval,
    ).toEqual({ seconds: 900n, nanos: 0 });
    expect(
      one(feature(point(4, 51), { expected_report_interval_s: 60 }))?.device
        ?.expectedReportInterval,
    ).toEqual({ seconds: 60n, nanos: 0 });
  });

  it('takes the feature id when the properties have none, and prefers the properties', () => {
    const rows = parseDeviceGeoJson(
      collection(
        { ...feature(point(4, 51), { id: undefined }), id: 'from-feature' },
        { ...feature(point(4, 51), { id: 'from-properties', network_id: 'n2' }), id: 'ignored' },
        { ...feature(point(4, 51), { id: undefined, network_id: 'n3' }), id: 7 },
      ),
    );
    expect(rows.map((r) => [r.deviceId, r.device?.id])).toEqual([
      ['from-feature', 'from-feature'],
      ['from-properties', 'from-properties'],
      ['7', '7'],
    ]);
  });

  it.each([
    ['a LineString', { type: 'LineString', coordinates: [[4, 51]] }],
    ['a Polygon', { type: 'Polygon', coordinates: [[[4, 51]]] }],
    ['no geometry', null],
    ['a Point without coordinates', { type: 'Point' }],
    ['a Point with coordinates that are no array', { type: 'Point', coordinates: '4,51' }],
  ])('reports %s as the geometry error', (_case, geometry) => {
    expect(one(feature(geometry))).toEqual({
      row: 1,
      deviceId: 'noise-1',
      error: 'geometry: expected a Point with [longitude, latitude(, altitude)]',
    });
  });

  it.each([
    [point(4), 'latitude: is required'],
    [point(), 'latitude: is required'],
    [point('east', 51), 'longitude: "east" is not a number'],
    [point(4, null), 'latitude: is required'],
    [point([], 51), 'longitude: [] is not a number'],
    [point(4, ' '), 'latitude: is required'],
    [point(4, 51, 'high'), 'altitude_meters: "high" is not a number'],
    [point(181, 51), 'location.longitude: 181 is not in [-180, 180]'],
  ])('reports the coordinates %o as %j', (geometry, error) => {
    expect(one(feature(geometry))?.error).toBe(error);
  });

  it.each([
    [{ type: 'lamp' }, /^type: "lamp" is not one of /],
    [{ type: undefined }, /^type: is required$/],
    [
      { classification: 'open' },
      /^classification: "open" is not one of public, internal, personal$/,
    ],
    [{ network_kind: undefined }, /^network_kind: is required$/],
    [
      { metrics: [{ name: 'laeq', unit: 'dB[A]', min: 'low' }] },
      /^metrics\[0\]\.min: "low" is not a number$/,
    ],
    [
      {
        metrics: [
          { name: 'laeq', unit: 'dB[A]' },
          { name: 'lamax', unit: 'decibel' },
        ],
      },
      /^metrics\[1\]\.unit: "decibel" is not a known UCUM unit$/,
    ],
    [{ metrics: [] }, /^metrics: at least one is required$/],
    [{ labels: ['vendor=sonitus'] }, /^labels: expected an object/],
    [{ network_id: '' }, /^network\.network_id: is required/],
    [{ expected_report_interval: -60 }, /^expected_report_interval: -60 is not a duration$/],
  ] as const)('reports the properties %o', (properties, error) => {
    const parsed = one(feature(point(4, 51), properties));
    expect(parsed?.device).toBeUndefined();
    expect(parsed?.error).toMatch(error);
  });

  it('reads a blank metric bound as unset, not as 0', () => {
    const device = one(
      feature(point(4, 51), { metrics: [{ name: 'laeq', unit: 'dB[A]', min: ' ', max: '' }] }),
    )?.device;
    expect(device?.metrics).toEqual([
      { name: 'laeq', unit: 'dB[A]', min: undefined, max: undefined },
    ]);
  });

  it('reports a feature that is not a Feature, or not an object, and goes on', () => {
    const rows = parseDeviceGeoJson(
      collection(
        null,
        { ...feature(point(4, 51)), type: 'Point' },
        feature(point(4, 51), { id: 'ok' }),
      ),
    );
    expect(rows.map((r) => [r.row, r.deviceId, r.error])).toEqual([
      [1, '', 'type: expected a Feature'],
      [2, 'noise-1', 'type: expected a Feature'],
      [3, 'ok', undefined],
    ]);
  });

  it.each([
    ['a single Feature', '{"type":"Feature"}'],
    ['an array', '[]'],
    ['null', 'null'],
    ['a number', '42'],
    ['a FeatureCollection without features', '{"type":"FeatureCollection"}'],
    ['features that are no array', '{"type":"FeatureCollection","features":{}}'],
    ['a lower-case type', '{"type":"featurecollection","features":[]}'],
  ])('refuses %s as a whole', (_case, content) => {
    expect(() => parseDeviceGeoJson(content)).toThrow(
      new ImportFileError('GeoJSON: expected a FeatureCollection with a features array'),
    );
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseDeviceGeoJson('not json')).toThrow(ImportFileError);
    expect(() => parseDeviceGeoJson('id,type\n')).toThrow(/^GeoJSON: not JSON \(/);
  });

  it(`refuses more than ${MAX_IMPORT_ROWS} features`, () => {
    const features = (n: number) =>
      JSON.stringify({ type: 'FeatureCollection', features: Array(n).fill(null) });
    expect(() => parseDeviceGeoJson(features(MAX_IMPORT_ROWS + 1))).toThrow(
      new ImportFileError(
        `GeoJSON: ${MAX_IMPORT_ROWS + 1} features is more than ${MAX_IMPORT_ROWS} per import`,
      ),
    );
    expect(parseDeviceGeoJson(features(MAX_IMPORT_ROWS))).toHaveLength(MAX_IMPORT_ROWS);
    expect(parseDeviceGeoJson(collection())).toEqual([]);
  });

  it('round-trips any valid device through a feature', () => {
    fc.assert(
      fc.property(deviceArb, (device) => {
        const parsed = parsedDevice(parseDeviceGeoJson(collection(toFeature(device))));
        expect(changedFields(device, parsed)).toEqual([]);
        expect([parsed.id, parsed.type]).toEqual([device.id, device.type]);
      }),
    );
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['1h', 3600],
    ['1.5h', 5400],
    ['1d', 86_400],
    ['250ms', 0.25],
    ['0', 0],
    [' 15m ', 900],
    [900, 900],
    [0.5, 0.5],
  ])('reads %j as %d seconds', (raw, seconds) => {
    expect(parseDurationSeconds('interval', raw)).toBe(seconds);
  });

  it.each([undefined, null, ''])('reads %j as unset', (raw) => {
    expect(parseDurationSeconds('interval', raw)).toBeUndefined();
  });

  it.each(['soon', '-5', '15 m', '1H', '1w', 'm', '1e3', '.5h', '15m30s'])(
    'refuses %j, naming the column',
    (raw) => {
      expect(() => parseDurationSeconds('expected_report_interval', raw)).toThrow(
        `expected_report_interval: ${JSON.stringify(raw)} is not a duration like 900, 900s, 15m or 1h`,
      );
    },
  );

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses the number %d', (raw) => {
    expect(() => parseDurationSeconds('interval', raw)).toThrow(
      `interval: ${raw} is not a duration`,
    );
  });

  it('reads whole counts of each unit exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom<[string, number]>(['s', 1], ['', 1], ['m', 60], ['h', 3600], ['d', 86_400]),
        (n, [unit, factor]) => {
          expect(parseDurationSeconds('x', `${n}${unit}`)).toBe(n * factor);
        },
      ),
    );
  });
});

describe('parseMetricList', () => {
  it('reads names, units and optional bounds', () => {
    expect(parseMetricList('metrics', 'a:m;b:Cel:-40; c:%::100 ;d:1:-1.5:2e3')).toEqual([
      { name: 'a', unit: 'm', min: undefined, max: undefined },
      { name: 'b', unit: 'Cel', min: -40, max: undefined },
      { name: 'c', unit: '%', min: undefined, max: 100 },
      { name: 'd', unit: '1', min: -1.5, max: 2000 },
    ]);
  });

  it('ignores empty entries and reads an empty list as none', () => {
    expect(parseMetricList('metrics', '')).toEqual([]);
    expect(parseMetricList('metrics', ' ; ;a:m;')).toEqual([
      { name: 'a', unit: 'm', min: undefined, max: undefined },
    ]);
  });

  it('reads a blank bound as unset, not as 0', () => {
    expect(parseMetricList('metrics', 'a:m: :10')).toEqual([
      { name: 'a', unit: 'm', min: undefined, max: 10 },
    ]);
  });

  it.each(['a', 'a:', ':m', 'a:m:1:2:3'])('refuses %j, naming the column', (raw) => {
    expect(() => parseMetricList('sensors', raw)).toThrow(
      `sensors: ${JSON.stringify(raw)} is not name:unit[:min[:max]]`,
    );
  });

  it('names the metric and the bound that is not a number', () => {
    expect(() => parseMetricList('metrics', 'a:m;level:cm:0:lots')).toThrow(
      'metrics level max: "lots" is not a number',
    );
  });
});

describe('parseLabelList', () => {
  it('reads key=value pairs, trimming both and keeping = in values', () => {
    expect(parseLabelList('labels', 'k=v; x = y=z ;empty=;;')).toEqual({
      k: 'v',
      x: 'y=z',
      empty: '',
    });
    expect(parseLabelList('labels', '')).toEqual({});
  });

  it('keeps the last of a repeated key', () => {
    expect(parseLabelList('labels', 'a=1;a=2')).toEqual({ a: '2' });
  });

  it('keeps a label whatever its key, even __proto__', () => {
    const labels = parseLabelList('labels', '__proto__=x;constructor=y');
    expect(Object.entries(labels)).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
  });

  it.each(['novalue', '=v', ' = v'])('refuses %j, naming the column', (raw) => {
    expect(() => parseLabelList('tags', raw)).toThrow(
      `tags: ${JSON.stringify(raw.trim())} is not key=value`,
    );
  });
});

describe('planImport', () => {
  /** A parsed row for a bin: the same data each time unless a name is given. */
  const parsed = (
    id: string,
    eui: string,
    cells: Partial<Record<Column, string>> = {},
  ): ParsedRow => {
    const [result] = parseDeviceCsv(csv(row({ id, network_id: eui, name: `Bin ${id}`, ...cells })));
    if (!result?.device) throw new Error(`fixture row ${id} is invalid: ${result?.error}`);
    return { ...result, row: 0 };
  };
  const numbered = (rows: ParsedRow[]) => rows.map((r, i) => ({ ...r, row: i + 1 }));
  const registered = (r: ParsedRow, status = DeviceStatus.DEVICE_STATUS_ACTIVE): Device => ({
    ...r.device!,
    status,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    municipalityCode: 'GM0758',
  });
  /** The registry a database would give for these devices: active ones hold their network. */
  const registry = (...devices: Device[]): RegistrySnapshot => ({
    byId: new Map(devices.map((d) => [d.id, d])),
    networkOwner: new Map(
      devices
        .filter((d) => d.status === DeviceStatus.DEVICE_STATUS_ACTIVE)
        .map((d) => [networkKey(d), d.id]),
    ),
  });
  const summary = (plan: PlannedRow[]) => plan.map((p) => [p.row, p.outcome, p.error, p.changed]);

  it('decides created, updated, unchanged and failed per row', () => {
    const bin1 = parsed('bin-1', '70B3D57ED0000001');
    const bin2 = parsed('bin-2', '70B3D57ED0000002');
    const renamed = parsed('bin-2', '70B3D57ED0000002', { name: 'Renamed', zone: 'haven' });
    const fresh = parsed('bin-3', '70B3D57ED0000003');
    const plan = planImport(
      numbered([
        bin1,
        renamed,
        fresh,
        { row: 0, deviceId: 'bin-4', error: 'latitude: is required' },
      ]),
      registry(registered(bin1), registered(bin2)),
    );
    expect(summary(plan)).toEqual([
      [1, IMPORT_OUTCOME_UNCHANGED, '', undefined],
      [2, IMPORT_OUTCOME_UPDATED, '', ['name', 'zone']],
      [3, IMPORT_OUTCOME_CREATED, '', undefined],
      [4, FAILED, 'latitude: is required', undefined],
    ]);
    // What to write: the file's device for CREATED and UPDATED, nothing otherwise.
    expect(plan.map((p) => p.device)).toEqual([undefined, renamed.device, fresh.device, undefined]);
    expect(plan.map((p) => p.deviceId)).toEqual(['bin-1', 'bin-2', 'bin-3', 'bin-4']);
  });

  it('sees no change in a row that differs from the registry only in form', () => {
    const stored = registered(parsed('bin-1', '70B3D57ED0000001', { labels: 'b=2;a=1' }));
    const plan = planImport(
      numbered([
        parsed('bin-1', '70b3d57ed0000001', {
          name: '"  Bin bin-1 "',
          labels: ' a = 1 ; b=2',
          owner_department: 'WASTE',
          expected_report_interval: '60m',
        }),
      ]),
      registry(stored),
    );
    expect(summary(plan)).toEqual([[1, IMPORT_OUTCOME_UNCHANGED, '', undefined]]);
  });

  it('lists the changed fields of an update, and those only', () => {
    const stored = registered(parsed('bin-1', '70B3D57ED0000001'));
    const plan = planImport(
      numbered([
        parsed('bin-1', '70B3D57ED00000FF', {
          latitude: '51.59',
          expected_report_interval: '15m',
          labels: 'vendor=ecobin',
        }),
      ]),
      registry(stored),
    );
    expect(summary(plan)).toEqual([
      [
        1,
        IMPORT_OUTCOME_UPDATED,
        '',
        ['location', 'expected_report_interval', 'network', 'labels'],
      ],
    ]);
  });

  it('fails a repeated id, naming the first row', () => {
    const plan = planImport(
      [
        { ...parsed('bin-1', '70B3D57ED0000001'), row: 3 },
        { ...parsed('bin-1', '70B3D57ED0000002'), row: 7 },
        { ...parsed('bin-1', '70B3D57ED0000003'), row: 9 },
      ],
      registry(),
    );
    expect(summary(plan)).toEqual([
      [3, IMPORT_OUTCOME_CREATED, '', undefined],
      [7, FAILED, 'id: bin-1 is also on row 3', undefined],
      [9, FAILED, 'id: bin-1 is also on row 3', undefined],
    ]);
  });

  it('fails a network id used twice in the file, naming the first device', () => {
    const plan = planImport(
      numbered([parsed('bin-1', '70B3D57ED0000001'), parsed('bin-3', '70b3d57ed0000001')]),
      registry(),
    );
    expect(summary(plan)).toEqual([
      [1, IMPORT_OUTCOME_CREATED, '', undefined],
      [2, FAILED, 'network_id: 70B3D57ED0000001 is also used by bin-1 in this file', undefined],
    ]);
  });

  it('tells network ids apart by kind', () => {
    const plan = planImport(
      numbered([
        parsed('bin-1', '70B3D57ED0000001', { network_kind: 'lorawan_tts' }),
        parsed('bin-2', '70B3D57ED0000001', { network_kind: 'lorawan_chirpstack' }),
        parsed('bin-3', 'shared', { network_kind: 'mqtt' }),
        parsed('bin-4', 'shared', { network_kind: 'http' }),
      ]),
      registry(registered(parsed('old', 'shared', { network_kind: 'grpc' }))),
    );
    expect(plan.map((p) => p.outcome)).toEqual(Array(4).fill(IMPORT_OUTCOME_CREATED));
  });

  it('fails a network id that belongs to another active device', () => {
    const holder = registered(parsed('bin-9', '70B3D57ED0000009'));
    const plan = planImport(
      numbered([parsed('bin-4', '70b3d57ed0000009'), parsed('bin-1', '70B3D57ED0000001')]),
      registry(holder, registered(parsed('bin-1', '70B3D57ED0000001'))),
    );
    expect(summary(plan)).toEqual([
      [1, FAILED, 'network_id: 70B3D57ED0000009 belongs to active device bin-9', undefined],
      [2, IMPORT_OUTCOME_UNCHANGED, '', undefined],
    ]);
  });

  it('lets a new device take the network id of a decommissioned one', () => {
    const retired = registered(
      parsed('bin-old', '70B3D57ED0000009'),
      DeviceStatus.DEVICE_STATUS_DECOMMISSIONED,
    );
    const plan = planImport(numbered([parsed('bin-new', '70B3D57ED0000009')]), registry(retired));
    expect(summary(plan)).toEqual([[1, IMPORT_OUTCOME_CREATED, '', undefined]]);
  });

  it('never revives a decommissioned id, even unchanged', () => {
    const old = parsed('bin-1', '70B3D57ED0000001');
    const plan = planImport(
      numbered([old]),
      registry(registered(old, DeviceStatus.DEVICE_STATUS_DECOMMISSIONED)),
    );
    expect(summary(plan)).toEqual([
      [1, FAILED, 'id: bin-1 is decommissioned; ids are never reused', undefined],
    ]);
  });

  it('never changes the type of a registered device', () => {
    const stored = registered(parsed('bin-2', '70B3D57ED0000002'));
    const plan = planImport(
      numbered([parsed('bin-2', '70B3D57ED0000002', { type: 'noise', metrics: 'laeq:dB[A]' })]),
      registry(stored),
    );
    expect(summary(plan)).toEqual([
      [1, FAILED, 'type: cannot change; register a new device', undefined],
    ]);
  });

  it('reports a row without device or error as unreadable', () => {
    const plan = planImport([{ row: 1, deviceId: 'x' }], registry());
    expect(plan).toEqual([{ row: 1, deviceId: 'x', outcome: FAILED, error: 'unreadable row' }]);
  });

  it('plans nothing for no rows', () => {
    expect(planImport([], registry())).toEqual([]);
  });

  // Small pools make repeats and conflicts common.
  const IDS = ['a', 'b', 'c', 'd', 'e'];
  const EUIS = ['70B3D57ED0000001', '70B3D57ED0000002', '70B3D57ED0000003', '70B3D57ED0000004'];
  const rowArb = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        id: fc.constantFrom(...IDS),
        eui: fc.constantFrom(...EUIS),
        kind: fc.constantFrom('lorawan_tts', 'lorawan_chirpstack'),
        name: fc.constantFrom('x', 'y'),
        type: fc.constantFrom('bin_fill', 'noise'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        id: fc.constantFrom(...IDS),
        error: fc.constant('latitude: is required'),
      }),
    },
  );
  const registryArb = fc
    .subarray(IDS)
    .chain((ids) =>
      fc.tuple(
        ...ids.map((id) =>
          fc.record({
            id: fc.constant(id),
            eui: fc.constantFrom(...EUIS),
            kind: fc.constantFrom('lorawan_tts', 'lorawan_chirpstack'),
            name: fc.constantFrom('x', 'y'),
            type: fc.constantFrom('bin_fill', 'noise'),
            active: fc.boolean(),
          }),
        ),
      ),
    )
    .map((entries) => {
      // As in the database: at most one active device per network identity.
      const holders = new Set<string>();
      return entries.map((e) => {
        const device = registered(
          parsed(e.id, e.eui, { name: e.name, type: e.type, network_kind: e.kind }),
          e.active ? DeviceStatus.DEVICE_STATUS_ACTIVE : DeviceStatus.DEVICE_STATUS_DECOMMISSIONED,
        );
        const key = networkKey(device);
        if (e.active && holders.has(key))
          return { ...device, status: DeviceStatus.DEVICE_STATUS_DECOMMISSIONED };
        holders.add(key);
        return device;
      });
    });

  it('gives every row one outcome, by the rules, whatever the file and registry', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 12 }), registryArb, (specs, devices) => {
        const rows: ParsedRow[] = specs.map((s, i) =>
          'error' in s
            ? { row: i + 1, deviceId: s.id, error: s.error }
            : {
                ...parsed(s.id, s.eui, { name: s.name, type: s.type, network_kind: s.kind }),
                row: i + 1,
              },
        );
        const snapshot = registry(...devices);
        const plan = planImport(rows, snapshot);

        expect(plan.map((p) => [p.row, p.deviceId])).toEqual(rows.map((r) => [r.row, r.deviceId]));
        const counts = [
          IMPORT_OUTCOME_CREATED,
          IMPORT_OUTCOME_UPDATED,
          IMPORT_OUTCOME_UNCHANGED,
          FAILED,
        ].map((o) => plan.filter((p) => p.outcome === o).length);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(rows.length);

        const firstRowOfId = new Map<string, number>();
        const firstHolderOfNetwork = new Map<string, string>();
        plan.forEach((p, i) => {
          const input = rows[i]!;
          expect(p.error === '').toBe(p.outcome !== FAILED);
          if (!input.device) {
            expect(p).toEqual({
              row: input.row,
              deviceId: input.deviceId,
              outcome: FAILED,
              error: input.error,
            });
            return;
          }
          const device = input.device;
          const existing = snapshot.byId.get(device.id);
          const key = networkKey(device);
          const earlier = firstRowOfId.get(device.id);
          const holderInFile = firstHolderOfNetwork.get(key);
          const holder = snapshot.networkOwner.get(key);
          if (earlier === undefined) firstRowOfId.set(device.id, input.row);
          if (earlier === undefined && holderInFile === undefined)
            firstHolderOfNetwork.set(key, device.id);

          if (p.outcome === IMPORT_OUTCOME_CREATED) {
            // Never both CREATED and in the registry.
            expect(existing).toBeUndefined();
            expect(p.device).toBe(device);
          }
          if (p.outcome === IMPORT_OUTCOME_UPDATED || p.outcome === IMPORT_OUTCOME_UNCHANGED) {
            expect(existing?.status).toBe(DeviceStatus.DEVICE_STATUS_ACTIVE);
            expect(existing?.type).toBe(device.type);
            const changed = changedFields(existing!, device);
            expect(p.changed).toEqual(p.outcome === IMPORT_OUTCOME_UPDATED ? changed : undefined);
            expect(changed.length > 0).toBe(p.outcome === IMPORT_OUTCOME_UPDATED);
            expect(p.device).toBe(p.outcome === IMPORT_OUTCOME_UPDATED ? device : undefined);
          }
          // The rules, in order.
          if (earlier !== undefined) {
            expect(p.error).toBe(`id: ${device.id} is also on row ${earlier}`);
          } else if (holderInFile !== undefined) {
            expect(p.error).toBe(
              `network_id: ${device.network?.networkId} is also used by ${holderInFile} in this file`,
            );
          } else if (holder !== undefined && holder !== device.id) {
            expect(p.error).toBe(
              `network_id: ${device.network?.networkId} belongs to active device ${holder}`,
            );
          } else if (!existing) {
            expect(p.outcome).toBe(IMPORT_OUTCOME_CREATED);
          } else if (existing.status === DeviceStatus.DEVICE_STATUS_DECOMMISSIONED) {
            expect(p.error).toBe(`id: ${device.id} is decommissioned; ids are never reused`);
          } else if (existing.type !== device.type) {
            expect(p.error).toBe('type: cannot change; register a new device');
          } else {
            expect([IMPORT_OUTCOME_UPDATED, IMPORT_OUTCOME_UNCHANGED]).toContain(p.outcome);
          }
        });

        // What gets written is consistent: ids and network identities stay unique.
        const written = plan
          .filter((p) => p.outcome !== FAILED)
          .map((p) => rows[p.row - 1]!.device!);
        expect(new Set(written.map((d) => d.id)).size).toBe(written.length);
        expect(new Set(written.map(networkKey)).size).toBe(written.length);
        for (const d of written) {
          expect([undefined, d.id]).toContain(snapshot.networkOwner.get(networkKey(d)));
        }
      }),
    );
  });
});

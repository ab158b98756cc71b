import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  type Device,
  DeviceStatus,
  DeviceType,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { ImportOutcome } from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CSV_COLUMNS,
  ImportFileError,
  networkKey,
  type ParsedRow,
  parseDeviceCsv,
  parseDeviceGeoJson,
  parseDurationSeconds,
  parseLabelList,
  parseMetricList,
  planImport,
} from './device-import.js';
import { changedFields } from './device-rules.js';

const HEADER = CSV_COLUMNS.join(',');
const row = (cells: Partial<Record<(typeof CSV_COLUMNS)[number], string>>) =>
  CSV_COLUMNS.map(
    (c) =>
      cells[c] ??
      {
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
      }[c],
  ).join(',');

describe('parseDeviceCsv', () => {
  it('reads a row into a normalized device', () => {
    const [parsed] = parseDeviceCsv(
      `\uFEFF# exported from the asset system\n${HEADER}\n${row({})}\n`,
    );
    expect(parsed?.error).toBeUndefined();
    expect(parsed?.device).toMatchObject({
      id: 'bin-1',
      type: DeviceType.DEVICE_TYPE_BIN_FILL,
      location: { latitude: 51.58, longitude: 4.77, altitudeMeters: undefined },
      metrics: [
        { name: 'fill_level', unit: '%', min: 0, max: 100 },
        { name: 'temperature', unit: 'Cel', min: undefined, max: undefined },
      ],
      classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
      expectedReportInterval: { seconds: 3600n, nanos: 0 },
      network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: '70B3D57ED0000001' },
      labels: { batch: '2024-q3', vendor: 'ecobin' },
    });
  });

  it('reports each bad row with the column and reason, keeping the good ones', () => {
    const rows = parseDeviceCsv(
      [
        HEADER,
        row({ id: 'a', latitude: 'north' }),
        row({ id: 'b', type: 'lamp' }),
        row({ id: 'c', metrics: 'fill_level' }),
        row({ id: 'd', latitude: '95' }),
        'e,bin_fill',
        row({ id: 'f' }),
      ].join('\n'),
    );
    expect(rows.map((r) => [r.row, r.deviceId, r.error])).toEqual([
      [1, 'a', 'latitude: "north" is not a number'],
      [
        2,
        'b',
        expect.stringMatching(/^type: "lamp" is not one of pedestrian_counter, bike_counter/),
      ],
      [3, 'c', 'metrics: "fill_level" is not name:unit[:min[:max]]'],
      [4, 'd', 'location.latitude: 95 is not in [-90, 90]'],
      [5, 'e', 'row has 2 cells, the header 14'],
      [6, 'f', undefined],
    ]);
  });

  it('refuses a file with unknown or missing columns as a whole', () => {
    expect(() => parseDeviceCsv('id,type,colour\nx,noise,red')).toThrow(
      new ImportFileError(`CSV: unknown column(s) colour; known: ${CSV_COLUMNS.join(', ')}`),
    );
    expect(() => parseDeviceCsv('id,type,name\nx,noise,y')).toThrow(
      /missing column\(s\) latitude, longitude, metrics, network_kind, network_id/,
    );
    expect(() => parseDeviceCsv('')).toThrow(/empty/);
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
  const collection = (...features: unknown[]) =>
    JSON.stringify({ type: 'FeatureCollection', features });

  it('reads coordinates longitude first, with altitude', () => {
    const [parsed] = parseDeviceGeoJson(
      collection(feature({ type: 'Point', coordinates: [4.7763, 51.5877, 3.5] })),
    );
    expect(parsed?.device?.location).toEqual({
      latitude: 51.5877,
      longitude: 4.7763,
      altitudeMeters: 3.5,
    });
    expect(parsed?.device?.labels).toEqual({ vendor: 'sonitus' });
  });

  it('reports a feature that is not a point, and takes the feature id as a fallback', () => {
    const rows = parseDeviceGeoJson(
      collection(feature({ type: 'LineString', coordinates: [[4, 51]] }), {
        ...feature({ type: 'Point', coordinates: [4, 51] }, { id: undefined }),
        id: 'from-feature',
      }),
    );
    expect(rows[0]?.error).toBe(
      'geometry: expected a Point with [longitude, latitude(, altitude)]',
    );
    expect(rows[1]?.device?.id).toBe('from-feature');
  });

  it('refuses what is not a FeatureCollection', () => {
    expect(() => parseDeviceGeoJson('{"type":"Feature"}')).toThrow(ImportFileError);
    expect(() => parseDeviceGeoJson('not json')).toThrow(/GeoJSON: not JSON/);
  });
});

describe('the small parsers', () => {
  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['1h', 3600],
    ['1d', 86_400],
    ['250ms', 0.25],
  ])('reads the duration %s', (raw, seconds) => {
    expect(parseDurationSeconds('interval', raw)).toBe(seconds);
  });

  it('refuses a duration it cannot read, naming the column', () => {
    expect(() => parseDurationSeconds('expected_report_interval', 'soon')).toThrow(
      'expected_report_interval: "soon" is not a duration like 900, 900s, 15m or 1h',
    );
  });

  it('reads metric and label lists', () => {
    expect(parseMetricList('metrics', 'a:m;b:Cel:-40')).toEqual([
      { name: 'a', unit: 'm', min: undefined, max: undefined },
      { name: 'b', unit: 'Cel', min: -40, max: undefined },
    ]);
    expect(parseLabelList('labels', 'k=v; x = y=z ')).toEqual({ k: 'v', x: 'y=z' });
    expect(() => parseLabelList('labels', 'novalue')).toThrow('labels: "novalue" is not key=value');
  });
});

describe('planImport', () => {
  const parsed = (id: string, eui: string, name = `Bin ${id}`): ParsedRow => {
    const [result] = parseDeviceCsv(`${HEADER}\n${row({ id, network_id: eui, name })}`);
    return { ...result!, row: 0 };
  };
  const numbered = (rows: ParsedRow[]) => rows.map((r, i) => ({ ...r, row: i + 1 }));
  const registered = (row: ParsedRow, status = DeviceStatus.DEVICE_STATUS_ACTIVE): Device => ({
    ...row.device!,
    status,
  });

  it('decides created, updated, unchanged and failed per row', () => {
    const existing = parsed('bin-1', '70B3D57ED0000001');
    const renamed = parsed('bin-2', '70B3D57ED0000002', 'Renamed');
    const plan = planImport(
      numbered([
        parsed('bin-1', '70B3D57ED0000001'),
        renamed,
        parsed('bin-3', '70B3D57ED0000003'),
        { row: 0, deviceId: 'bin-4', error: 'latitude: is required' },
      ]),
      {
        byId: new Map([
          ['bin-1', registered(existing)],
          ['bin-2', registered(parsed('bin-2', '70B3D57ED0000002'))],
        ]),
        networkOwner: new Map(),
      },
    );
    expect(plan.map((p) => [p.row, p.outcome, p.error, p.changed])).toEqual([
      [1, ImportOutcome.IMPORT_OUTCOME_UNCHANGED, '', undefined],
      [2, ImportOutcome.IMPORT_OUTCOME_UPDATED, '', ['name']],
      [3, ImportOutcome.IMPORT_OUTCOME_CREATED, '', undefined],
      [4, ImportOutcome.IMPORT_OUTCOME_FAILED, 'latitude: is required', undefined],
    ]);
  });

  it('fails repeated ids and network ids in the file, and network ids held by others', () => {
    const taken = parsed('bin-9', '70B3D57ED0000009');
    const plan = planImport(
      numbered([
        parsed('bin-1', '70B3D57ED0000001'),
        parsed('bin-1', '70B3D57ED0000002'),
        parsed('bin-3', '70B3D57ED0000001'),
        parsed('bin-4', '70B3D57ED0000009'),
      ]),
      { byId: new Map(), networkOwner: new Map([[networkKey(taken.device!), 'bin-9']]) },
    );
    expect(plan.map((p) => p.error)).toEqual([
      '',
      'id: bin-1 is also on row 1',
      'network_id: 70B3D57ED0000001 is also used by bin-1 in this file',
      'network_id: 70B3D57ED0000009 belongs to active device bin-9',
    ]);
  });

  it('never revives a decommissioned id nor changes a type', () => {
    const old = parsed('bin-1', '70B3D57ED0000001');
    const plan = planImport(numbered([old, parsed('bin-2', '70B3D57ED0000002')]), {
      byId: new Map([
        ['bin-1', registered(old, DeviceStatus.DEVICE_STATUS_DECOMMISSIONED)],
        [
          'bin-2',
          {
            ...registered(parsed('bin-2', '70B3D57ED0000002')),
            type: DeviceType.DEVICE_TYPE_NOISE,
          },
        ],
      ]),
      networkOwner: new Map(),
    });
    expect(plan.map((p) => p.error)).toEqual([
      'id: bin-1 is decommissioned; ids are never reused',
      'type: cannot change; register a new device',
    ]);
  });

  it('gives every row exactly one outcome, and creates only unregistered ids', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 20 }),
        fc.subarray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
        (ids, registeredIds) => {
          const rows = numbered(ids.map((n) => parsed(`bin-${n}`, `70B3D57ED000000${n}`)));
          const byId = new Map(
            registeredIds.map((n) => [
              `bin-${n}`,
              registered(parsed(`bin-${n}`, `70B3D57ED000000${n}`)),
            ]),
          );
          const plan = planImport(rows, {
            byId,
            networkOwner: new Map([...byId].map(([id, d]) => [networkKey(d), id])),
          });
          expect(plan).toHaveLength(rows.length);
          for (const p of plan) {
            if (p.outcome === ImportOutcome.IMPORT_OUTCOME_CREATED)
              expect(byId.has(p.deviceId)).toBe(false);
            if (p.outcome === ImportOutcome.IMPORT_OUTCOME_UNCHANGED)
              expect(byId.has(p.deviceId)).toBe(true);
          }
          // The first row of each id succeeds (same data), every repeat fails.
          const firsts = new Set<string>();
          for (const p of plan) {
            expect(p.outcome === ImportOutcome.IMPORT_OUTCOME_FAILED).toBe(firsts.has(p.deviceId));
            firsts.add(p.deviceId);
          }
        },
      ),
    );
  });

  it('round-trips any valid row through CSV unchanged', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
          latitude: fc.double({ min: -90, max: 90, noNaN: true }),
          longitude: fc.double({ min: -180, max: 180, noNaN: true }),
          min: fc.integer({ min: -100, max: 0 }),
          max: fc.integer({ min: 1, max: 100 }),
          interval: fc.integer({ min: 0, max: 86_400 }),
        }),
        (r) => {
          const [first] = parseDeviceCsv(
            `${HEADER}\n${row({
              id: r.id,
              latitude: String(r.latitude),
              longitude: String(r.longitude),
              metrics: `fill_level:%:${r.min}:${r.max}`,
              expected_report_interval: String(r.interval),
            })}`,
          );
          expect(first?.error).toBeUndefined();
          const device = first!.device!;
          // CSV text has no negative zero; every other double survives exactly.
          expect(device.location?.latitude === r.latitude).toBe(true);
          const [again] = parseDeviceCsv(
            `${HEADER}\n${row({
              id: device.id,
              latitude: String(device.location?.latitude),
              longitude: String(device.location?.longitude),
              metrics: `fill_level:%:${r.min}:${r.max}`,
              expected_report_interval: `${r.interval}s`,
            })}`,
          );
          expect(changedFields(device, again!.device!)).toEqual([]);
        },
      ),
    );
  });
});

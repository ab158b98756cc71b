// The pure option parsers of `slimstad devices | readings | quarantine`.
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  Device,
  DeviceStatus,
  DeviceType,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT_USAGE } from '../errors.js';
import {
  applyChanges,
  classification,
  collect,
  deviceFromJson,
  deviceStatus,
  deviceType,
  duration,
  enumToken,
  enumTokens,
  finite,
  instant,
  label,
  mergeSettings,
  metricSpec,
  network,
  nonBlank,
  pathsOf,
  positive,
  rejectionReason,
  setting,
} from './device-args.js';

/** The message a parser refuses `raw` with (commander prints it after the option). */
function refusal(parse: (raw: string) => unknown, raw: string): string {
  try {
    parse(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

describe('enum tokens', () => {
  it('reads lower-case tokens without the prefix, and tolerates case, dashes and the full name', () => {
    expect(deviceType('water_level')).toBe(DeviceType.DEVICE_TYPE_WATER_LEVEL);
    expect(deviceType(' Water-Level ')).toBe(DeviceType.DEVICE_TYPE_WATER_LEVEL);
    expect(deviceType('DEVICE_TYPE_ANPR_CAMERA')).toBe(DeviceType.DEVICE_TYPE_ANPR_CAMERA);
    expect(deviceStatus('decommissioned')).toBe(DeviceStatus.DEVICE_STATUS_DECOMMISSIONED);
    expect(classification('personal')).toBe(DataClassification.DATA_CLASSIFICATION_PERSONAL);
    expect(rejectionReason('unknown_device')).toBe(RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE);
  });

  it('refuses unknown tokens, UNSPECIFIED and numbers, listing the allowed tokens', () => {
    expect(refusal(deviceStatus, 'retired')).toBe('must be one of active, decommissioned.');
    expect(refusal(deviceStatus, 'unspecified')).toBe('must be one of active, decommissioned.');
    expect(refusal(deviceType, '5')).toMatch(/^must be one of pedestrian_counter, bike_counter, /);
    expect(refusal(classification, 'secret')).toBe('must be one of public, internal, personal.');
    expect(refusal(deviceType, 'unrecognized')).toMatch(/^must be one of /);
  });

  it('lists and prints tokens', () => {
    expect(enumTokens(NetworkKind, 'NETWORK_KIND_')).toEqual([
      'lorawan_chirpstack',
      'lorawan_tts',
      'mqtt',
      'http',
      'grpc',
      'nats',
    ]);
    expect(enumToken(DeviceType, 'DEVICE_TYPE_', DeviceType.DEVICE_TYPE_BIN_FILL)).toBe('bin_fill');
    expect(enumToken(DeviceType, 'DEVICE_TYPE_', 99)).toBe('99');
  });
});

describe('duration', () => {
  it.each([
    ['900s', 900n, 0],
    ['15m', 900n, 0],
    ['1h', 3_600n, 0],
    ['1d', 86_400n, 0],
    ['1.5s', 1n, 500_000_000],
    ['250ms', 0n, 250_000_000],
    [' 2h ', 7_200n, 0],
  ])('%s', (raw, seconds, nanos) => {
    expect(duration(raw)).toEqual({ seconds, nanos });
  });

  it('refuses what is not a positive duration with a unit', () => {
    for (const raw of ['15', '15 m', '-5m', '1w', 'm', '']) {
      expect(refusal(duration, raw)).toBe('must be a duration like 900s, 15m, 1h or 1d.');
    }
    expect(refusal(duration, '0s')).toBe('must be longer than zero.');
  });
});

describe('metricSpec', () => {
  it('reads name:unit with optional min and max', () => {
    expect(metricSpec('water_level:m:-2:8')).toEqual({
      name: 'water_level',
      unit: 'm',
      min: -2,
      max: 8,
    });
    expect(metricSpec('laeq:dB[A]')).toEqual({
      name: 'laeq',
      unit: 'dB[A]',
      min: undefined,
      max: undefined,
    });
    expect(metricSpec('fill_level:%:0')).toMatchObject({ min: 0, max: undefined });
    expect(metricSpec('battery:V::4.2')).toMatchObject({ min: undefined, max: 4.2 });
  });

  it('refuses a missing unit, extra parts, non-numbers and min above max', () => {
    const usage = 'must be name:unit[:min[:max]], e.g. water_level:m:-2:8.';
    expect(refusal(metricSpec, 'fill_level')).toBe(usage);
    expect(refusal(metricSpec, 'fill_level:')).toBe(usage);
    expect(refusal(metricSpec, ':%')).toBe(usage);
    expect(refusal(metricSpec, 'a:b:1:2:3')).toBe(usage);
    expect(refusal(metricSpec, 'a:b:low')).toBe('min "low" is not a number.');
    expect(refusal(metricSpec, 'a:b:0:high')).toBe('max "high" is not a number.');
    expect(refusal(metricSpec, 'a:b:10:1')).toBe('min 10 is above max 1.');
  });
});

describe('network', () => {
  it('reads kind:id; the id may hold colons', () => {
    expect(network('lorawan_chirpstack:0004A30B001C0530')).toEqual({
      kind: NetworkKind.NETWORK_KIND_LORAWAN_CHIRPSTACK,
      networkId: '0004A30B001C0530',
    });
    expect(network('mqtt:city/noise:9')).toEqual({
      kind: NetworkKind.NETWORK_KIND_MQTT,
      networkId: 'city/noise:9',
    });
  });

  it('refuses a missing part and an unknown kind', () => {
    const usage = 'must be kind:id, e.g. lorawan_chirpstack:0004A30B001C0530.';
    expect(refusal(network, 'lorawan_chirpstack')).toBe(usage);
    expect(refusal(network, ':0004A30B001C0530')).toBe(usage);
    expect(refusal(network, 'mqtt:')).toBe(usage);
    expect(refusal(network, 'zigbee:42')).toBe(
      'kind zigbee is unknown; must be one of lorawan_chirpstack, lorawan_tts, mqtt, http, grpc, nats.',
    );
  });
});

describe('small parsers', () => {
  it('label', () => {
    expect(label('vendor=acme')).toEqual(['vendor', 'acme']);
    expect(label('formula=a=b')).toEqual(['formula', 'a=b']);
    expect(label('empty=')).toEqual(['empty', '']);
    expect(refusal(label, 'vendor')).toBe('must be key=value.');
    expect(refusal(label, '=acme')).toBe('must be key=value.');
  });

  it('positive, finite, nonBlank', () => {
    expect(positive('25')).toBe(25);
    for (const raw of ['0', '-1', '2.5', 'ten', '']) expect(() => positive(raw)).toThrow();
    expect(finite('-4.7763')).toBe(-4.7763);
    for (const raw of ['', ' ', 'north', 'Infinity', 'NaN']) expect(() => finite(raw)).toThrow();
    expect(nonBlank('replaced by wl-015')).toBe('replaced by wl-015');
    expect(refusal(nonBlank, '  ')).toBe('must not be empty.');
  });

  it('instant needs ISO 8601 with a zone', () => {
    expect(instant('2026-11-22T10:00:00Z').toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(instant('2026-11-22T11:00:00+01:00').toISOString()).toBe('2026-11-22T10:00:00.000Z');
    for (const raw of ['2026-11-22T10:00:00', 'yesterday', '2026-13-45T10:00:00Z']) {
      expect(refusal(instant, raw)).toBe(
        'must be an ISO 8601 time with a zone, e.g. 2026-11-22T10:00:00Z.',
      );
    }
  });

  it('collect gathers a repeated option', () => {
    const metrics = collect(metricSpec);
    expect(metrics('b:V', metrics('a:m', undefined)).map((m) => m.name)).toEqual(['a', 'b']);
  });
});

describe('setting (--set field=value)', () => {
  it('reads every update-mask path', () => {
    expect(setting('name=Haven Mark')).toEqual({ path: 'name', changes: { name: 'Haven Mark' } });
    expect(setting('location=51.5877,4.7763')).toEqual({
      path: 'location',
      changes: { lat: 51.5877, lon: 4.7763, alt: undefined },
    });
    expect(setting('location=51.5877,4.7763,2.5').changes).toMatchObject({ alt: 2.5 });
    expect(setting('zone=haven')).toEqual({ path: 'zone', changes: { zone: 'haven' } });
    expect(
      setting('metrics=water_level:m:-2:8,battery:V').changes.metric?.map((m) => m.name),
    ).toEqual(['water_level', 'battery']);
    expect(setting('owner_department=public-works').changes).toEqual({ owner: 'public-works' });
    expect(setting('classification=internal').changes).toEqual({
      classification: DataClassification.DATA_CLASSIFICATION_INTERNAL,
    });
    expect(setting('expected_report_interval=15m').changes).toEqual({
      interval: { seconds: 900n, nanos: 0 },
    });
    expect(setting('network=lorawan_tts:70B3D57ED0000001').changes).toEqual({
      network: { kind: NetworkKind.NETWORK_KIND_LORAWAN_TTS, networkId: '70B3D57ED0000001' },
    });
    expect(setting('labels=vendor=acme,batch=2024-q3').changes).toEqual({
      label: [
        ['vendor', 'acme'],
        ['batch', '2024-q3'],
      ],
    });
    expect(setting('labels=').changes).toEqual({ label: [] });
  });

  it('refuses unknown fields, a missing =, and bad values naming the field', () => {
    expect(refusal(setting, 'zone')).toBe('must be field=value, e.g. zone=haven.');
    expect(refusal(setting, 'type=noise')).toBe(
      'cannot set type; fields are name, location, zone, metrics, owner_department, classification, expected_report_interval, network, labels (id and type never change).',
    );
    expect(refusal(setting, 'ownerDepartment=x')).toMatch(/^cannot set ownerDepartment;/);
    expect(refusal(setting, 'location=51.58')).toBe(
      'location must be lat,lon[,alt], e.g. 51.5877,4.7763.',
    );
    expect(refusal(setting, 'location=north,4')).toBe('location must be a number.');
    expect(refusal(setting, 'classification=secret')).toBe(
      'classification must be one of public, internal, personal.',
    );
    expect(refusal(setting, 'metrics=fill_level')).toMatch(/^metrics must be name:unit/);
    expect(refusal(setting, 'expected_report_interval=soon')).toMatch(
      /^expected_report_interval must be a duration/,
    );
  });
});

describe('applyChanges and the update mask', () => {
  it('sets exactly the given fields and lists them in mask order', () => {
    const { device, mask } = applyChanges(
      {
        label: [['vendor', 'acme']],
        zone: 'haven',
        lat: 51.5877,
        lon: 4.7763,
        interval: { seconds: 900n, nanos: 0 },
        owner: 'public-works',
      },
      Device.fromPartial({ id: 'wl-014', name: 'unchanged' }),
    );
    expect(mask).toEqual([
      'location',
      'zone',
      'owner_department',
      'expected_report_interval',
      'labels',
    ]);
    expect(device).toEqual(
      Device.fromPartial({
        id: 'wl-014',
        name: 'unchanged',
        location: { latitude: 51.5877, longitude: 4.7763 },
        zone: 'haven',
        ownerDepartment: 'public-works',
        expectedReportInterval: { seconds: 900n, nanos: 0 },
        labels: { vendor: 'acme' },
      }),
    );
  });

  it('sets the type without putting it in the mask; nothing given is an empty mask', () => {
    const typed = applyChanges({ type: DeviceType.DEVICE_TYPE_NOISE }, Device.fromPartial({}));
    expect(typed.device.type).toBe(DeviceType.DEVICE_TYPE_NOISE);
    expect(typed.mask).toEqual([]);
    expect(pathsOf({})).toEqual([]);
  });

  it('needs --lat and --lon together', () => {
    expect(() => applyChanges({ lat: 51 }, Device.fromPartial({}))).toThrow(
      new CliError('--lat and --lon go together', EXIT_USAGE),
    );
    expect(() => applyChanges({ alt: 3 }, Device.fromPartial({}))).toThrow(CliError);
  });
});

describe('mergeSettings', () => {
  it('adds the --sets to the options and ignores what is not a device field', () => {
    const options = { name: 'Haven Mark', set: ['ignored'], json: true } as never;
    const merged = mergeSettings(options, [setting('zone=haven'), setting('location=51,4')]);
    expect(merged).toEqual({ name: 'Haven Mark', zone: 'haven', lat: 51, lon: 4, alt: undefined });
    expect(pathsOf(merged)).toEqual(['name', 'location', 'zone']);
  });

  it('refuses a field given twice, by option and --set or by two --sets', () => {
    const twice = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(CliError);
        expect((error as CliError).exitCode).toBe(EXIT_USAGE);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(twice(() => mergeSettings({ zone: 'a' }, [setting('zone=b')]))).toBe(
      'zone is given twice (options and --set name each field once)',
    );
    expect(twice(() => mergeSettings({ lat: 51, lon: 4 }, [setting('location=52,5')]))).toMatch(
      /^location is given twice/,
    );
    expect(twice(() => mergeSettings({}, [setting('labels=a=1'), setting('labels=b=2')]))).toMatch(
      /^labels is given twice/,
    );
  });
});

describe('deviceFromJson (devices register --file)', () => {
  const expected = Device.fromPartial({
    id: 'noise-9',
    type: DeviceType.DEVICE_TYPE_NOISE,
    classification: DataClassification.DATA_CLASSIFICATION_INTERNAL,
    expectedReportInterval: { seconds: 300n, nanos: 0 },
    network: { kind: NetworkKind.NETWORK_KIND_MQTT, networkId: 'noise-9' },
  });

  it('reads proto3 JSON, including a Duration string that Device.fromJSON would zero', () => {
    const json = {
      id: 'noise-9',
      type: 'DEVICE_TYPE_NOISE',
      classification: 'DATA_CLASSIFICATION_INTERNAL',
      expectedReportInterval: '300s',
      network: { kind: 'NETWORK_KIND_MQTT', networkId: 'noise-9' },
    };
    expect(Device.fromJSON(json).expectedReportInterval).toEqual({ seconds: 0n, nanos: 0 });
    expect(deviceFromJson(json)).toEqual(expected);
  });

  it('reads tokens, snake_case, 5m, and what Device.toJSON writes', () => {
    expect(
      deviceFromJson({
        id: 'noise-9',
        type: 'noise',
        classification: 'internal',
        expected_report_interval: '5m',
        network: { kind: 'mqtt', network_id: 'noise-9' },
      }),
    ).toEqual(expected);
    expect(deviceFromJson(JSON.parse(JSON.stringify(Device.toJSON(expected))))).toEqual(expected);
    expect(deviceFromJson({ id: 'x', expectedReportInterval: null })).toEqual(
      Device.fromPartial({ id: 'x' }),
    );
  });

  it('refuses what is not a Device, naming the field', () => {
    const message = (json: unknown) => {
      try {
        deviceFromJson(json);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidArgumentError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message([])).toBe('must be a JSON object.');
    expect(message({ type: 'lamp' })).toMatch(/^type must be one of pedestrian_counter, /);
    expect(message({ classification: 'secret' })).toBe(
      'classification must be one of public, internal, personal.',
    );
    expect(message({ network: { kind: 'zigbee', networkId: '1' } })).toMatch(
      /^network\.kind must be one of lorawan_chirpstack, /,
    );
    expect(message({ expectedReportInterval: 'soon' })).toBe(
      'expectedReportInterval must be a duration like 900s, 15m, 1h or 1d.',
    );
    expect(message({ expectedReportInterval: 900 })).toBe(
      'expectedReportInterval must be a duration like "900s" or "15m".',
    );
    expect(message({ type: 99 })).toBe('type is not a known value.');
  });
});

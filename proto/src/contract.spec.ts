// Contract tests: subjects are built and validated as documented, every event's codec
// round-trips, every message type names the generated message it carries, and every event's
// subjects land in its stream.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlertState, Severity } from '../gen/slimstad/alerting/v1/alerting.js';
import * as alertingEventsModule from '../gen/slimstad/alerting/v1/events.js';
import {
  CredentialKind,
  FailMode,
  RequestSource,
  BollardState as WireBollardState,
} from '../gen/slimstad/bollards/v1/bollards.js';
import * as bollardControlModule from '../gen/slimstad/bollards/v1/control.js';
import * as federationModule from '../gen/slimstad/federation/v1/federation.js';
import * as controlModule from '../gen/slimstad/lighting/v1/control.js';
import { ControlSource, LampFailureReason } from '../gen/slimstad/lighting/v1/lighting.js';
import * as deviceModule from '../gen/slimstad/sensor/v1/device.js';
import { DeviceType } from '../gen/slimstad/sensor/v1/device.js';
import * as readingModule from '../gen/slimstad/sensor/v1/reading.js';
import { RejectionReason } from '../gen/slimstad/sensor/v1/reading.js';
import * as wasteEventsModule from '../gen/slimstad/waste/v1/events.js';
import { EmptiedBy, VisitStatus, WasteStream } from '../gen/slimstad/waste/v1/waste.js';
import {
  allEvents,
  allStreams,
  DeadLetterStream,
  DeviceCameOnline,
  DeviceWentOffline,
  defineEvent,
  deviceTypeToken,
  type EventContract,
  protoFiles,
  protoRoot,
  ReadingBatchRecorded,
  ReadingRecorded,
  ReadingRejected,
  rejectionReasonToken,
  SensorReadingsStream,
  subjectFallsUnder,
} from './index.js';

/** Whether some concrete subject matches both NATS patterns (JetStream refuses overlapping streams). */
function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) return false;
    if (p === '>' || q === '>') return true;
    if (p !== '*' && q !== '*' && p !== q) return false;
  }
  return true;
}

describe('subjects', () => {
  it('builds concrete subjects from templates', () => {
    expect(ReadingRecorded.subject({ type: 'water_level', device: 'wl-001' })).toBe(
      'sensor.reading.water_level.wl-001',
    );
    expect(ReadingBatchRecorded.subject({ source: 'chirpstack' })).toBe('sensor.batch.chirpstack');
    expect(DeviceCameOnline.subject({ device: 'pc_12' })).toBe('sensor.device.online.pc_12');
    expect(DeviceWentOffline.subject({ device: 'pc_12' })).toBe('sensor.device.offline.pc_12');
    expect(ReadingRejected.subject({ reason: 'out_of_range' })).toBe(
      'sensor.rejected.out_of_range',
    );
  });

  it.each([
    ['multi-token', 'wl.001'],
    ['empty', ''],
    ['single-token wildcard', '*'],
    ['tail wildcard', '>'],
    ['containing a wildcard', 'wl-*'],
    ['whitespace', 'wl 001'],
  ])('rejects a %s parameter, naming the parameter', (_, device) => {
    expect(() => ReadingRecorded.subject({ type: 'water_level', device })).toThrow(
      `device=${JSON.stringify(device)} is not a single NATS token`,
    );
  });

  it('rejects a missing parameter, naming it', () => {
    expect(() =>
      ReadingRecorded.subject({ device: 'wl-001' } as unknown as { type: string; device: string }),
    ).toThrow(/missing type/);
  });

  it('derives the wildcard pattern from the template', () => {
    expect(ReadingRecorded.pattern).toBe('sensor.reading.*.*');
    expect(ReadingBatchRecorded.pattern).toBe('sensor.batch.*');
    expect(DeviceCameOnline.pattern).toBe('sensor.device.online.*');
    expect(DeviceWentOffline.pattern).toBe('sensor.device.offline.*');
    expect(ReadingRejected.pattern).toBe('sensor.rejected.*');
    const custom = defineEvent<unknown, 'a' | 'b'>({
      messageType: 'x.v1.X',
      codec: readingModule.Reading as never,
      template: 'x.{a}.fixed.{b}',
      stream: SensorReadingsStream,
    });
    expect(custom.pattern).toBe('x.*.fixed.*');
    expect(custom.subject({ a: '1', b: '2' })).toBe('x.1.fixed.2');
  });

  it('turns enum values into subject tokens', () => {
    expect(deviceTypeToken(DeviceType.DEVICE_TYPE_WATER_LEVEL)).toBe('water_level');
    expect(deviceTypeToken(DeviceType.DEVICE_TYPE_ANPR_CAMERA)).toBe('anpr_camera');
    expect(rejectionReasonToken(RejectionReason.REJECTION_REASON_OUT_OF_RANGE)).toBe(
      'out_of_range',
    );
    for (const type of Object.values(DeviceType).filter((v) => typeof v === 'number')) {
      expect(() =>
        ReadingRecorded.subject({ type: deviceTypeToken(type), device: 'd' }),
      ).not.toThrow();
    }
    for (const reason of Object.values(RejectionReason).filter((v) => typeof v === 'number')) {
      expect(() => ReadingRejected.subject({ reason: rejectionReasonToken(reason) })).not.toThrow();
    }
  });
});

describe('subjectFallsUnder', () => {
  it.each([
    ['sensor.reading.noise.n-1', 'sensor.reading.>', true],
    ['sensor.reading.*.*', 'sensor.reading.>', true],
    ['sensor.reading.*.*', 'sensor.*.*.*', true],
    ['sensor.reading.*.*', 'sensor.reading.noise.*', false],
    ['sensor.reading', 'sensor.reading.>', false],
    ['sensor.reading.>', 'sensor.reading.*', false],
    ['sensor.reading.>', 'sensor.>', true],
    ['sensor.batch.x', 'sensor.reading.>', false],
    ['a.b', 'a.b', true],
    ['a.b.c', 'a.b', false],
    ['a.b', '*.*', true],
    ['a.*', 'a.b', false],
  ])('%s under %s → %s', (subject, filter, expected) => {
    expect(subjectFallsUnder(subject, filter)).toBe(expected);
  });
});

// A full sample of every message an event carries, keyed by message type. Adding an event
// without a sample fails the round-trip test below.
const observedAt = new Date('2026-03-14T09:26:53.589Z');
const receivedAt = new Date('2026-03-14T09:26:54.001Z');
const reading = readingModule.Reading.fromPartial({
  deviceId: 'wl-001',
  metric: 'water_level',
  value: 4.271,
  unit: 'm',
  observedAt,
  receivedAt,
  sequence: 2n ** 63n + 12345n, // beyond 2^53: only bigint keeps it exact
  source: 'chirpstack',
  channel: 'port-2',
  deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
});
const samples: Record<string, unknown> = {
  'slimstad.waste.v1.OverflowRiskRaised': wasteEventsModule.OverflowRiskRaised.fromPartial({
    binId: 'gm-glass-1',
    stream: WasteStream.WASTE_STREAM_GLASS,
    estimatedPercent: 93.5,
    predictedFullTime: receivedAt,
    nextVisitTime: new Date('2026-03-15T06:00:00.000Z'),
    detectTime: observedAt,
    latitude: 51.0543,
    longitude: 3.7174,
  }),
  'slimstad.waste.v1.RoutePlanned': wasteEventsModule.RoutePlanned.fromPartial({
    plan: {
      id: 'plan-20260314T0926-a1b2c3',
      stream: WasteStream.WASTE_STREAM_GLASS,
      shiftDate: '2026-03-15',
      distanceMeters: 12_345.6,
      matrixSource: 'great-circle (osrm failed: HTTP 503)',
      createdBy: 'otto',
      createTime: receivedAt,
      unassigned: [{ binId: 'far-away', reason: 'no vehicle can take it feasibly (shift end)' }],
      routes: [
        {
          vehicleId: 'glass-1',
          startTime: observedAt,
          endTime: receivedAt,
          distanceMeters: 12_345.6,
          visits: [
            {
              sequence: 1,
              binId: 'gm-glass-1',
              arrivalTime: observedAt,
              departureTime: receivedAt,
              loadLitres: 2_400,
              loadKg: 720,
              status: VisitStatus.VISIT_STATUS_PLANNED,
            },
            { sequence: 2, unload: true, arrivalTime: receivedAt, departureTime: receivedAt },
          ],
        },
      ],
    },
  }),
  'slimstad.waste.v1.BinEmptied': wasteEventsModule.BinEmptied.fromPartial({
    binId: 'gm-glass-1',
    stream: WasteStream.WASTE_STREAM_GLASS,
    emptiedBy: EmptiedBy.EMPTIED_BY_TRUCK,
    vehicleId: 'glass-1',
    planId: 'plan-20260314T0926-a1b2c3',
    emptiedTime: receivedAt,
    fillBeforePercent: 91,
  'slimstad.alerting.v1.AlertChanged': alertingEventsModule.AlertChanged.fromPartial({
    alert: {
      id: '0b6f3c1e-6a2b-4c55-9f0e-0d1d3c2b1a00',
      fingerprint: '9f86d081884c7d65',
      ruleId: 'dyle-high',
      ruleVersion: 3n,
      labels: { alertname: 'Dyle high', zone: 'dyle', device: 'wl-001' },
      annotations: { summary: 'Water level high' },
      state: AlertState.ALERT_STATE_FIRING,
      severity: Severity.SEVERITY_CRITICAL,
      startTime: observedAt,
      lastSeenTime: receivedAt,
      escalations: 1,
      public: true,
    },
    change: 'escalated',
    actor: 'system',
    time: receivedAt,
  }),
  'slimstad.alerting.v1.CapAlertShared': alertingEventsModule.CapAlertShared.fromPartial({
    identifier: 'slimstad-1a2b3c4d-9f86d081884c7d65-v2',
    sender: 'alerting@mechelen.slimstad',
    sent: observedAt,
    msgType: 'Cancel',
    event: 'Flood warning',
    severity: 'Severe',
    urgency: 'Past',
    areaDesc: 'Dyle banks',
    xml: '<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">…</alert>',
    references: ['slimstad-1a2b3c4d-9f86d081884c7d65-v1'],
    municipalityCode: 'mechelen',
  }),
  'slimstad.sensor.v1.Reading': reading,
  'slimstad.sensor.v1.ReadingBatch': readingModule.ReadingBatch.fromPartial({
    readings: [reading, { ...reading, sequence: 1n, source: undefined, channel: undefined }],
    source: 'chirpstack',
    batchId: 'b-2026-03-14-0001',
  }),
  'slimstad.sensor.v1.DeviceCameOnline': readingModule.DeviceCameOnline.fromPartial({
    deviceId: 'pc-7',
    deviceType: DeviceType.DEVICE_TYPE_PEDESTRIAN_COUNTER,
    lastSeenAt: receivedAt,
    expectedReportInterval: { seconds: 900n, nanos: 0 },
    offlineSince: observedAt,
  }),
  'slimstad.sensor.v1.DeviceWentOffline': readingModule.DeviceWentOffline.fromPartial({
    deviceId: 'pc-7',
    deviceType: DeviceType.DEVICE_TYPE_PEDESTRIAN_COUNTER,
    lastSeenAt: observedAt,
    expectedReportInterval: { seconds: 900n, nanos: 500_000_000 },
    detectedAt: receivedAt,
  }),
  'slimstad.sensor.v1.DeviceChanged': deviceModule.DeviceChanged.fromPartial({
    device: {
      id: 'wl-001',
      type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
      location: { latitude: 51.0283, longitude: 4.4777 },
      metrics: [{ name: 'water_level', unit: 'cm', min: -200, max: 800 }],
      expectedReportInterval: { seconds: 900n, nanos: 0 },
      labels: { vendor: 'acme' },
      createdAt: observedAt,
    },
    kind: deviceModule.DeviceChangeKind.DEVICE_CHANGE_KIND_UPDATED,
    changedFields: ['location', 'metrics'],
    actor: 'olga',
    changedAt: receivedAt,
  }),
  'slimstad.sensor.v1.ReadingRejected': readingModule.ReadingRejected.fromPartial({
    quarantineId: 'q-42',
    reason: RejectionReason.REJECTION_REASON_OUT_OF_RANGE,
    detail: 'value 12.7 m above max 9.5 m',
    source: 'mqtt',
    deviceId: 'wl-001',
    payload: Buffer.from('{"v":12.7}'), // env=node: bytes fields are Buffers
    receivedAt,
    reading: { ...reading, value: 12.7 },
  }),
  'slimstad.lighting.v1.LampCommand': controlModule.LampCommand.fromPartial({
    lampId: 'wp-014',
    zoneId: 'warandepark',
    controllerId: 'lc-wp-014',
    sequence: 1_763_900_000_123n,
    level: 100,
    transition: { seconds: 1n, nanos: 500_000_000 },
    source: ControlSource.CONTROL_SOURCE_PRESENCE,
    issueTime: observedAt,
    fallbackLevel: 50,
    attempt: 2,
  }),
  'slimstad.lighting.v1.LightingHeartbeat': controlModule.LightingHeartbeat.fromPartial({
    zoneId: 'warandepark',
    sendTime: observedAt,
    failSafeAfter: { seconds: 30n, nanos: 0 },
    fallbackLevel: 50,
  }),
  'slimstad.lighting.v1.LampCommandAck': controlModule.LampCommandAck.fromPartial({
    lampId: 'wp-014',
    controllerId: 'lc-wp-014',
    sequence: 1_763_900_000_123n,
    result: controlModule.CommandResult.COMMAND_RESULT_STALE,
    level: 20,
    acknowledgeTime: receivedAt,
  }),
  'slimstad.lighting.v1.LampFeedback': controlModule.LampFeedback.fromPartial({
    lampId: 'wp-014',
    controllerId: 'lc-wp-014',
    actualLevel: 20,
    powerWatts: 10.4,
    failures: [controlModule.ControllerFailure.CONTROLLER_FAILURE_DRIVER],
    fallbackActive: true,
    observeTime: observedAt,
  }),
  'slimstad.lighting.v1.LampFailed': controlModule.LampFailed.fromPartial({
    lampId: 'wp-014',
    zoneId: 'warandepark',
    controllerId: 'lc-wp-014',
    reason: LampFailureReason.LAMP_FAILURE_REASON_POWER_MISMATCH,
    detail: 'draws 1.0 W at 80 %, expected 64.0 W',
    detectTime: receivedAt,
    commandedLevel: 80,
    powerWatts: 1,
    failures: [controlModule.ControllerFailure.CONTROLLER_FAILURE_LAMP],
  }),
  'slimstad.lighting.v1.LampRecovered': controlModule.LampRecovered.fromPartial({
    lampId: 'wp-014',
    zoneId: 'warandepark',
    previousReason: LampFailureReason.LAMP_FAILURE_REASON_UNREACHABLE,
    recoverTime: receivedAt,
  }),
  'slimstad.bollards.v1.AccessRequest': bollardControlModule.AccessRequest.fromPartial({
    requestId: 'anpr-vm-n-000123',
    zoneId: 'vismarkt',
    bollardId: 'vm-north',
    source: RequestSource.REQUEST_SOURCE_ANPR,
    credentialKind: CredentialKind.CREDENTIAL_KIND_PLATE,
    identityHash: 'a'.repeat(64),
    readerId: 'anpr-vm-n',
    observeTime: observedAt,
  }),
  'slimstad.bollards.v1.BollardCommandAck': bollardControlModule.BollardCommandAck.fromPartial({
    bollardId: 'vm-north',
    controllerId: 'bc-vm-north',
    sequence: 12n,
    result: bollardControlModule.CommandResult.COMMAND_RESULT_REJECTED,
    detail: 'loop occupied',
    lastSequence: 11n,
    acknowledgeTime: receivedAt,
  }),
  'slimstad.bollards.v1.BollardReport': bollardControlModule.BollardReport.fromPartial({
    bollardId: 'vm-north',
    controllerId: 'bc-vm-north',
    position: bollardControlModule.Position.POSITION_MOVING_DOWN,
    loopOccupied: true,
    obstacle: false,
    powerOk: true,
    fallbackActive: false,
    observeTime: observedAt,
  }),
  'slimstad.bollards.v1.BollardCommand': bollardControlModule.BollardCommand.fromPartial({
    bollardId: 'vm-north',
    zoneId: 'vismarkt',
    controllerId: 'bc-vm-north',
    sequence: 12n,
    attempt: 2,
    motion: bollardControlModule.Motion.MOTION_LOWER,
    reason: 'permit-window',
    requestId: 'anpr-vm-n-000123',
    issueTime: receivedAt,
    failMode: FailMode.FAIL_MODE_SAFE,
  }),
  'slimstad.bollards.v1.BollardsHeartbeat': bollardControlModule.BollardsHeartbeat.fromPartial({
    zoneId: 'vismarkt',
    sendTime: observedAt,
    failAfter: { seconds: 15n, nanos: 0 },
    emergencyMode: true,
  }),
  'slimstad.bollards.v1.AccessDecided': bollardControlModule.AccessDecided.fromPartial({
    requestId: 'anpr-vm-n-000123',
    zoneId: 'vismarkt',
    bollardId: 'vm-north',
    source: RequestSource.REQUEST_SOURCE_ANPR,
    decision: { admit: false, rule: 'outside-time-window', detail: 'Mon-Sat 06:00-11:00 only' },
    decideTime: receivedAt,
  }),
  'slimstad.bollards.v1.BollardStateChanged': bollardControlModule.BollardStateChanged.fromPartial({
    bollardId: 'vm-north',
    zoneId: 'vismarkt',
    from: WireBollardState.BOLLARD_STATE_LOWERING,
    to: WireBollardState.BOLLARD_STATE_DOWN,
    reason: 'controller reports down',
    changeTime: receivedAt,
  }),
  'slimstad.bollards.v1.BollardFault': bollardControlModule.BollardFault.fromPartial({
    bollardId: 'vm-north',
    zoneId: 'vismarkt',
    controllerId: 'bc-vm-north',
    reason: 'no acknowledgement of lower command 12 after 3 attempts',
    detectTime: receivedAt,
  }),
  'slimstad.bollards.v1.ZoneEmergencyChanged':
    bollardControlModule.ZoneEmergencyChanged.fromPartial({
      zoneId: 'vismarkt',
      active: true,
      reason: 'fire at Vismarkt 3',
      actor: 'emergency_service:dispatch-112',
      changeTime: receivedAt,
    }),
  'slimstad.federation.v1.SharedAggregate': federationModule.SharedAggregate.fromPartial({
    city: 'brugge',
    stream: 'water_levels',
    key: 'wl-001',
    metric: 'water_level',
    unit: 'm',
    function: federationModule.AggregateFunction.AGGREGATE_FUNCTION_AVG,
    windowStart: receivedAt,
    window: { seconds: 900n, nanos: 0 },
    value: 1.25,
    count: 60n,
    min: 1.1,
    max: 1.4,
  }),
  'slimstad.federation.v1.LinkStateChanged': federationModule.LinkStateChanged.fromPartial({
    city: 'kortrijk',
    neighbour: 'brugge',
    state: federationModule.LinkState.LINK_STATE_STALLED,
    previous: federationModule.LinkState.LINK_STATE_UP,
    reason: 'neighbour alert stalled 3 behind',
    stream: 'alert',
    lagMessages: 3n,
    observedAt: receivedAt,
  }),
};

// Every generated message of the event packages, by fully-qualified name.
const generated = new Map<string, unknown>();
for (const module of [
  deviceModule,
  readingModule,
  controlModule,
  bollardControlModule,
  wasteEventsModule,
  federationModule,
  alertingEventsModule,
]) {
  for (const [name, value] of Object.entries(module)) {
    if (typeof value === 'object' && value !== null && 'encode' in value && 'decode' in value) {
      generated.set(`${module.protobufPackage}.${name}`, value);
    }
  }
}

const named = (events: readonly EventContract<unknown>[]) =>
  events.map((event) => [event.template, event] as const);

describe.each(named(allEvents))('event %s', (_, event) => {
  it('carries the fully-qualified name of the generated message it encodes', () => {
    expect(event.messageType).toMatch(/^slimstad\.[a-z]+\.v\d+\.[A-Z][A-Za-z0-9]*$/);
    expect(generated.get(event.messageType)).toBe(event.codec);
  });

  it('round-trips a sample message through its codec', () => {
    const sample = samples[event.messageType];
    expect(sample, `add a sample for ${event.messageType}`).toBeDefined();
    const bytes = event.codec.encode(sample).finish();
    expect(bytes.length).toBeGreaterThan(0);
    expect(event.codec.decode(bytes)).toEqual(sample);
  });

  it("falls under one of its stream's subjects", () => {
    expect(allStreams).toContain(event.stream);
    expect(event.stream.subjects.some((s) => subjectFallsUnder(event.pattern, s))).toBe(true);
    expect(event.stream.subjects.some((s) => subjectFallsUnder(event.template, s))).toBe(true);
  });
});

describe('event types', () => {
  it('name the expected messages', () => {
    expect(ReadingRecorded.messageType).toBe('slimstad.sensor.v1.Reading');
    expect(ReadingBatchRecorded.messageType).toBe('slimstad.sensor.v1.ReadingBatch');
    expect(DeviceCameOnline.messageType).toBe('slimstad.sensor.v1.DeviceCameOnline');
    expect(DeviceWentOffline.messageType).toBe('slimstad.sensor.v1.DeviceWentOffline');
    expect(ReadingRejected.messageType).toBe('slimstad.sensor.v1.ReadingRejected');
  });

  it('keep bigint sequences and millisecond timestamps exact', () => {
    const decoded = ReadingRecorded.codec.decode(ReadingRecorded.codec.encode(reading).finish());
    expect(decoded.sequence).toBe(2n ** 63n + 12345n);
    expect(decoded.observedAt).toBeInstanceOf(Date);
    expect(decoded.observedAt?.toISOString()).toBe('2026-03-14T09:26:53.589Z');
  });

  it('are each declared once, with distinct subjects', () => {
    const patterns = allEvents.map((e) => e.pattern);
    expect(new Set(patterns).size).toBe(patterns.length);
    for (const [i, a] of patterns.entries()) {
      for (const b of patterns.slice(i + 1))
        expect(subjectsOverlap(a, b), `${a} / ${b}`).toBe(false);
    }
  });
});

describe('streams', () => {
  it('have unique upper-case names and do not overlap (JetStream refuses overlapping subjects)', () => {
    const names = allStreams.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
    const subjects = allStreams.flatMap((s) =>
      s.subjects.map((subject) => [s.name, subject] as const),
    );
    for (const [i, [sa, a]] of subjects.entries()) {
      for (const [sb, b] of subjects.slice(i + 1)) {
        expect(subjectsOverlap(a, b), `${sa} ${a} / ${sb} ${b}`).toBe(false);
      }
    }
  });

  it('keep the dead-letter stream for 30 days under deadletter.>', () => {
    expect(DeadLetterStream).toMatchObject({ name: 'DEAD_LETTER', subjects: ['deadletter.>'] });
    expect(DeadLetterStream.maxAgeSeconds).toBe(30 * 24 * 3600);
    expect(DeadLetterStream.duplicateWindowSeconds).toBe(120);
    expect(subjectFallsUnder('deadletter.lighting--presence', 'deadletter.>')).toBe(true);
  });
});

describe('proto files', () => {
  it('are found at runtime under protoRoot', () => {
    expect(existsSync(path.join(protoRoot, 'buf.yaml'))).toBe(true);
    for (const file of protoFiles) expect(existsSync(path.join(protoRoot, file)), file).toBe(true);
  });

  it('lists every slimstad .proto file', () => {
    const onDisk = readdirSync(path.join(protoRoot, 'slimstad'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.proto'))
      .map((f) => `slimstad/${f.split(path.sep).join('/')}`)
      .sort();
    expect([...protoFiles].sort()).toEqual(onDisk);
  });
});

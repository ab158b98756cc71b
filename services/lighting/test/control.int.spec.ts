// The lighting service end to end through NATS with simulated lamp controllers, on a real
// Postgres, with the city's clock set by hand: presence → command → acknowledgement, a
// missing acknowledgement → retries → LampFailed, a power mismatch and a reported failure →
// LampFailed, recovery, role checks, the audit of overrides, and an energy report checked
// against a hand-computed night.
import { jetstream } from '@nats-io/jetstream';
import { ReadingBatchRecorded, ReadingRecorded } from '@slimstad/contracts';
import {
  ControllerFailure,
  LampFailed,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/control';
import {
  ControlSource,
  type Lamp,
  LampFailureReason,
  LampStatus,
  ZoneKind,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { isServiceError } from '@slimstad/kit';
import type { LampFleet } from '@slimstad/simulator/lamps/index';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditOf } from '../src/store/audit.repository.js';
import {
  eventually,
  type LightingFixture,
  startLightingFixture,
} from './support/lighting-fixture.js';

// A park path running east from the gate: lamps 25 m apart (at 50.845° N, 25 m ≈ 0.000355° of
// longitude), each with a presence sensor, and a separate single lamp on a square.
const LAT = 50.845;
const STEP = 0.000355;
const parkLamp = (i: number): Lamp => ({
  id: `pk-${i}`,
  zoneId: 'park',
  name: `Park lamp ${i}`,
  location: { latitude: LAT, longitude: 4.364 + i * STEP },
  ratedPowerWatts: 50,
  minLevel: 10,
  controllerId: `lc-pk-${i}`,
  neighbourIds: i > 1 ? [`pk-${i - 1}`] : [],
  detectorIds: [`pr-pk-${i}`],
  version: 0n,
  createTime: undefined,
  updateTime: undefined,
});

let f: LightingFixture;
let admin: Awaited<ReturnType<LightingFixture['api']>>;
let operator: Awaited<ReturnType<LightingFixture['api']>>;
let viewer: Awaited<ReturnType<LightingFixture['api']>>;
let fleet: LampFleet;
let squareFleet: LampFleet;
const failures: LampFailed[] = [];
const recoveries: string[] = [];

async function state(lampId: string) {
  const { states } = await viewer.listLampStates({ zoneId: '' });
  const s = states.find((x) => x.lampId === lampId);
  if (!s) throw new Error(`no state for ${lampId}`);
  return s;
}

/**
 * Waits until the service commanded `level`, the controller acknowledged it and is going
 * there. (The reported actual level may still be on its way: the ramp runs on the clock.)
 */
async function confirmed(lampId: string, level: number, lamps: () => LampFleet = () => fleet) {
  return eventually(async () => {
    const s = await state(lampId);
    expect({
      commanded: s.commandedLevel,
      acknowledged: s.acknowledged,
      target: lamps().controller(lampId).targetLevel,
    }).toEqual({ commanded: level, acknowledged: true, target: level });
    return s;
  });
}

async function detect(deviceId: string, observedAt = new Date(f.clock.now())) {
  await f.bus.publish(
    ReadingRecorded,
    { type: 'presence', device: deviceId },
    {
      deviceId,
      metric: 'occupied',
      value: 1,
      unit: '1',
      observedAt,
      receivedAt: observedAt,
      sequence: 0n,
      deviceType: DeviceType.DEVICE_TYPE_PRESENCE,
    },
    { msgId: `det:${deviceId}:${observedAt.getTime()}:${Math.random()}` },
  );
}

beforeAll(async () => {
  // 18:00 UTC on 2026-11-23: night in Brussels (sunset 15:48 UTC).
  f = await startLightingFixture('lighting_control', '2026-11-23T18:00:00Z');
  admin = await f.api(['admin'], 'ada');
  operator = await f.api(['operator'], 'otto');
  viewer = await f.api(['viewer'], 'vera');

  await admin.createZone({
    zone: {
      id: 'park',
      name: 'Park',
      kind: ZoneKind.ZONE_KIND_PARK,
      location: { latitude: LAT, longitude: 4.364 },
      timeZone: 'Europe/Brussels',
      version: 0n,
      createTime: undefined,
      updateTime: undefined,
    },
  });
  for (let i = 1; i <= 6; i++) await admin.createLamp({ lamp: parkLamp(i) });
  const { profile } = await viewer.getProfile({ zoneId: 'park' });
  await admin.setProfile({
    profile: {
      ...profile!,
      weekday: { baseLevel: 20, presenceLevel: 100 },
      hold: { seconds: 30n, nanos: 0 },
      rampUp: { seconds: 1n, nanos: 0 },
      rampDown: { seconds: 10n, nanos: 0 },
      pedestrian: { distanceMeters: 60, speedMetersPerSecond: 1.25 },
      cyclist: { distanceMeters: 150, speedMetersPerSecond: 5 },
    },
  });

  fleet = await f.startFleet(
    Array.from({ length: 6 }, (_, n) => ({
      lampId: `pk-${n + 1}`,
      zoneId: 'park',
      controllerId: `lc-pk-${n + 1}`,
      ratedPowerWatts: 50,
      location: { latitude: LAT, longitude: 4.364 + (n + 1) * STEP },
    })),
  );
  const nc = (f.bus as unknown as { nc: import('@nats-io/nats-core').NatsConnection }).nc;
  const failedSub = nc.subscribe(`${f.ns.namespace}.lighting.lamp.>`);
  void (async () => {
    for await (const m of failedSub) {
      if (m.subject.includes('.lamp.failed.')) failures.push(LampFailed.decode(m.data));
      else recoveries.push(m.subject.split('.').at(-1) ?? '');
    }
  })();
  void jetstream; // the events above come through the outbox relay into the LIGHTING_EVENTS stream
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe('lamp control through NATS', () => {
  it('dims every lamp to the night base level and the controllers confirm it', async () => {
    for (let i = 1; i <= 6; i++) {
      const s = await confirmed(`pk-${i}`, 20);
      expect(s.source).toBe(ControlSource.CONTROL_SOURCE_SCHEDULE);
      expect(fleet.levelAt(`pk-${i}`, f.clock.now() + 2_000)).toBe(20);
    }
  });

  it('raises the lamps ahead of a walker within the look-ahead, in time for them, and only those', async () => {
    await detect('pr-pk-1');
    const s1 = await confirmed('pk-1', 100);
    expect(s1.source).toBe(ControlSource.CONTROL_SOURCE_PRESENCE);
    // pk-2 (25 m) and pk-3 (50 m) rise shortly before the walker could reach their pools of
    // light (10 m short of them) at 1.5 × 1.25 m/s, less 1 s of ramp and 4 s of margin:
    // after 3 s and 16.3 s.
    expect((await state('pk-2')).commandedLevel).toBe(20);
    f.clock.advance(8_000);
    await confirmed('pk-2', 100);
    expect((await state('pk-3')).commandedLevel).toBe(20);
    f.clock.advance(13_000);
    await confirmed('pk-3', 100);
    // pk-4 (75 m) is beyond the 60 m look-ahead.
    expect((await state('pk-4')).commandedLevel).toBe(20);
    // The controller ramps up in the profile's 1 s.
    expect(fleet.levelAt('pk-3', f.clock.now() + 1_000)).toBe(100);
  });

  it('ignores a detection observed too long ago (a replayed backlog lights nobody)', async () => {
    await detect('pr-pk-6', new Date(f.clock.now() - 120_000));
    await new Promise((r) => setTimeout(r, 300));
    expect((await state('pk-6')).commandedLevel).toBe(20);
  });

  it('lets the hold lapse: farther lamps hold longer, then all ramp down slowly', async () => {
    // 21 s have passed. pk-1 holds 30 s; pk-3, 50 m ahead, 30 s + 40 s of walking.
    f.clock.advance(10_000);
    await confirmed('pk-1', 20);
    expect((await state('pk-3')).commandedLevel).toBe(100);
    f.clock.advance(40_000);
    await confirmed('pk-3', 20);
    // Ramp down over 10 s: halfway after 5 s.
    expect(fleet.levelAt('pk-3', f.clock.now() + 5_000)).toBeCloseTo(60, 0);
  });
});

describe('detections in batches', () => {
  it('raise lamps too: LoRaWAN uplinks reach the bus as batches, among other readings', async () => {
    const at = new Date(f.clock.now());
    const base = { unit: '1', observedAt: at, receivedAt: at, sequence: 0n };
    await f.bus.publish(
      ReadingBatchRecorded,
      { source: 'chirpstack' },
      {
        source: 'chirpstack',
        batchId: 'b-1',
        readings: [
          {
            ...base,
            deviceId: 'wl-1',
            metric: 'water_level',
            value: 2.1,
            unit: 'm',
            deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
          },
          {
            ...base,
            deviceId: 'pr-pk-5',
            metric: 'occupied',
            value: 1,
            deviceType: DeviceType.DEVICE_TYPE_PRESENCE,
          },
        ],
      },
      { msgId: 'batch-1' },
    );
    const s = await confirmed('pk-5', 100);
    expect(s.source).toBe(ControlSource.CONTROL_SOURCE_PRESENCE);
  });
});

describe('overrides', () => {
  it('are refused to viewers, and need a reason', async () => {
    const denied = await viewer
      .setOverride({
        zoneId: 'park',
        lampId: 'pk-5',
        level: 100,
        endTime: undefined,
        duration: { seconds: 600n, nanos: 0 },
        reason: 'x',
      })
      .catch((e) => e);
    expect(isServiceError(denied) && denied.code).toBe(7); // PERMISSION_DENIED
    const unreasoned = await operator
      .setOverride({
        zoneId: 'park',
        lampId: 'pk-5',
        level: 100,
        endTime: undefined,
        duration: { seconds: 600n, nanos: 0 },
        reason: ' ',
      })
      .catch((e) => e);
    expect(isServiceError(unreasoned) && unreasoned.code).toBe(3);
    expect(String(unreasoned.details)).toMatch(/reason is required/);
  });

  it('set a level until a time, expire by themselves, and are audited with who and why', async () => {
    const { override } = await operator.setOverride({
      zoneId: 'park',
      lampId: 'pk-5',
      level: 70,
      endTime: undefined,
      duration: { seconds: 600n, nanos: 0 },
      reason: 'road works at the gate',
    });
    const s = await confirmed('pk-5', 70);
    expect(s.source).toBe(ControlSource.CONTROL_SOURCE_OVERRIDE);
    expect(s.overrideId).toBe(override?.id);
    f.clock.advance(600_000);
    await confirmed('pk-5', 20);
    const audit = await eventually(async () => {
      const rows = await auditOf(f.database.db, `override:${override?.id}`);
      expect(rows.map((r) => r.action)).toEqual(['override.set', 'override.expired']);
      return rows;
    });
    expect(audit[0]).toMatchObject({
      actor: 'otto',
      detail: expect.objectContaining({ reason: 'road works at the gate', level: 70 }),
    });
    expect(audit[1]?.actor).toBe('system:lighting');
    const { overrides } = await viewer.listOverrides({ zoneId: 'park', includeEnded: false });
    expect(overrides).toEqual([]);
  });
});

describe('zones, lamps and profiles', () => {
  it('may be changed by admins only, and every change is audited with who did it', async () => {
    const { profile } = await viewer.getProfile({ zoneId: 'park' });
    const denied = await operator.setProfile({ profile: profile! }).catch((e) => e);
    expect(isServiceError(denied) && denied.code).toBe(7);
    const audit = await auditOf(f.database.db, 'zone:park');
    expect(audit.map((r) => [r.action, r.actor])).toEqual([
      ['zone.create', 'ada'],
      ['profile.set', 'ada'],
    ]);
    expect((await auditOf(f.database.db, 'lamp:pk-3'))[0]).toMatchObject({
      action: 'lamp.create',
      actor: 'ada',
    });
  });

  it('refuses a profile level below a lamp minimum, naming the field and the lamp', async () => {
    const { profile } = await viewer.getProfile({ zoneId: 'park' });
    const error = await admin
      .setProfile({ profile: { ...profile!, weekday: { baseLevel: 5, presenceLevel: 100 } } })
      .catch((e) => e);
    expect(isServiceError(error) && error.code).toBe(3);
    expect(String(error.details)).toContain(
      'profile.weekday.base_level 5 % is below the minimum level 10 % of lamp pk-1',
    );
  });
});

describe('lamp failures', () => {
  it('retries a command the controller does not acknowledge, then declares the lamp unreachable', async () => {
    await fleet.setFault('pk-6', { unresponsive: true });
    const before = fleet.commandsReceived;
    await operator.setOverride({
      zoneId: 'park',
      lampId: 'pk-6',
      level: 100,
      endTime: undefined,
      duration: { seconds: 3600n, nanos: 0 },
      reason: 'test unreachable',
    });
    const failed = await eventually(() => {
      const event = failures.find((e) => e.lampId === 'pk-6');
      if (!event) throw new Error('no LampFailed for pk-6 yet');
      return event;
    });
    expect(failed.reason).toBe(LampFailureReason.LAMP_FAILURE_REASON_UNREACHABLE);
    expect(failed.detail).toMatch(/after 3 attempts/);
    expect(failed.commandedLevel).toBe(100);
    // Three attempts of the same command (not counting later slow retries).
    expect(fleet.commandsReceived - before).toBeGreaterThanOrEqual(3);
    expect((await state('pk-6')).status).toBe(LampStatus.LAMP_STATUS_UNREACHABLE);

    // The lamp answers again at the next slow retry: recovered.
    await fleet.clearFault('pk-6');
    await eventually(() => expect(recoveries).toContain('pk-6'));
    const s = await confirmed('pk-6', 100);
    expect(s.status).toBe(LampStatus.LAMP_STATUS_OK);
  });

  it('fails a lamp whose power draw does not match its level, and recovers it when it does', async () => {
    await fleet.setFault('pk-4', { powerFactor: 0 });
    const failed = await eventually(() => {
      const event = failures.find((e) => e.lampId === 'pk-4');
      if (!event) throw new Error('no LampFailed for pk-4 yet');
      return event;
    });
    expect(failed.reason).toBe(LampFailureReason.LAMP_FAILURE_REASON_POWER_MISMATCH);
    expect(failed.detail).toMatch(/draws 0.0 W at 20 %, expected 10.0 W/);
    expect((await state('pk-4')).status).toBe(LampStatus.LAMP_STATUS_FAILED);
    await fleet.clearFault('pk-4');
    await eventually(() => expect(recoveries).toContain('pk-4'));
  });

  it("judges a controller's metering that arrives through ingest as lamp_controller readings", async () => {
    const meter = async (metric: string, value: number, unit: string, batch: boolean) => {
      const at = new Date(f.clock.now());
      const reading = {
        deviceId: 'lc-pk-3',
        metric,
        value,
        unit,
        observedAt: at,
        receivedAt: at,
        sequence: 0n,
        deviceType: DeviceType.DEVICE_TYPE_LAMP_CONTROLLER,
      };
      if (batch) {
        await f.bus.publish(
          ReadingBatchRecorded,
          { source: 'chirpstack' },
          { source: 'chirpstack', batchId: `m-${metric}-${value}`, readings: [reading] },
          { msgId: `m-${metric}-${value}` },
        );
      } else {
        await f.bus.publish(
          ReadingRecorded,
          { type: 'lamp_controller', device: 'lc-pk-3' },
          reading,
          { msgId: `s-${metric}-${value}` },
        );
      }
    };
    await meter('dim_level', 20, '%', false);
    await new Promise((r) => setTimeout(r, 200));
    await meter('power', 0.5, 'W', true);
    const failed = await eventually(() => {
      const event = failures.find((e) => e.lampId === 'pk-3');
      if (!event) throw new Error('no LampFailed for pk-3 yet');
      return event;
    });
    expect(failed.reason).toBe(LampFailureReason.LAMP_FAILURE_REASON_POWER_MISMATCH);
    expect(failed.detail).toMatch(/draws 0.5 W at 20 %, expected 10.0 W/);
    await meter('power', 10.2, 'W', false);
    await eventually(() => expect(recoveries).toContain('pk-3'));
  });

  it('fails a lamp whose controller reports a failure', async () => {
    // Only what follows the fault counts (a loaded machine may have missed an ack earlier).
    const before = failures.length;
    await fleet.setFault('pk-2', { failures: [ControllerFailure.CONTROLLER_FAILURE_DRIVER] });
    const failed = await eventually(() => {
      const event = failures
        .slice(before)
        .find(
          (e) =>
            e.lampId === 'pk-2' &&
            e.reason === LampFailureReason.LAMP_FAILURE_REASON_REPORTED_FAILURE,
        );
      if (!event) throw new Error('no LampFailed (reported failure) for pk-2 yet');
      return event;
    });
    expect(failed.detail).toBe('controller reports driver');
  });
});

describe('energy report', () => {
  it('matches a hand-computed night: 100 W lamp, 1 h at 20 %, 30 min at 100 %, 30 min at 20 %', async () => {
    await admin.createZone({
      zone: {
        id: 'square',
        name: 'Square',
        kind: ZoneKind.ZONE_KIND_SQUARE,
        location: { latitude: LAT, longitude: 4.36 },
        timeZone: 'Europe/Brussels',
        version: 0n,
        createTime: undefined,
        updateTime: undefined,
      },
    });
    const { profile } = await viewer.getProfile({ zoneId: 'square' });
    await admin.setProfile({
      profile: {
        ...profile!,
        rampUp: { seconds: 0n, nanos: 0 },
        rampDown: { seconds: 0n, nanos: 0 },
      },
    });
    const start = f.clock.now();
    await admin.createLamp({
      lamp: {
        ...parkLamp(0),
        id: 'sq-1',
        zoneId: 'square',
        controllerId: 'lc-sq-1',
        ratedPowerWatts: 100,
        detectorIds: [],
        neighbourIds: [],
      },
    });
    squareFleet = await f.startFleet([
      {
        lampId: 'sq-1',
        zoneId: 'square',
        controllerId: 'lc-sq-1',
        ratedPowerWatts: 100,
        location: { latitude: LAT, longitude: 4.36 },
      },
    ]);
    await confirmed('sq-1', 20, () => squareFleet);
    expect(f.clock.now()).toBe(start); // the clock stands still while the lamp comes up
    f.clock.advance(3_600_000);
    await operator.setOverride({
      zoneId: 'square',
      lampId: '',
      level: 100,
      endTime: undefined,
      duration: { seconds: 1800n, nanos: 0 },
      reason: 'market',
    });
    await confirmed('sq-1', 100, () => squareFleet);
    f.clock.advance(1_800_000);
    await confirmed('sq-1', 20, () => squareFleet);
    f.clock.advance(1_800_000);
    const report = await viewer.getEnergyReport({
      zoneId: 'square',
      fromDate: '2026-11-23',
      toDate: '2026-11-23',
    });
    // Used: 1 h × 20 W + 0.5 h × 100 W + 0.5 h × 20 W = 80 Wh; always on: 2 h × 100 W = 200 Wh.
    expect(report.days).toHaveLength(1);
    const [day] = report.days;
    expect(day?.usedKwh).toBeCloseTo(0.08, 6);
    expect(day?.baselineKwh).toBeCloseTo(0.2, 6);
    expect(day?.savedKwh).toBeCloseTo(0.12, 6);
    expect(day?.savingPercent).toBeCloseTo(60, 4);
    expect(day?.nightHours).toBeCloseTo(2, 6);
    expect(day?.lampCount).toBe(1);
    expect(report.savingPercent).toBeCloseTo(60, 4);
    expect(squareFleet.controller('sq-1').targetLevel).toBe(20);
  });

  it('refuses a malformed date range with the field named', async () => {
    const error = await viewer
      .getEnergyReport({ zoneId: '', fromDate: '2026-11-31', toDate: '' })
      .catch((e) => e);
    expect(isServiceError(error) && error.code).toBe(3);
    expect(String(error.details)).toMatch(/from_date must be a date/);
  });
});

describe('fail-safe', () => {
  it('controllers that stop hearing the service fall back to their own night schedule', async () => {
    // A heartbeat reached the controllers since the clock last jumped.
    await eventually(() =>
      expect(fleet.controller('pk-1').fallbackActive(f.clock.now())).toBe(false),
    );
    await f.lighting.stop();
    // No more heartbeats or commands: after the fail-safe delay (30 min here), the fallback
    // level at night.
    f.clock.advance(1_800_001);
    const fallback = (await viewer.getProfile({ zoneId: 'park' })).profile?.fallbackLevel;
    expect(fallback).toBe(50);
    expect(fleet.controller('pk-1').fallbackActive(f.clock.now())).toBe(true);
    expect(fleet.levelAt('pk-1', f.clock.now())).toBe(50);
  });
});

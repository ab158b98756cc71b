// The bollards service end to end through NATS, on a real Postgres, with simulated bollard
// controllers (real time, short travel) and a reader gateway that hashes plates: a permitted
// van lowers the bollard, which rises again only after the van has passed plus the delay; a
// vehicle on the loop holds it down; a tailgater reverses a rise, and repeated reversals fault
// it; lost acknowledgements are retried, then fault it; an emergency-service request holds the
// whole zone down until an operator clears it; and when the service goes away, fail-safe
// bollards lower while fail-secure ones stay, and the service takes their word when it returns.
import type { Msg } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { BollardFieldStream } from '@slimstad/contracts';
import {
  BollardState,
  CredentialKind,
  FailMode,
  VehicleClass,
  type Weekday,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import {
  AccessDecided,
  BollardFault,
  Motion,
  Position,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import { Namespace, systemClock } from '@slimstad/kit';
import {
  type BollardFleet,
  createReaderGateway,
  type ReaderGateway,
  startBollardFleet,
} from '@slimstad/simulator/bollards/index';
import { eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BollardsFixture,
  IDENTITY_SECRET,
  startBollardsFixture,
  TEST_SETTINGS,
} from './support/bollards-fixture.js';

// Monday 23 November 2026, 09:00 in Brussels: inside the delivery window.
const START = '2026-11-23T08:00:00Z';
const VAN = '1-VAN-042';
const ZONES = ['vismarkt', 'korenmarkt'];
const BOLLARDS: { id: string; zone: string; failMode: 'safe' | 'secure' }[] = [
  { id: 'vm-1', zone: 'vismarkt', failMode: 'safe' },
  { id: 'vm-2', zone: 'vismarkt', failMode: 'safe' },
  { id: 'vm-3', zone: 'vismarkt', failMode: 'safe' },
  { id: 'km-1', zone: 'korenmarkt', failMode: 'safe' },
  { id: 'km-2', zone: 'korenmarkt', failMode: 'secure' },
  // Its controller is dead: nothing answers.
  { id: 'km-3', zone: 'korenmarkt', failMode: 'safe' },
];
const SIMULATED = BOLLARDS.filter((b) => b.id !== 'km-3');

let f: BollardsFixture;
let keeper: Awaited<ReturnType<BollardsFixture['api']>>;
let fleet: BollardFleet;
let gateway: ReaderGateway;
const decisions: AccessDecided[] = [];
const faults: BollardFault[] = [];
let closeNats: () => Promise<void>;

async function status(id: string) {
  const { statuses } = await keeper.listBollardStatus({ zoneId: '', page: undefined });
  const s = statuses.find((x) => x.bollardId === id);
  if (!s) throw new Error(`no status for ${id}`);
  return s;
}
const stateOf = async (id: string) => (await status(id)).state;
const at = (id: string) => fleet.controller(id).position(Date.now());
const MOTIONS = { lower: Motion.MOTION_LOWER, raise: Motion.MOTION_RAISE };
const commandsFor = (id: string, motion?: 'lower' | 'raise') =>
  fleet.commandLog.filter(
    (c) => c.bollardId === id && (motion === undefined || c.motion === MOTIONS[motion]),
  );

beforeAll(async () => {
  f = await startBollardsFixture('bollards_control', START, {
    // Longer than a test's waits: only the fault tests see it run out.
    BOLLARDS_ADMISSION_HOLD_MS: 20_000,
  });
  const admin = await f.api(['admin'], 'ada');
  keeper = await f.api(['bollard-operator'], 'jan');
  for (const zoneId of ZONES) {
    await admin.createZone({
      zone: {
        id: zoneId,
        name: zoneId,
        timeZone: 'Europe/Brussels',
        emergencyMode: false,
        emergencyReason: '',
        version: 0n,
        createTime: undefined,
        updateTime: undefined,
      },
    });
  }
  for (const b of BOLLARDS) {
    await admin.createBollard({
      bollard: {
        id: b.id,
        zoneId: b.zone,
        name: b.id,
        location: { latitude: 51.0543, longitude: 3.7174 },
        controllerId: `bc-${b.id}`,
        loopId: `loop-${b.id}`,
        failMode: b.failMode === 'safe' ? FailMode.FAIL_MODE_SAFE : FailMode.FAIL_MODE_SECURE,
        version: 0n,
        createTime: undefined,
        updateTime: undefined,
      },
    });
  }
  await keeper.createPermit({
    permit: {
      id: '',
      credentialKind: CredentialKind.CREDENTIAL_KIND_PLATE,
      credential: VAN,
      credentialFingerprint: '',
      vehicleClass: VehicleClass.VEHICLE_CLASS_DELIVERY,
      zoneIds: ZONES,
      validFrom: new Date('2026-11-01T00:00:00Z'),
      validUntil: new Date('2027-05-01T00:00:00Z'),
      windows: [{ days: [1, 2, 3, 4, 5, 6] as Weekday[], from: '06:00', to: '11:00' }],
      oneOff: false,
      reason: 'bakery',
      useTime: undefined,
      revokeTime: undefined,
      revokeReason: '',
      createdBy: '',
      createTime: undefined,
    },
  });
  const nc = await connect({ servers: f.natsUrl });
  const ns = new Namespace(f.ns.namespace);
  nc.subscribe(ns.subject('bollards.decision.>'), {
    callback: (_e: unknown, m: Msg) => {
      decisions.push(AccessDecided.decode(m.data));
    },
  });
  nc.subscribe(ns.subject('bollards.fault.>'), {
    callback: (_e: unknown, m: Msg) => {
      faults.push(BollardFault.decode(m.data));
    },
  });
  closeNats = () => nc.drain();
  // Controllers on real time (so do the service's safety timers), with short travel.
  fleet = await startBollardFleet({
    bus: f.bus,
    clock: systemClock,
    bollards: SIMULATED.map((b) => ({
      id: b.id,
      zoneId: b.zone,
      controllerId: `bc-${b.id}`,
      failMode: b.failMode,
      lowerMs: 100,
      // vm-3's rises are slow enough for a tailgater to catch one even on a loaded machine.
      raiseMs: b.id === 'vm-3' ? 2_000 : 300,
      failAfterMs: TEST_SETTINGS.BOLLARDS_FAIL_AFTER_MS,
    })),
    reportEveryMs: 0,
    tickMs: 10,
  });
  gateway = createReaderGateway({ bus: f.bus, secret: IDENTITY_SECRET, clock: f.clock });
  // Every controller reported: every loop is known.
  for (const b of SIMULATED) {
    await eventually(async () => expect((await status(b.id)).loop).toBe(1)); // LOOP_STATE_CLEAR
  }
});

afterAll(async () => {
  await fleet?.stop();
  await closeNats?.();
  await f?.close();
});

describe('an admitted vehicle', () => {
  it('lowers the bollard, which rises only after the vehicle passed plus the delay', async () => {
    const { requestId } = await gateway.requestAccess({
      zoneId: 'vismarkt',
      bollardId: 'vm-1',
      plate: '1 van 042',
    });
    await eventually(() => expect(at('vm-1')).toBe(Position.POSITION_DOWN));
    await eventually(async () =>
      expect(await stateOf('vm-1')).toBe(BollardState.BOLLARD_STATE_DOWN),
    );
    expect(commandsFor('vm-1', 'lower')[0]?.requestId).toBe(requestId);
    expect(decisions.find((d) => d.requestId === requestId)?.decision).toMatchObject({
      admit: true,
      rule: 'permit-window',
    });
    // The van drives over the loop, and stays a while: no raise meanwhile.
    await fleet.vehicleArrives('vm-1');
    await new Promise((r) => setTimeout(r, TEST_SETTINGS.BOLLARDS_RAISE_DELAY_MS * 3));
    expect(commandsFor('vm-1', 'raise')).toEqual([]);
    const left = Date.now();
    await fleet.vehicleLeaves('vm-1');
    await eventually(() => expect(at('vm-1')).toBe(Position.POSITION_UP));
    const raise = commandsFor('vm-1', 'raise')[0];
    expect(raise?.receivedRealMs ?? 0).toBeGreaterThanOrEqual(
      left + TEST_SETTINGS.BOLLARDS_RAISE_DELAY_MS - 5,
    );
    await eventually(async () => expect(await stateOf('vm-1')).toBe(BollardState.BOLLARD_STATE_UP));
    // The audit tells the story in order (the last state change is written with the next
    // group commit, just after the in-memory state moved).
    await eventually(async () => {
      const { entries } = await keeper.listAuditEntries({
        zoneId: '',
        bollardId: 'vm-1',
        kind: '',
        requestId: '',
        page: undefined,
      });
      expect(
        entries
          .reverse()
          .filter((e) => ['decision', 'command', 'state'].includes(e.kind))
          .map((e) => `${e.kind}:${e.outcome}`),
      ).toEqual([
        'decision:admit:permit-window',
        'command:lower',
        'state:lowering',
        'state:down',
        'command:raise',
        'state:raising',
        'state:up',
      ]);
    });
    expect(fleet.stats().unsafeRaiseCommands).toBe(0);
  });

  it('raises nothing while controller reports sent before the raise came due are still unread', async () => {
    const engine = f.bollards.engine;
    const stream = f.bus.ns.stream(BollardFieldStream);
    // Where the reports consumer really stands, as the service asks it.
    const onServer = async () => {
      const [consumer, state] = await Promise.all([
        f.bus.jsm.consumers.info(stream, 'bollards--reports'),
        f.bus.jsm.streams.info(stream),
      ]);
      return {
        pending: consumer.num_pending,
        lastDelivered: consumer.delivered.stream_seq,
        streamLast: state.state.last_seq,
      };
    };
    await gateway.requestAccess({ zoneId: 'vismarkt', bollardId: 'vm-1', plate: '1 van 042' });
    await eventually(async () =>
      expect(await stateOf('vm-1')).toBe(BollardState.BOLLARD_STATE_DOWN),
    );
    const raisesBefore = commandsFor('vm-1', 'raise').length;
    // A backlog: reports up to a sequence the service has not reached wait in the stream.
    engine.watchReports(async () => ({ ...(await onServer()), pending: 5, streamLast: 1e12 }));
    await fleet.vehicleArrives('vm-1');
    await fleet.vehicleLeaves('vm-1');
    await new Promise((r) => setTimeout(r, TEST_SETTINGS.BOLLARDS_RAISE_DELAY_MS * 4));
    expect(commandsFor('vm-1', 'raise')).toHaveLength(raisesBefore);
    expect(at('vm-1')).toBe(Position.POSITION_DOWN);
    // Caught up: the raise goes.
    engine.watchReports(onServer);
    await eventually(() => expect(at('vm-1')).toBe(Position.POSITION_UP));
    expect(commandsFor('vm-1', 'raise')).toHaveLength(raisesBefore + 1);
  });

  it('is refused without a permit, naming the rule, and nothing moves', async () => {
    const { requestId } = await gateway.requestAccess({
      zoneId: 'vismarkt',
      bollardId: 'vm-2',
      plate: '9-XYZ-999',
    });
    await eventually(() =>
      expect(decisions.find((d) => d.requestId === requestId)?.decision?.rule).toBe('no-permit'),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(commandsFor('vm-2')).toEqual([]);
    expect(at('vm-2')).toBe(Position.POSITION_UP);
  });
});

describe('safety', () => {
  it('reverses a rise when a vehicle follows, and faults after repeated reversals, staying down', async () => {
    await gateway.requestAccess({ zoneId: 'vismarkt', bollardId: 'vm-3', plate: VAN });
    await eventually(() => expect(at('vm-3')).toBe(Position.POSITION_DOWN));
    await fleet.vehicleArrives('vm-3');
    await fleet.vehicleLeaves('vm-3');
    for (let reversal = 1; reversal <= TEST_SETTINGS.BOLLARDS_MAX_REVERSALS; reversal++) {
      // The way is clear: the bollard starts to rise, and a tailgater drives onto the loop.
      await eventually(() => expect(at('vm-3')).toBe(Position.POSITION_MOVING_UP), 5_000);
      await fleet.vehicleArrives('vm-3');
      await eventually(() => expect(at('vm-3')).toBe(Position.POSITION_DOWN));
      await fleet.vehicleLeaves('vm-3');
    }
    await eventually(async () =>
      expect(await stateOf('vm-3')).toBe(BollardState.BOLLARD_STATE_FAULT),
    );
    expect(faults.find((x) => x.bollardId === 'vm-3')?.reason).toContain('reversals');
    // In fault it stays down: no raise however long the way is clear.
    const raises = commandsFor('vm-3', 'raise').length;
    await new Promise((r) => setTimeout(r, TEST_SETTINGS.BOLLARDS_RAISE_DELAY_MS * 3));
    expect(commandsFor('vm-3', 'raise').length).toBe(raises);
    expect(at('vm-3')).toBe(Position.POSITION_DOWN);
    expect(fleet.stats().unsafeRaiseCommandsAfterReport).toBe(0);
    // Maintenance ends the fault; the bollard then follows the normal rules and rises.
    await keeper.setMaintenance({ bollardId: 'vm-3', active: true, reason: 'inspect loop' });
    await keeper.setMaintenance({ bollardId: 'vm-3', active: false, reason: 'loop fine' });
    await eventually(() => expect(at('vm-3')).toBe(Position.POSITION_UP), 5_000);
  });

  it('takes the controller’s report when only its acknowledgements are lost', async () => {
    fleet.setFaults('km-1', { ackLossRate: 1 });
    await keeper.admitVehicle({ bollardId: 'km-1', reason: 'removal van, intercom' });
    await eventually(() => expect(at('km-1')).toBe(Position.POSITION_DOWN));
    await eventually(async () =>
      expect(await stateOf('km-1')).toBe(BollardState.BOLLARD_STATE_DOWN),
    );
    fleet.setFaults('km-1', undefined);
    await fleet.vehicleArrives('km-1');
    await fleet.vehicleLeaves('km-1');
    await eventually(() => expect(at('km-1')).toBe(Position.POSITION_UP), 5_000);
  });

  it('retries a command nobody answers, then faults and announces it', async () => {
    await keeper.admitVehicle({ bollardId: 'km-3', reason: 'removal van, intercom' });
    await eventually(
      async () => expect(await stateOf('km-3')).toBe(BollardState.BOLLARD_STATE_FAULT),
      5_000,
    );
    await eventually(() =>
      expect(faults.find((x) => x.bollardId === 'km-3')?.reason).toMatch(
        /no acknowledgement of lower command \d+ after 3 attempts/,
      ),
    );
    const { entries } = await keeper.listAuditEntries({
      zoneId: '',
      bollardId: 'km-3',
      kind: 'command',
      requestId: '',
      page: undefined,
    });
    expect(entries.map((e) => `${e.outcome}#${e.sequence}/${e.attempt}`).reverse()).toEqual([
      'lower#1/1',
      'lower#1/2',
      'lower#1/3',
    ]);
  });

  it('holds a whole zone down on an emergency-service request until an operator clears it', async () => {
    const { requestId } = await gateway.requestAccess({
      zoneId: 'vismarkt',
      bollardId: 'vm-2',
      source: 'emergency_service',
      readerId: 'dispatch-112',
    });
    await eventually(() =>
      expect(decisions.find((d) => d.requestId === requestId)?.decision?.rule).toBe(
        'emergency-vehicle',
      ),
    );
    for (const id of ['vm-1', 'vm-2', 'vm-3']) {
      await eventually(() => expect(at(id)).toBe(Position.POSITION_DOWN), 5_000);
      await eventually(async () =>
        expect(await stateOf(id)).toBe(BollardState.BOLLARD_STATE_EMERGENCY_DOWN),
      );
    }
    // A vehicle passes; nothing rises while the emergency lasts.
    await fleet.vehicleArrives('vm-2');
    await fleet.vehicleLeaves('vm-2');
    await new Promise((r) => setTimeout(r, TEST_SETTINGS.BOLLARDS_RAISE_DELAY_MS * 3));
    for (const id of ['vm-1', 'vm-2', 'vm-3']) expect(at(id)).toBe(Position.POSITION_DOWN);
    // Korenmarkt is another zone: untouched.
    expect(at('km-2')).toBe(Position.POSITION_UP);
    await keeper.setEmergencyMode({ zoneId: 'vismarkt', active: false, reason: 'all clear' });
    for (const id of ['vm-1', 'vm-2', 'vm-3']) {
      await eventually(() => expect(at(id)).toBe(Position.POSITION_UP), 5_000);
    }
  });
});

describe('loss of the service', () => {
  it('lowers fail-safe bollards and leaves fail-secure ones; the returning service takes their word', async () => {
    await eventually(() => expect(at('km-1')).toBe(Position.POSITION_UP), 5_000);
    expect(at('km-2')).toBe(Position.POSITION_UP);
    // The service stops: no more heartbeats.
    await f.bollards.stop();
    await eventually(() => expect(at('km-1')).toBe(Position.POSITION_DOWN), 5_000);
    expect(fleet.controller('km-1').fallbackActive(Date.now())).toBe(true);
    expect(at('km-2')).toBe(Position.POSITION_UP);
    expect(fleet.controller('km-2').fallbackActive(Date.now())).toBe(true);
    // Back: the fail-safe bollard's report makes it down, and the normal rules raise it.
    await f.restart();
    await eventually(() => expect(at('km-1')).toBe(Position.POSITION_UP), 10_000);
    await eventually(async () => expect(await stateOf('km-1')).toBe(BollardState.BOLLARD_STATE_UP));
    await eventually(async () => expect((await status('km-1')).fallbackActive).toBe(false));
    expect(at('km-2')).toBe(Position.POSITION_UP);
    expect(fleet.stats().unsafeRaiseCommands).toBe(0);
  });
});

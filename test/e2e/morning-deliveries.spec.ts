// Scenario: morning deliveries in the Grote Markt pedestrian zone. The real bollards service
// as a process, the demo city's zones, bollards and permits seeded through its API by the
// simulator's seeding, the bollards' simulated controllers and a reader gateway on the bus, and
// a city clock at 120× starting at 10:20 on a working day. A van given a permit for a window
// ending ten minutes later is admitted in it and refused after it; a fire engine is admitted
// at once and its whole zone goes down; no bollard rises while a vehicle is on its loop;
// every decision is in the audit.
import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import {
  BollardState,
  CredentialKind,
  LoopState,
  Permit,
  VehicleClass,
  type Weekday,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { Motion, Position } from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import { localTime, realDelay } from '@slimstad/kit';
import { type BollardCity, startBollardCity } from '@slimstad/simulator/bollards/bollard-city';
import {
  DEMO_BOLLARDS_FILE,
  parseBollardLayout,
} from '@slimstad/simulator/bollards/bollard-layout';
import { seedBollards } from '@slimstad/simulator/bollards/bollards-seed';
import { eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_SECRET, lastLocal, startCity, type TestCity } from './support/city.js';

const layout = parseBollardLayout(readFileSync(DEMO_BOLLARDS_FILE, 'utf8'));
const SPEED = 120;
const VAN = {
  kind: 'delivery',
  zoneId: 'grote-markt',
  bollardId: 'gm-boterstraat',
  plate: '1-FSH-404',
} as const;

let city: TestCity;
let field: BollardCity;
let api: Awaited<ReturnType<TestCity['bollards']>>;
let closeNats: () => Promise<void>;
/** Real ms when a vehicle drove onto / off a bollard's loop. */
const onLoop = new Map<string, { from: number; to?: number }[]>();

async function status(bollardId: string) {
  const { statuses } = await api.listBollardStatus({ zoneId: '' });
  const found = statuses.find((s) => s.bollardId === bollardId);
  if (!found) throw new Error(`no status of ${bollardId}`);
  return found;
}

async function auditOf(requestId: string) {
  const { entries } = await api.listAuditEntries({
    zoneId: '',
    bollardId: '',
    kind: '',
    requestId,
    page: { pageSize: 100, pageToken: '' },
  });
  return entries;
}

beforeAll(async () => {
  city = await startCity({
    label: 'deliveries',
    services: ['bollards'],
    clockStartMs: lastLocal('10:20', [1, 2, 3, 4, 5, 6]),
    speed: SPEED,
  });
  const bollards = city.service('bollards');
  const seeded = await seedBollards({
    address: bollards.address,
    layout,
    token: await city.token(['admin']),
    nowMs: city.clock.now(),
  });
  expect(seeded.permits.created).toBe(layout.permits.length);
  api = await city.bollards(['bollard-operator']);
  const nc = await connect({ servers: city.natsUrl });
  closeNats = () => nc.drain();
  field = await startBollardCity({
    nc,
    namespace: city.namespace,
    clock: city.clock,
    layout,
    secret: IDENTITY_SECRET,
    traffic: false,
    crossingMs: 2_000,
    onVehicle: () => {},
  });
  // Record the loops' occupation as the controllers see it.
  for (const b of layout.bollards) {
    const controller = field.fleet.controller(b.id);
    const arrives = controller.vehicleArrives.bind(controller);
    const leaves = controller.vehicleLeaves.bind(controller);
    controller.vehicleArrives = (now) => {
      onLoop.set(b.id, [...(onLoop.get(b.id) ?? []), { from: Date.now() }]);
      return arrives(now);
    };
    controller.vehicleLeaves = (now) => {
      const last = onLoop.get(b.id)?.at(-1);
      if (last) last.to = Date.now();
      return leaves(now);
    };
  }
  // Every controller reported: the service knows every loop.
  await eventually(async () => {
    const { statuses } = await api.listBollardStatus({ zoneId: '' });
    expect(statuses.filter((s) => s.loop === LoopState.LOOP_STATE_CLEAR)).toHaveLength(
      layout.bollards.length,
    );
  }, 20_000);
}, 120_000);

afterAll(async () => {
  await field?.stop();
  await closeNats?.();
  api?.close();
  await city?.close();
}, 60_000);

describe('morning deliveries', () => {
  it('admits a permitted van in its window and refuses it after the window', async () => {
    // The van's permit, issued now by a bollard operator: Monday to Saturday from 06:00 until
    // ten minutes from now on the city clock (five seconds at 120×), so the window's end does
    // not depend on how long the set-up took on a loaded machine.
    const now = city.clock.now();
    const local = localTime(now, 'Europe/Brussels');
    const end = local.minuteOfDay + 10;
    const to = `${String(Math.floor(end / 60)).padStart(2, '0')}:${String(end % 60).padStart(2, '0')}`;
    // The start of the local minute `to` (Brussels' offset is whole hours).
    const windowEnd = now - (now % 60_000) + 10 * 60_000;
    await api.createPermit({
      permit: Permit.fromPartial({
        credentialKind: CredentialKind.CREDENTIAL_KIND_PLATE,
        credential: VAN.plate,
        vehicleClass: VehicleClass.VEHICLE_CLASS_DELIVERY,
        zoneIds: [VAN.zoneId],
        validFrom: new Date(now - 86_400_000),
        validUntil: new Date(now + 30 * 86_400_000),
        windows: [{ days: [1, 2, 3, 4, 5, 6] as Weekday[], from: '06:00', to }],
        reason: 'e2e: fish for the brasseries',
      }),
    });
    const admitted = await field.drive(VAN);
    expect(admitted).toMatchObject({ outcome: 'passed', rule: 'permit-window' });
    // Back up once the van has passed.
    await eventually(async () => {
      expect((await status(VAN.bollardId)).state).toBe(BollardState.BOLLARD_STATE_UP);
    }, 15_000);

    // After the window on the city clock the same van is refused, and the bollard stays up.
    const wait = realDelay(city.clock, windowEnd + 60_000 - city.clock.now());
    await new Promise((r) => setTimeout(r, Math.max(0, wait)));
    const commandsBefore = field.fleet.commandLog.length;
    const refused = await field.drive(VAN);
    expect(refused).toMatchObject({ outcome: 'refused', rule: 'outside-time-window' });
    expect(field.fleet.commandLog.slice(commandsBefore)).toEqual([]);
    expect(field.fleet.controller(VAN.bollardId).position(city.clock.now())).toBe(
      Position.POSITION_UP,
    );

    // The audit tells both decisions, and the commands of the admitted one.
    const admittedAudit = await auditOf(admitted.requestId);
    expect(admittedAudit.map((e) => `${e.kind}:${e.outcome}`)).toEqual(
      expect.arrayContaining(['decision:admit:permit-window', 'command:lower']),
    );
    expect((await auditOf(refused.requestId)).map((e) => `${e.kind}:${e.outcome}`)).toEqual([
      'decision:deny:outside-time-window',
    ]);
    // No plate in the audit: only hashes.
    expect(admittedAudit.map((e) => e.detail).join('\n')).not.toContain('FSH');
  }, 90_000);

  it('admits a fire engine at once, its whole zone goes down, and the control room clears it', async () => {
    const zoneId = 'ilot-sacre';
    const engine = await field.drive({
      kind: 'fire_engine',
      zoneId,
      bollardId: 'is-kruidenmarkt',
      emergency: true,
    });
    expect(engine).toMatchObject({ outcome: 'passed', rule: 'emergency-vehicle' });
    const zone = await api.getZone({ zoneId });
    expect(zone.zone?.emergencyMode).toBe(true);
    for (const b of layout.bollards.filter((x) => x.zoneId === zoneId)) {
      await eventually(
        () =>
          expect(field.fleet.controller(b.id).position(city.clock.now())).toBe(
            Position.POSITION_DOWN,
          ),
        10_000,
      );
    }
    expect((await auditOf(engine.requestId)).map((e) => `${e.kind}:${e.outcome}`)).toEqual(
      expect.arrayContaining(['decision:admit:emergency-vehicle']),
    );
    await api.setEmergencyMode({ zoneId, active: false, reason: 'e2e: the fire engine left' });
    for (const b of layout.bollards.filter((x) => x.zoneId === zoneId)) {
      await eventually(async () => {
        expect((await status(b.id)).state).toBe(BollardState.BOLLARD_STATE_UP);
      }, 15_000);
    }
  }, 60_000);

  it('never raised a bollard while a vehicle was on its loop', () => {
    const raises = field.fleet.commandLog.filter((c) => c.motion === Motion.MOTION_RAISE);
    expect(raises.length).toBeGreaterThan(0);
    for (const raise of raises) {
      for (const stay of onLoop.get(raise.bollardId) ?? []) {
        const inside =
          raise.receivedRealMs >= stay.from && raise.receivedRealMs <= (stay.to ?? Infinity);
        expect(inside, `raise of ${raise.bollardId} while a vehicle was on its loop`).toBe(false);
      }
    }
    expect(field.fleet.stats().unsafeRaiseCommands).toBe(0);
    expect(field.fleet.stats().bollardUnderVehicle).toBe(0);
  });
});

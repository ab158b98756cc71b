// The demo city's bollards in the field: one simulated controller per bollard of the file, a
// reader gateway that hashes what its cameras and badge readers read, and the vehicles of the
// planned traffic driving up to the bollards. A vehicle asks for access, waits for the
// service's decision (`bollards.decision.…`, matched by request id); admitted, it waits for
// its bollard to be down, drives onto the loop, crosses and leaves it; refused (or unanswered)
// it turns away. One vehicle at a time per bollard, the others queue behind it. After a fire
// engine the control room (`clearEmergency`, an operator call through the API) clears the
// zone's emergency mode once the intervention is over.
import { AccessDecided } from '@slimstad/contracts';
import {
  AccessDecided as AccessDecidedCodec,
  Position,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import {
  Bus,
  type Clock,
  createLogger,
  type Logger,
  type Namespace,
  realDelay,
} from '@slimstad/kit';
import { createRandom, hash32 } from '../domain/random.js';
import { type BollardFleet, type NatsConnection, startBollardFleet } from './bollard-fleet.js';
import { type BollardLayout, bollardFleetSpecs } from './bollard-layout.js';
import { createReaderGateway, type ReaderGateway } from './reader-gateway.js';
import { type PlannedVehicle, planTraffic, type VehicleKind } from './traffic.js';

export type VehicleOutcome = 'passed' | 'refused' | 'unanswered' | 'not-lowered';

export interface DriveResult {
  requestId: string;
  outcome: VehicleOutcome;
  /** The rule that decided, when a decision came. */
  rule?: string;
}

export interface BollardCity {
  fleet: BollardFleet;
  gateway: ReaderGateway;
  /** Drives one vehicle up to its bollard (after the one before it at that bollard). */
  drive(vehicle: Omit<PlannedVehicle, 'atMs'>): Promise<DriveResult>;
  /** Vehicles driven so far, by kind and outcome. */
  readonly tally: Record<string, number>;
  stop(): Promise<void>;
}

export interface BollardCityOptions {
  nc: NatsConnection;
  namespace: Namespace;
  /** The bollards service's clock: permit windows are judged by it, traffic is planned on it. */
  clock: Clock;
  layout: BollardLayout;
  /** The municipality's identity secret (BOLLARDS_IDENTITY_SECRET). */
  secret: string;
  seed?: number;
  /** Plays the file's traffic (default true); off, vehicles come only through `drive`. */
  traffic?: boolean;
  /** Real ms between two plannings of the traffic (default 1000). */
  planEveryMs?: number;
  /** Real ms a vehicle waits for a decision, then for its bollard to be down (default 30 000). */
  waitMs?: number;
  /** Real ms a vehicle stays on the loop (default: the file's `crossingMs`). */
  crossingMs?: number;
  /** Bollard travel, clock ms (defaults: the controller's). */
  lowerMs?: number;
  raiseMs?: number;
  /** Every bollard's report every this many clock ms (default 60 000). */
  reportEveryMs?: number;
  /** The control room: clears a zone's emergency mode after a fire engine. */
  clearEmergency?: (zoneId: string, reason: string) => Promise<void>;
  onVehicle?: (vehicle: Omit<PlannedVehicle, 'atMs'>, result: DriveResult) => void;
  log?: Logger;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startBollardCity(options: BollardCityOptions): Promise<BollardCity> {
  const { clock, layout } = options;
  const log = options.log ?? createLogger('bollard-city', 'silent');
  const bus = await Bus.create(options.nc, { namespace: options.namespace.prefix, log });
  const fleet = await startBollardFleet({
    bus,
    clock,
    bollards: bollardFleetSpecs(layout).map((spec) => ({
      ...spec,
      ...(options.lowerMs !== undefined ? { lowerMs: options.lowerMs } : {}),
      ...(options.raiseMs !== undefined ? { raiseMs: options.raiseMs } : {}),
    })),
    seed: options.seed,
    reportEveryMs: options.reportEveryMs ?? 60_000,
    recordCommands: true,
    commandLogLimit: 10_000,
    log,
  });
  const gateway = createReaderGateway({ bus, secret: options.secret, clock });
  const waitMs = options.waitMs ?? 30_000;
  const crossingMs = options.crossingMs ?? layout.traffic.crossingMs;

  // Decisions, matched to the vehicles waiting for them by request id.
  const waiting = new Map<string, (decision: AccessDecidedCodec | undefined) => void>();
  const decisions = options.nc.subscribe(options.namespace.subject(AccessDecided.pattern), {
    callback: (error, msg) => {
      if (error) return;
      try {
        const decided = AccessDecidedCodec.decode(msg.data);
        waiting.get(decided.requestId)?.(decided);
      } catch (err) {
        log.warn({ err, subject: msg.subject }, 'undecodable access decision ignored');
      }
    },
  });
  await options.nc.flush();

  const tally: Record<string, number> = {};
  const lanes = new Map<string, Promise<unknown>>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) run();
    }, ms);
    timers.add(timer);
  };

  const isDown = (bollardId: string) =>
    fleet.controller(bollardId).position(clock.now()) === Position.POSITION_DOWN;

  const crossing = async (vehicle: Omit<PlannedVehicle, 'atMs'>): Promise<DriveResult> => {
    const requestId = `${vehicle.kind}-${crypto.randomUUID()}`;
    const decided = new Promise<AccessDecidedCodec | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), waitMs);
      waiting.set(requestId, (d) => {
        clearTimeout(timer);
        resolve(d);
      });
    });
    try {
      await gateway.requestAccess({
        zoneId: vehicle.zoneId,
        bollardId: vehicle.bollardId,
        requestId,
        ...(vehicle.plate !== undefined ? { plate: vehicle.plate } : {}),
        ...(vehicle.badge !== undefined ? { badge: vehicle.badge } : {}),
        ...(vehicle.emergency ? { emergency: true, source: 'emergency_service' as const } : {}),
      });
    } catch (err) {
      waiting.delete(requestId);
      log.debug({ err }, 'access request not published');
      return { requestId, outcome: 'unanswered' };
    }
    const decision = await decided;
    waiting.delete(requestId);
    const rule = decision?.decision?.rule;
    if (!decision) return { requestId, outcome: 'unanswered' };
    if (!decision.decision?.admit) return { requestId, outcome: 'refused', rule };
    const deadline = Date.now() + waitMs;
    while (!isDown(vehicle.bollardId)) {
      if (stopped || Date.now() > deadline) return { requestId, outcome: 'not-lowered', rule };
      await sleep(50);
    }
    await fleet.vehicleArrives(vehicle.bollardId);
    await sleep(crossingMs);
    await fleet.vehicleLeaves(vehicle.bollardId);
    return { requestId, outcome: 'passed', rule };
  };

  const drive = (vehicle: Omit<PlannedVehicle, 'atMs'>): Promise<DriveResult> => {
    const before = lanes.get(vehicle.bollardId) ?? Promise.resolve();
    const run = before.then(() => crossing(vehicle));
    const settled = run.catch(() => undefined);
    lanes.set(vehicle.bollardId, settled);
    void settled.then(() => {
      if (lanes.get(vehicle.bollardId) === settled) lanes.delete(vehicle.bollardId);
    });
    return run.then((result) => {
      const key = `${vehicle.kind}:${result.outcome}`;
      tally[key] = (tally[key] ?? 0) + 1;
      options.onVehicle?.(vehicle, result);
      if (vehicle.kind === 'fire_engine' && result.outcome === 'passed') {
        const after = layout.traffic.emergencyClearAfterMinutes * 60_000;
        later(realDelay(clock, after), () => {
          void options
            .clearEmergency?.(vehicle.zoneId, 'control room: the fire engine has left the zone')
            .catch((err: unknown) =>
              log.warn({ err, zone: vehicle.zoneId }, 'could not clear the emergency mode'),
            );
        });
      }
      return result;
    });
  };

  // The traffic: planned a window at a time on the clock, each vehicle sent at its time.
  let planner: ReturnType<typeof setInterval> | undefined;
  if (options.traffic ?? true) {
    const random = createRandom(hash32(options.seed ?? 2026, 'traffic'));
    let plannedTo = clock.now();
    const plan = () => {
      const now = clock.now();
      const vehicles = planTraffic(layout, plannedTo, now + 60_000, random);
      plannedTo = Math.ceil((now + 60_000) / 60_000) * 60_000;
      for (const { atMs, ...vehicle } of vehicles) {
        later(Math.max(0, realDelay(clock, atMs - clock.now())), () => {
          log.debug(
            { kind: vehicle.kind, zone: vehicle.zoneId, bollard: vehicle.bollardId },
            'vehicle arrives',
          );
          void drive(vehicle).catch((err: unknown) => log.warn({ err }, 'vehicle failed'));
        });
      }
    };
    plan();
    planner = setInterval(plan, options.planEveryMs ?? 1_000);
    planner.unref();
  }

  return {
    fleet,
    gateway,
    drive,
    tally,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (planner) clearInterval(planner);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // Vehicles still waiting for a decision count as unanswered.
      for (const resolve of waiting.values()) resolve(undefined);
      decisions.unsubscribe();
      await Promise.race([Promise.allSettled([...lanes.values()]), sleep(crossingMs + 1_000)]);
      await fleet.stop();
    },
  };
}

export type { VehicleKind };

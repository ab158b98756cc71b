// A simulated retractable-bollard controller (the cabinet beside the bollard that drives its
// hydraulics): obeys lower/raise commands in sequence order, refuses a raise while its own
// induction loop or light curtain sees something (a hardware interlock), travels at a fixed
// speed, and follows its fail mode when it loses mains power or the bollards service's
// heartbeats. Pure: no I/O, no clock of its own — every method takes the time (ms since the
// epoch on the simulation clock), so tests and benchmarks decide what time it is.
import type { Duration } from '@slimstad/contracts/gen/google/protobuf/duration';
import { FailMode as WireFailMode } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import {
  type BollardCommand,
  type BollardCommandAck,
  type BollardReport,
  type BollardsHeartbeat,
  CommandResult,
  Motion,
  Position,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/control';

export type FailModeName = 'safe' | 'secure';

export interface BollardControllerOptions {
  bollardId: string;
  zoneId: string;
  controllerId: string;
  /**
   * What the bollard does without power or service (default `safe`: down and stays down, as
   * the bollards service's README asks for pedestrian zones). Every accepted command that
   * names a fail mode replaces it, as the service sends it with each command.
   */
  failMode?: FailModeName;
  /** Where the bollard stands at power-on (default `up`: the zone closed). */
  position?: 'up' | 'down';
  /** Full travel down, clock ms (default 1 500). */
  lowerMs?: number;
  /** Full travel up, clock ms (default 3 000: rising is slower, it must stop for a vehicle). */
  raiseMs?: number;
  /**
   * Heartbeat silence after which the controller follows its fail mode, until a heartbeat's
   * `fail_after` replaces it (default 20 000, the service's BOLLARDS_FAIL_AFTER_MS default).
   */
  failAfterMs?: number;
  /**
   * Arms the heartbeat watchdog at this time. Omitted, the watchdog arms only at the first
   * contact (a heartbeat or an accepted command): a controller that has never heard the
   * service has lost nothing, and a test clock set forward before the service starts must not
   * lower every bollard of the city.
   */
  watchFromMs?: number;
  /**
   * The hardware interlock that refuses a raise while the loop is occupied or an obstacle is
   * seen (default true). A test or bench turns it off to see what the service alone would do:
   * a raise under a vehicle is then obeyed and counted in `bollardUnderVehicle`.
   */
  interlock?: boolean;
}

/** Counters for tests and benchmarks; never reset. */
export interface BollardStats {
  /** Commands addressed to this controller, whatever their outcome. */
  commandsReceived: number;
  /** New sequences obeyed (repeated attempts not included). */
  accepted: number;
  raises: number;
  lowers: number;
  /** Repeated attempts of the last obeyed sequence, re-acknowledged without restarting. */
  repeated: number;
  rejected: number;
  stale: number;
  /**
   * New raise commands received while the loop was occupied. The service must never send
   * one: it raises only once the loop reported clear. Includes races, where the vehicle
   * arrived after the command left the service.
   */
  unsafeRaiseCommands: number;
  /**
   * Those of `unsafeRaiseCommands` issued (their `issue_time`) at or after this controller had
   * reported the loop occupied: the service had been told, so no race excuses them.
   */
  unsafeRaiseCommandsAfterReport: number;
  /**
   * Rises that started with the loop occupied, counted once per rise when it starts: the
   * bollard coming up under a vehicle. Only possible with the interlock turned off; the
   * safety-violation figure of benches and chaos tests.
   */
  bollardUnderVehicle: number;
  /**
   * Rises that reached the top with the loop occupied: a vehicle drove onto the loop during a
   * rise (which the controller reported) and the service did not reverse in time.
   */
  reachedUpWithVehicle: number;
  /** Times the controller started following its fail mode (power or heartbeats lost). */
  fallbacks: number;
}

export const emptyBollardStats = (): BollardStats => ({
  commandsReceived: 0,
  accepted: 0,
  raises: 0,
  lowers: 0,
  repeated: 0,
  rejected: 0,
  stale: 0,
  unsafeRaiseCommands: 0,
  unsafeRaiseCommandsAfterReport: 0,
  bollardUnderVehicle: 0,
  reachedUpWithVehicle: 0,
  fallbacks: 0,
});

/**
 * The bollard's travel: height 1 is fully up, 0 fully down. `direction` 0 means stopped
 * (fail-secure without power mid-travel: the hydraulics hold it where it is).
 */
interface Travel {
  fromHeight: number;
  direction: 1 | -1 | 0;
  startMs: number;
}

export const durationToMs = (d: Duration | undefined): number =>
  d ? Number(d.seconds) * 1000 + Math.floor(d.nanos / 1_000_000) : 0;

const failModeFromWire = (mode: WireFailMode): FailModeName | undefined =>
  mode === WireFailMode.FAIL_MODE_SAFE
    ? 'safe'
    : mode === WireFailMode.FAIL_MODE_SECURE
      ? 'secure'
      : undefined;

export class BollardController {
  readonly bollardId: string;
  readonly zoneId: string;
  readonly controllerId: string;
  readonly lowerMs: number;
  readonly raiseMs: number;
  readonly interlock: boolean;
  private mode: FailModeName;
  private failAfter: number;
  private lastSequence = 0n;
  private lastContactMs: number | undefined;
  private serviceLost = false;
  private powerLost = false;
  private loop = false;
  /** Observe time of the first report that said the loop is occupied (this occupation). */
  private loopReportedAt: number | undefined;
  private obstacleSeen = false;
  private travel: Travel;
  /** The controller's own time: what happened by itself up to here is applied. */
  private time = Number.NEGATIVE_INFINITY;
  private lastReportKey: string | undefined;
  private readonly counters = emptyBollardStats();

  constructor(options: BollardControllerOptions) {
    this.bollardId = options.bollardId;
    this.zoneId = options.zoneId;
    this.controllerId = options.controllerId;
    this.mode = options.failMode ?? 'safe';
    this.lowerMs = Math.max(1, options.lowerMs ?? 1_500);
    this.raiseMs = Math.max(1, options.raiseMs ?? 3_000);
    this.failAfter = options.failAfterMs ?? 20_000;
    this.lastContactMs = options.watchFromMs;
    this.interlock = options.interlock ?? true;
    const up = (options.position ?? 'up') === 'up';
    this.travel = {
      fromHeight: up ? 1 : 0,
      direction: up ? 1 : -1,
      startMs: Number.NEGATIVE_INFINITY,
    };
  }

  get stats(): Readonly<BollardStats> {
    return this.counters;
  }

  get failMode(): FailModeName {
    return this.mode;
  }

  get failAfterMs(): number {
    return this.failAfter;
  }

  /** Sequence of the last obeyed command (0 before any). */
  get lastObeyedSequence(): bigint {
    return this.lastSequence;
  }

  get loopOccupied(): boolean {
    return this.loop;
  }

  get obstacle(): boolean {
    return this.obstacleSeen;
  }

  get powerOk(): boolean {
    return !this.powerLost;
  }

  /**
   * Handles a command. A sequence lower than the last obeyed one is STALE (a replay, or a
   * service restored from an older backup: `last_sequence` lets it catch up); the last obeyed
   * sequence again is a retry whose ack was lost, re-acknowledged ACCEPTED without restarting
   * the motion. A new raise is REJECTED while the loop is occupied or an obstacle is seen (the
   * interlock) or without power; a lower without power only where the hydraulic release
   * lowers anyway (fail-safe). A refused command does not use up its sequence, so a retry
   * after the way cleared is obeyed. Only an obeyed command counts as contact with the
   * service: a replay proves nothing about whether the service is still there.
   */
  command(cmd: BollardCommand, now: number): BollardCommandAck {
    this.advance(now);
    this.counters.commandsReceived += 1;
    const ack = (result: CommandResult, detail = ''): BollardCommandAck => ({
      bollardId: this.bollardId,
      controllerId: this.controllerId,
      sequence: cmd.sequence,
      result,
      detail,
      lastSequence: this.lastSequence,
      acknowledgeTime: new Date(now),
    });
    const reject = (detail: string) => {
      this.counters.rejected += 1;
      return ack(CommandResult.COMMAND_RESULT_REJECTED, detail);
    };
    if (cmd.bollardId !== '' && cmd.bollardId !== this.bollardId) {
      return reject(`command for bollard ${cmd.bollardId}, this is ${this.bollardId}`);
    }
    if (cmd.motion !== Motion.MOTION_LOWER && cmd.motion !== Motion.MOTION_RAISE) {
      return reject(`unknown motion ${cmd.motion}`);
    }
    // 0 is proto3's "not set": no service sends it, so it cannot be a command to obey.
    if (cmd.sequence === 0n) return reject('sequence 0 (not set)');
    if (cmd.sequence < this.lastSequence) {
      this.counters.stale += 1;
      return ack(CommandResult.COMMAND_RESULT_STALE, `already obeyed ${this.lastSequence}`);
    }
    if (cmd.sequence === this.lastSequence && this.lastSequence > 0n) {
      this.counters.repeated += 1;
      return ack(CommandResult.COMMAND_RESULT_ACCEPTED);
    }
    const raise = cmd.motion === Motion.MOTION_RAISE;
    if (raise && this.loop) {
      this.counters.unsafeRaiseCommands += 1;
      const issued = cmd.issueTime?.getTime();
      if (
        this.loopReportedAt !== undefined &&
        issued !== undefined &&
        issued >= this.loopReportedAt
      )
        this.counters.unsafeRaiseCommandsAfterReport += 1;
      if (this.interlock) return reject('interlock: vehicle on the induction loop');
    }
    if (raise && this.obstacleSeen && this.interlock) {
      return reject('interlock: obstacle in the way');
    }
    if (this.powerLost && (raise || this.mode === 'secure')) return reject('no mains power');

    this.lastSequence = cmd.sequence;
    this.mode = failModeFromWire(cmd.failMode) ?? this.mode;
    this.contact(now);
    this.counters.accepted += 1;
    if (raise) {
      this.counters.raises += 1;
      if (this.loop) this.counters.bollardUnderVehicle += 1;
      this.move(1, now);
    } else {
      this.counters.lowers += 1;
      this.move(-1, now);
    }
    return ack(CommandResult.COMMAND_RESULT_ACCEPTED);
  }

  /** The service is alive: records the contact (ends a heartbeat fallback) and its fail_after. */
  heartbeat(hb: BollardsHeartbeat, now: number): void {
    this.advance(now);
    const failAfter = durationToMs(hb.failAfter);
    if (failAfter > 0) this.failAfter = failAfter;
    this.contact(now);
  }

  // The position stays where the fallback left it: the service decides what happens next.
  private contact(now: number): void {
    this.lastContactMs = Math.max(this.lastContactMs ?? now, now);
    this.serviceLost = false;
  }

  /** A vehicle drives onto the induction loop. During a rise the service must reverse. */
  vehicleArrives(now: number): void {
    this.advance(now);
    this.loop = true;
  }

  vehicleLeaves(now: number): void {
    this.advance(now);
    this.loop = false;
    this.loopReportedAt = undefined;
  }

  /** The safety edge or light curtain sees (true) or no longer sees an obstacle. */
  setObstacle(present: boolean, now: number): void {
    this.advance(now);
    this.obstacleSeen = present;
  }

  /** Mains power fails: fail-safe releases the hydraulics (down), fail-secure holds. */
  powerLoss(now: number): void {
    this.advance(now);
    if (this.powerLost) return;
    const wasFallback = this.serviceLost;
    this.powerLost = true;
    if (!wasFallback) this.counters.fallbacks += 1;
    if (this.mode === 'safe') this.move(-1, now);
    else this.stop(now);
  }

  /** Power is back: the fallback ends (unless the service is still silent), nothing moves. */
  powerRestored(now: number): void {
    this.advance(now);
    this.powerLost = false;
  }

  /** Whether the controller follows its fail mode (no power, or no heartbeat for fail_after). */
  fallbackActive(now: number): boolean {
    this.advance(now);
    return this.powerLost || this.serviceLost;
  }

  /** Height at `now`, 0 (down) to 1 (up). */
  heightAt(now: number): number {
    this.advance(now);
    return this.height(now);
  }

  position(now: number): Position {
    this.advance(now);
    const { direction } = this.travel;
    const h = this.height(now);
    if (direction === 1) return h >= 1 ? Position.POSITION_UP : Position.POSITION_MOVING_UP;
    if (direction === -1) return h <= 0 ? Position.POSITION_DOWN : Position.POSITION_MOVING_DOWN;
    // Held mid-travel: neither limit switch is made.
    return h >= 1
      ? Position.POSITION_UP
      : h <= 0
        ? Position.POSITION_DOWN
        : Position.POSITION_UNSPECIFIED;
  }

  /** The status report at `now`; remembered as the last one sent (see `reportIfChanged`). */
  report(now: number): BollardReport {
    const r: BollardReport = {
      bollardId: this.bollardId,
      controllerId: this.controllerId,
      position: this.position(now),
      loopOccupied: this.loop,
      obstacle: this.obstacleSeen,
      powerOk: !this.powerLost,
      fallbackActive: this.powerLost || this.serviceLost,
      observeTime: new Date(now),
    };
    this.lastReportKey = reportKey(r);
    if (r.loopOccupied && this.loopReportedAt === undefined) this.loopReportedAt = now;
    return r;
  }

  /** A report if anything in it (time aside) changed since the last one, else undefined. */
  reportIfChanged(now: number): BollardReport | undefined {
    this.advance(now);
    const key = reportKey({
      position: this.position(now),
      loopOccupied: this.loop,
      obstacle: this.obstacleSeen,
      powerOk: !this.powerLost,
      fallbackActive: this.powerLost || this.serviceLost,
    });
    return key === this.lastReportKey ? undefined : this.report(now);
  }

  /**
   * Applies what happened by itself up to `now`, in time order: rises reaching the top and the
   * heartbeat watchdog expiring (a fail-safe bollard then starts down at the moment of expiry,
   * not at the moment someone looks). Time never runs backwards for the controller.
   */
  advance(now: number): void {
    if (now <= this.time) return;
    for (;;) {
      const watchdog =
        this.lastContactMs !== undefined && !this.serviceLost
          ? this.lastContactMs + this.failAfter
          : Number.POSITIVE_INFINITY;
      const top = this.topAt();
      // The watchdog fires once the silence is longer than fail_after, not when equal to it.
      const watchdogDue = watchdog < now;
      const topDue = top <= now;
      if (!watchdogDue && !topDue) break;
      if (topDue && (!watchdogDue || top <= watchdog)) {
        if (this.loop) this.counters.reachedUpWithVehicle += 1;
        this.travel = { fromHeight: 1, direction: 1, startMs: Number.NEGATIVE_INFINITY };
        continue;
      }
      this.serviceLost = true;
      if (!this.powerLost) {
        this.counters.fallbacks += 1;
        if (this.mode === 'safe') this.move(-1, watchdog);
      }
    }
    this.time = now;
  }

  /** When a rise in progress reaches the top (+∞ if none is). */
  private topAt(): number {
    const { direction, fromHeight, startMs } = this.travel;
    if (direction !== 1 || startMs === Number.NEGATIVE_INFINITY) return Number.POSITIVE_INFINITY;
    return startMs + (1 - fromHeight) * this.raiseMs;
  }

  private height(now: number): number {
    const { direction, fromHeight, startMs } = this.travel;
    if (direction === 0 || startMs === Number.NEGATIVE_INFINITY) return fromHeight;
    const travelMs = direction === 1 ? this.raiseMs : this.lowerMs;
    const h = fromHeight + (direction * Math.max(0, now - startMs)) / travelMs;
    return Math.min(1, Math.max(0, h));
  }

  /** Starts a motion from wherever the bollard is now (a reversal mid-travel included). */
  private move(direction: 1 | -1, now: number): void {
    const fromHeight = this.height(now);
    if (this.travel.direction === direction) return; // already on its way, or there
    this.travel = { fromHeight, direction, startMs: now };
  }

  private stop(now: number): void {
    this.travel = { fromHeight: this.height(now), direction: 0, startMs: now };
  }
}

const reportKey = (r: Omit<BollardReport, 'bollardId' | 'controllerId' | 'observeTime'>) =>
  `${r.position}|${r.loopOccupied}|${r.obstacle}|${r.powerOk}|${r.fallbackActive}`;

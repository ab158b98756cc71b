// A simulated street-lamp controller (the box on the pole that dims the driver): obeys level
// commands in sequence order with a linear ramp, acknowledges each one, meters its power, and
// falls back to its own astronomical night schedule when it stops hearing the lighting service.
// Pure: no I/O, no clock of its own — every method takes the time (ms since the epoch on the
// simulation clock), so tests and benchmarks decide what time it is.
import type { Duration } from '@slimstad/contracts/gen/google/protobuf/duration';
import {
  CommandResult,
  type ControllerFailure,
  type LampCommand,
  type LampCommandAck,
  type LampFeedback,
  type LightingHeartbeat,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/control';
import SunCalc from 'suncalc';

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

export interface LampControllerOptions {
  lampId: string;
  zoneId: string;
  controllerId: string;
  /** Power at 100 %, watts. */
  ratedPowerWatts: number;
  /** Where the pole stands: the controller's own astronomical clock works from it. */
  location: GeoPoint;
  /** Silence of the service after which the controller runs its own schedule (default 30 s). */
  failSafeAfterMs?: number;
  /** Level of the own night schedule, percent (default 100 until a command or heartbeat sets it). */
  fallbackLevel?: number;
  /** Draw of the controller itself, watts, added at every level (default 0.5). */
  standbyWatts?: number;
  /**
   * When the controller was powered on. Given, a controller that never hears the service falls
   * back `failSafeAfterMs` after it; omitted, it falls back only after a first contact was lost.
   */
  poweredOnMs?: number;
}

/** A fault injected by a test or a chaos run. */
export interface LampFault {
  /** The controller hears nothing and answers nothing (radio or gateway down). */
  unresponsive?: boolean;
  /** Multiplies the metered power: 0 for a burnt-out lamp, 1.3 for a driver drawing too much. */
  powerFactor?: number;
  /** Failure flags reported in feedback. */
  failures?: ControllerFailure[];
}

/** Sun altitude at suncalc's sunset and sunrise (upper limb on the horizon, with refraction). */
const SUNSET_ALTITUDE_RAD = (-0.833 * Math.PI) / 180;

interface Ramp {
  fromLevel: number;
  toLevel: number;
  startMs: number;
  durationMs: number;
}

export const durationToMs = (d: Duration | undefined): number =>
  d ? Number(d.seconds) * 1000 + Math.floor(d.nanos / 1_000_000) : 0;

export class LampController {
  readonly lampId: string;
  readonly zoneId: string;
  readonly controllerId: string;
  readonly ratedPowerWatts: number;
  readonly location: GeoPoint;
  readonly standbyWatts: number;
  private failSafeAfter: number;
  private fallback: number;
  private lastSequence = 0n;
  private lastContactMs: number | undefined;
  private ramp: Ramp = { fromLevel: 0, toLevel: 0, startMs: 0, durationMs: 0 };
  private fault: LampFault = {};

  constructor(options: LampControllerOptions) {
    this.lampId = options.lampId;
    this.zoneId = options.zoneId;
    this.controllerId = options.controllerId;
    this.ratedPowerWatts = options.ratedPowerWatts;
    this.location = options.location;
    this.standbyWatts = options.standbyWatts ?? 0.5;
    this.failSafeAfter = options.failSafeAfterMs ?? 30_000;
    this.fallback = options.fallbackLevel ?? 100;
    this.lastContactMs = options.poweredOnMs;
  }

  /** Sequence of the last applied command (0 before any). */
  get lastAppliedSequence(): bigint {
    return this.lastSequence;
  }

  /** The level the last applied command goes to, percent (what a STALE ack reports). */
  get targetLevel(): number {
    return this.ramp.toLevel;
  }

  get failSafeAfterMs(): number {
    return this.failSafeAfter;
  }

  get fallbackLevel(): number {
    return this.fallback;
  }

  /** False while an `unresponsive` fault is set: it then neither hears nor answers. */
  get responsive(): boolean {
    return !this.fault.unresponsive;
  }

  /**
   * Handles a command: APPLIED when its sequence is newer than the last applied one (the ramp
   * from the current level starts now), STALE for an older or repeated sequence (a retry whose
   * ack was lost, or a replay), REJECTED for a level the driver cannot take or another lamp's
   * command. Undefined while unresponsive: no answer at all.
   *
   * Only an applied command counts as contact with the service (ends fallback): a replayed old
   * command proves nothing about whether the service is still there.
   */
  command(cmd: LampCommand, now: number): LampCommandAck | undefined {
    if (this.fault.unresponsive) return undefined;
    const ack = (result: CommandResult, level: number): LampCommandAck => ({
      lampId: this.lampId,
      controllerId: this.controllerId,
      sequence: cmd.sequence,
      result,
      level,
      acknowledgeTime: new Date(now),
    });
    if (
      cmd.level > 100 ||
      !Number.isInteger(cmd.level) ||
      cmd.level < 0 ||
      (cmd.lampId !== '' && cmd.lampId !== this.lampId)
    ) {
      return ack(CommandResult.COMMAND_RESULT_REJECTED, this.ramp.toLevel);
    }
    if (cmd.sequence <= this.lastSequence) {
      return ack(CommandResult.COMMAND_RESULT_STALE, this.ramp.toLevel);
    }
    // The ramp starts from what the lamp shows now, fallback schedule included.
    const fromLevel = this.levelAt(now);
    this.lastSequence = cmd.sequence;
    this.ramp = {
      fromLevel,
      toLevel: cmd.level,
      startMs: now,
      durationMs: Math.max(0, durationToMs(cmd.transition)),
    };
    this.takeFallbackLevel(cmd.fallbackLevel);
    this.lastContactMs = now;
    return ack(CommandResult.COMMAND_RESULT_APPLIED, cmd.level);
  }

  /** The service is alive: records the contact and takes the zone's fail-safe settings. */
  heartbeat(hb: LightingHeartbeat, now: number): void {
    if (this.fault.unresponsive) return;
    const failSafeAfter = durationToMs(hb.failSafeAfter);
    if (failSafeAfter > 0) this.failSafeAfter = failSafeAfter;
    this.takeFallbackLevel(hb.fallbackLevel);
    this.lastContactMs = Math.max(this.lastContactMs ?? now, now);
  }

  // 0 is proto3's "not set" and would switch a cut-off park dark: keep the previous level.
  private takeFallbackLevel(level: number): void {
    if (level > 0 && level <= 100) this.fallback = level;
  }

  /** Whether the service has been silent for longer than the fail-safe delay. */
  fallbackActive(now: number): boolean {
    return this.lastContactMs !== undefined && now - this.lastContactMs > this.failSafeAfter;
  }

  /** Whether the sun is below the horizon at the pole (between local sunset and sunrise). */
  isNight(now: number): boolean {
    const { altitude } = SunCalc.getPosition(
      new Date(now),
      this.location.latitude,
      this.location.longitude,
    );
    return altitude < SUNSET_ALTITUDE_RAD;
  }

  /** The level the lamp shows at `now`, percent, not rounded. */
  levelAt(now: number): number {
    if (this.fallbackActive(now)) return this.isNight(now) ? this.fallback : 0;
    const { fromLevel, toLevel, startMs, durationMs } = this.ramp;
    if (now >= startMs + durationMs) return toLevel;
    if (now <= startMs) return fromLevel;
    return fromLevel + ((toLevel - fromLevel) * (now - startMs)) / durationMs;
  }

  /** Metered draw at `now`, watts. */
  powerAt(now: number): number {
    const watts = (this.ratedPowerWatts * this.levelAt(now)) / 100 + this.standbyWatts;
    return watts * (this.fault.powerFactor ?? 1);
  }

  feedback(now: number): LampFeedback {
    return {
      lampId: this.lampId,
      controllerId: this.controllerId,
      actualLevel: Math.round(this.levelAt(now)),
      powerWatts: Math.round(this.powerAt(now) * 100) / 100,
      failures: [...(this.fault.failures ?? [])],
      fallbackActive: this.fallbackActive(now),
      observeTime: new Date(now),
    };
  }

  /** Replaces the current fault (not merged with it). */
  setFault(fault: LampFault): void {
    this.fault = { ...fault, failures: [...(fault.failures ?? [])] };
  }

  clearFault(): void {
    this.fault = {};
  }

  get currentFault(): Readonly<LampFault> {
    return this.fault;
  }
}

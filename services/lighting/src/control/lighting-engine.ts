// The control loop of the city's lamps. It holds the topology (zones, lamps, profiles, the
// path graph), the overrides in force, presence, and one command link per lamp, and turns
// every event — a detection, an acknowledgement, feedback, the passing of time — into lamp
// commands, health changes and energy bookings. Decisions are the domain's pure functions;
// this class only feeds them and carries out their results.
import { LampCommanded, LampFailed, LampRecovered, LightingHeartbeat } from '@slimstad/contracts';
import {
  LampCommand,
  type LampCommandAck,
  type LampFeedback,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/control';
import type { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import {
  type Bus,
  type Clock,
  enqueueEvent,
  type Logger,
  type Metrics,
  realDelay,
} from '@slimstad/kit';
import type { Kysely } from 'kysely';
import {
  acknowledge,
  checkTimeouts,
  type LampLink,
  type LinkAction,
  type LinkPolicy,
  newLink,
  type PendingCommand,
  requestLevel,
} from '../domain/command-link.js';
import { decideLamp, type LampDecision, overrideActive } from '../domain/decide.js';
import {
  type EnergyBooking,
  EnergyMeter,
  mergeBookings,
  type ZoneCalendar,
} from '../domain/energy.js';
import {
  assessFeedback,
  type HealthChange,
  healthChange,
  type LampHealth,
  type PowerTolerance,
} from '../domain/lamp-health.js';
import { nightTime } from '../domain/local-time.js';
import {
  defaultProfile,
  type LampSpec,
  type OverrideRule,
  type Profile,
  type TravelMode,
  type ZoneSpec,
} from '../domain/model.js';
import { PathGraph } from '../domain/path-graph.js';
import { PresenceTracker } from '../domain/presence.js';
import { type ZoneMode, zoneMode } from '../domain/schedule.js';
import { nightWindow } from '../domain/sun.js';
import { appendAudit } from '../store/audit.repository.js';
import type { LightingDatabase } from '../store/db.js';
import { overridesInForce } from '../store/override.repository.js';
import {
  addEnergy,
  type LampStateUpdate,
  loadLampStates,
  saveLampStates,
} from '../store/state.repository.js';
import { listLamps, listProfiles, listZones } from '../store/topology.repository.js';
import { ackResult, controlSource, duration, failureReason, failureToken } from './wire.js';

export interface EngineOptions {
  db: Kysely<LightingDatabase>;
  bus: Bus;
  /** The city's clock: schedules, holds, overrides and energy run on it. */
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Kicked after a failure or recovery event is written to the outbox. */
  outbox: { kick(): void };
  /** Acknowledgement timing, in real milliseconds. */
  link: LinkPolicy;
  /** Real ms between evaluations of every lamp (holds lapse, dusk and dawn, timeouts). */
  tickMs: number;
  /** Real ms between heartbeats to each zone's controllers. */
  heartbeatMs: number;
  /** Clock ms a controller may go without heartbeats before its own schedule takes over. */
  failSafeAfterMs: number;
  /** Detections observed longer ago than this (clock ms) are ignored (replays, backlogs). */
  maxDetectionAgeMs: number;
  /** Real ms between saves of lamp state and energy. */
  persistMs: number;
  powerTolerance?: PowerTolerance;
  realNow?: () => number;
}

/** One lamp as the loop sees it. */
interface LampRuntime {
  spec: LampSpec;
  link: LampLink;
  health: LampHealth;
  decision?: LampDecision;
  actualLevel?: number;
  powerWatts?: number;
  lastReportAt?: number;
}

export interface LampView {
  spec: LampSpec;
  decision?: LampDecision;
  command?: PendingCommand;
  sequence: bigint;
  actualLevel?: number;
  powerWatts?: number;
  health: LampHealth;
  presenceUntil?: number;
  lastReportAt?: number;
}

const SYSTEM = 'system:lighting';

export class LightingEngine {
  private zones = new Map<string, ZoneSpec>();
  private profiles = new Map<string, Profile>();
  private lamps = new Map<string, LampRuntime>();
  private graph = new PathGraph([]);
  private detectors = new Map<string, string[]>();
  private controllers = new Map<string, string>();
  /** Per lamp, the dim level a controller last metered through ingest (paired with its power). */
  private readonly meteredLevel = new Map<string, { level: number; at: number }>();
  private overrides: OverrideRule[] = [];
  private readonly presence = new PresenceTracker();
  private readonly meter: EnergyMeter;
  private pendingEnergy: EnergyBooking[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private ticking: Promise<void> | undefined;
  private lastPersist = 0;
  private stopped = false;
  private readonly realNow: () => number;
  private readonly m;

  constructor(private readonly o: EngineOptions) {
    this.realNow = o.realNow ?? Date.now;
    const calendar: ZoneCalendar = {
      nightDate: (zoneId, t) => nightTime(t, this.zoneOf(zoneId).timeZone).nightDate,
      night: (zoneId, date) =>
        nightWindow(date, this.zoneOf(zoneId).location, this.profileOf(zoneId)),
    };
    this.meter = new EnergyMeter(calendar);
    const { metrics } = o;
    this.m = {
      detections: metrics.counter(
        'detections_total',
        'Presence and count readings, by mode and outcome.',
        ['mode', 'outcome'],
      ),
      latency: metrics.histogram(
        'detection_to_command_seconds',
        'From receiving a detection to its lamp commands being published.',
        [],
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      ),
      commands: metrics.counter(
        'commands_total',
        'Lamp commands published, by source and attempt.',
        ['source', 'attempt'],
      ),
      acks: metrics.counter('command_acks_total', 'Controller acknowledgements, by result.', [
        'result',
      ]),
      failures: metrics.counter('lamp_failures_total', 'Lamps declared failed, by reason.', [
        'reason',
      ]),
      lamps: metrics.gauge('lamps', 'Lamps, by status.', ['status']),
      usedEnergy: metrics.counter('energy_used_joules_total', 'Energy the lamps used, by zone.', [
        'zone',
      ]),
      baselineEnergy: metrics.counter(
        'energy_baseline_joules_total',
        'Energy the same lamps would use always on at full level over the same night hours, by zone.',
        ['zone'],
      ),
    };
  }

  private zoneOf(zoneId: string): ZoneSpec {
    const zone = this.zones.get(zoneId);
    if (!zone) throw new Error(`zone ${zoneId} is not loaded`);
    return zone;
  }

  private profileOf(zoneId: string): Profile {
    return this.profiles.get(zoneId) ?? defaultProfile(zoneId);
  }

  /** Loads everything, restores each lamp's sequence, health and meter, and starts the loop. */
  async start(): Promise<void> {
    await this.reload();
    const states = await loadLampStates(this.o.db);
    const now = this.o.clock.now();
    for (const [id, rt] of this.lamps) {
      const state = states.get(id);
      if (!state) continue;
      rt.link = newLink(BigInt(state.sequence));
      rt.health = {
        status: state.status,
        reason: (state.failure_reason ?? undefined) as LampHealth['reason'],
        detail: state.failure_detail ?? undefined,
      };
      rt.actualLevel = state.actual_level ?? undefined;
      rt.powerWatts = state.power_w ?? undefined;
      rt.lastReportAt = state.last_report_at?.getTime();
      // Energy keeps counting through a restart: from where it was booked last, at the level
      // the lamp last confirmed (it keeps burning while the service is away).
      const from = Math.min(now, state.metered_until?.getTime() ?? now);
      this.meter.track(rt.spec, rt.actualLevel ?? 0, from);
    }
    this.updateStatusGauge();
    this.timers.add(setInterval(() => void this.tick(), this.o.tickMs));
    this.timers.add(setInterval(() => void this.heartbeat(), this.o.heartbeatMs));
    await this.tick();
    await this.heartbeat();
  }

  /** Stops the loop after a last evaluation, and saves state and energy. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.ticking;
    await this.persist(true);
  }

  /**
   * Re-reads zones, lamps, profiles and overrides (after an API change, and periodically for
   * changes made through another replica). Lamps keep their links and health.
   */
  async reload(): Promise<void> {
    const db = this.o.db;
    const [zones, lamps, profiles, overrides] = await Promise.all([
      listZones(db, undefined, 100_000),
      listLamps(db),
      listProfiles(db),
      overridesInForce(db, new Date(this.o.clock.now())),
    ]);
    this.zones = new Map(zones.map((z) => [z.value.id, z.value]));
    this.profiles = profiles;
    const next = new Map<string, LampRuntime>();
    const detectors = new Map<string, string[]>();
    const controllers = new Map<string, string>();
    const now = this.o.clock.now();
    for (const { value: spec } of lamps) {
      const prior = this.lamps.get(spec.id);
      next.set(
        spec.id,
        prior ? { ...prior, spec } : { spec, link: newLink(), health: { status: 'ok' } },
      );
      if (!this.meter.has(spec.id)) this.meter.track(spec, 0, now);
      for (const d of spec.detectorIds) detectors.set(d, [...(detectors.get(d) ?? []), spec.id]);
      controllers.set(spec.controllerId, spec.id);
    }
    for (const id of this.lamps.keys()) if (!next.has(id)) this.meter.untrack(id);
    this.lamps = next;
    this.detectors = detectors;
    this.controllers = controllers;
    this.graph = new PathGraph(lamps.map((l) => l.value));
    this.overrides = overrides;
  }

  /** A presence or count reading from ingest. */
  async onDetection(reading: Reading, mode: TravelMode, receivedRealMs: number): Promise<void> {
    const lampIds = this.detectors.get(reading.deviceId);
    if (!lampIds) return void this.m.detections.inc({ mode, outcome: 'unknown_detector' });
    if (!(reading.value > 0)) return void this.m.detections.inc({ mode, outcome: 'no_presence' });
    const now = this.o.clock.now();
    const observed = reading.observedAt?.getTime();
    if (observed !== undefined && now - observed > this.o.maxDetectionAgeMs) {
      return void this.m.detections.inc({ mode, outcome: 'stale' });
    }
    this.m.detections.inc({ mode, outcome: 'accepted' });
    const { raised, withdrawn } = this.presence.detect(
      { lampIds, mode, at: now },
      this.graph,
      (lampId) => {
        const zoneId = this.lamps.get(lampId)?.spec.zoneId ?? '';
        return this.profileOf(zoneId);
      },
    );
    const rising: string[] = [...withdrawn];
    for (const [lampId, hold] of raised) {
      if (hold.from <= now) rising.push(lampId);
      else this.evaluateAt(lampId, hold.from);
    }
    await this.evaluate(rising);
    this.m.latency.observe((this.realNow() - receivedRealMs) / 1000);
  }

  /** A controller acknowledged (or refused) a command. */
  async onAck(ack: LampCommandAck): Promise<void> {
    const rt = this.lamps.get(ack.lampId);
    const result = ackResult(ack.result);
    this.m.acks.inc({ result: result ?? 'unknown' });
    if (!rt || !result) return;
    const current = rt.link.command;
    const actions = acknowledge(rt.link, { sequence: ack.sequence, result }, this.realNow());
    if (result === 'applied' && current && current.sequence === ack.sequence) {
      this.booked(
        this.meter.change(rt.spec.id, ack.level, current.transitionMs, this.o.clock.now()),
      );
      rt.actualLevel = ack.level;
    }
    rt.lastReportAt = this.o.clock.now();
    await this.carryOut(rt, actions);
  }

  /** A controller reported its level, power draw and failure flags. */
  async onFeedback(feedback: LampFeedback): Promise<void> {
    const rt = this.lamps.get(feedback.lampId);
    if (!rt) return;
    const now = this.o.clock.now();
    rt.powerWatts = feedback.powerWatts;
    rt.lastReportAt = now;
    // The lamp's own account of its level wins over what the meter assumed (a controller on
    // its fail-safe schedule, a command lost on the way).
    const metered = this.meter.level(rt.spec.id, now);
    const inTransition = rt.link.command && !rt.link.command.acknowledged;
    if (!inTransition && metered !== undefined && Math.abs(metered - feedback.actualLevel) > 1) {
      this.booked(this.meter.change(rt.spec.id, feedback.actualLevel, 0, now));
    }
    rt.actualLevel = feedback.actualLevel;
    const assessed = assessFeedback(
      rt.spec,
      { ...feedback, failures: feedback.failures.map(failureToken) },
      this.o.powerTolerance,
    );
    // Feedback shows the controller talks, not that it hears: only an acknowledgement clears
    // "unreachable".
    if (assessed.status === 'ok' && rt.health.status === 'unreachable') return;
    await this.setHealth(rt, assessed);
  }

  /**
   * A lamp controller's metering that came through ingest (LoRaWAN controllers report
   * `dim_level` and `power` as readings of their device): the level is kept, and each power
   * reading is judged like feedback at the level metered with it.
   */
  async onControllerReading(reading: Reading): Promise<void> {
    const lampId = this.controllers.get(reading.deviceId);
    const rt = lampId && this.lamps.get(lampId);
    if (!rt) return;
    const at = reading.observedAt?.getTime() ?? this.o.clock.now();
    if (reading.metric === 'dim_level') {
      this.meteredLevel.set(rt.spec.id, { level: Math.round(reading.value), at });
      return;
    }
    if (reading.metric !== 'power') return;
    const metered = this.meteredLevel.get(rt.spec.id);
    // The level of the same uplink (or one a minute old at most), else the last one confirmed.
    const level = metered && Math.abs(at - metered.at) <= 60_000 ? metered.level : rt.actualLevel;
    if (level === undefined) return;
    await this.onFeedback({
      lampId: rt.spec.id,
      controllerId: rt.spec.controllerId,
      actualLevel: level,
      powerWatts: reading.value,
      failures: [],
      fallbackActive: false,
      observeTime: reading.observedAt,
    });
  }

  /** Evaluates a lamp when its scheduled rise comes (on the clock; the tick is the safety net). */
  private evaluateAt(lampId: string, at: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (!this.stopped)
          void this.evaluate([lampId]).catch((error) =>
            this.o.log.warn({ err: error }, 'evaluation failed'),
          );
      },
      realDelay(this.o.clock, at - this.o.clock.now()),
    );
    this.timers.add(timer);
  }

  /** Evaluates lamps and sends the commands their new levels need. */
  private async evaluate(lampIds: Iterable<string>): Promise<void> {
    const now = this.o.clock.now();
    const real = this.realNow();
    const floor = BigInt(Date.now());
    const modes = new Map<string, ZoneMode>();
    const sends: Promise<void>[] = [];
    for (const id of lampIds) {
      const rt = this.lamps.get(id);
      const zone = rt && this.zones.get(rt.spec.zoneId);
      if (!rt || !zone) continue;
      const profile = this.profileOf(zone.id);
      let mode = modes.get(zone.id);
      if (!mode) {
        mode = zoneMode(now, zone, profile);
        modes.set(zone.id, mode);
      }
      const decision = decideLamp({
        lamp: rt.spec,
        mode,
        presenceUntil: this.presence.activeUntil(id, now),
        overrides: this.overrides,
        now,
      });
      rt.decision = decision;
      const current = rt.link.command?.level ?? rt.actualLevel ?? 0;
      const transitionMs = decision.level >= current ? profile.rampUpMs : profile.rampDownMs;
      for (const action of requestLevel(rt.link, { ...decision, transitionMs }, real, floor)) {
        if (action.kind === 'send') sends.push(this.send(rt, action.command));
      }
    }
    await Promise.all(sends);
  }

  private async send(rt: LampRuntime, command: PendingCommand): Promise<void> {
    const { spec } = rt;
    const message = LampCommand.fromPartial({
      lampId: spec.id,
      zoneId: spec.zoneId,
      controllerId: spec.controllerId,
      sequence: command.sequence,
      level: command.level,
      transition: duration(command.transitionMs),
      source: controlSource(command.source),
      issueTime: new Date(this.o.clock.now()),
      fallbackLevel: this.profileOf(spec.zoneId).fallbackLevel,
      attempt: command.attempts,
    });
    try {
      await this.o.bus.publish(LampCommanded, { zone: spec.zoneId, lamp: spec.id }, message, {
        msgId: `cmd:${spec.id}:${command.sequence}:${command.attempts}`,
      });
      this.m.commands.inc({
        source: command.source,
        attempt: command.attempts === 1 ? 'first' : 'retry',
      });
    } catch (error) {
      // Not lost: without an acknowledgement the link sends it again.
      this.o.log.warn(
        { err: error, lamp: spec.id },
        'lamp command not published; it will be retried',
      );
    }
  }

  private async carryOut(rt: LampRuntime, actions: LinkAction[]): Promise<void> {
    for (const action of actions) {
      if (action.kind === 'send') await this.send(rt, action.command);
      else if (action.kind === 'unreachable') {
        await this.setHealth(rt, {
          status: 'unreachable',
          reason: 'unreachable',
          detail: `no acknowledgement of command ${action.command.sequence} after ${action.command.attempts} attempts`,
        });
      } else if (action.kind === 'reachable' && rt.health.status === 'unreachable') {
        await this.setHealth(rt, { status: 'ok' });
      } else if (action.kind === 'rejected') {
        await this.setHealth(rt, {
          status: 'failed',
          reason: 'reported_failure',
          detail: `controller refused level ${action.command.level} % (command ${action.command.sequence})`,
        });
      }
    }
  }

  /** Records a health change and announces it through the outbox, in one transaction. */
  private async setHealth(rt: LampRuntime, next: LampHealth): Promise<void> {
    const change: HealthChange = healthChange(rt.health, next);
    rt.health = next;
    if (!change) return;
    const { spec } = rt;
    const at = new Date(this.o.clock.now());
    this.updateStatusGauge();
    if (change.kind === 'failed')
      this.m.failures.inc({ reason: change.health.reason ?? 'unknown' });
    this.o.log.warn(
      { lamp: spec.id, zone: spec.zoneId, health: next },
      change.kind === 'failed' ? 'lamp failed' : 'lamp recovered',
    );
    try {
      await this.o.db.transaction().execute(async (trx) => {
        await saveLampStates(trx, [this.stateOf(rt, this.o.clock.now())]);
        if (change.kind === 'failed') {
          await enqueueEvent(
            trx as never,
            LampFailed,
            { zone: spec.zoneId, lamp: spec.id },
            {
              lampId: spec.id,
              zoneId: spec.zoneId,
              controllerId: spec.controllerId,
              reason: failureReason(change.health.reason),
              detail: change.health.detail ?? '',
              detectTime: at,
              commandedLevel: rt.link.command?.level ?? 0,
              powerWatts: rt.powerWatts ?? 0,
              failures: [],
            },
            'lighting',
          );
        } else {
          await enqueueEvent(
            trx as never,
            LampRecovered,
            { zone: spec.zoneId, lamp: spec.id },
            {
              lampId: spec.id,
              zoneId: spec.zoneId,
              previousReason: failureReason(change.previous),
              recoverTime: at,
            },
            'lighting',
          );
        }
      });
      this.o.outbox.kick();
    } catch (error) {
      this.o.log.error({ err: error, lamp: spec.id }, 'could not record a lamp health change');
    }
  }

  /** One pass of the loop; never two at once. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.runTick()
      .catch((error) => this.o.log.error({ err: error }, 'lighting tick failed'))
      .finally(() => {
        this.ticking = undefined;
      });
    return this.ticking;
  }

  private async runTick(): Promise<void> {
    const now = this.o.clock.now();
    const real = this.realNow();
    this.presence.expire(now);
    await this.expireOverrides(now);
    await this.evaluate(this.lamps.keys());
    for (const rt of this.lamps.values()) {
      const actions = checkTimeouts(rt.link, real, this.o.link);
      if (actions.length > 0) await this.carryOut(rt, actions);
    }
    if (real - this.lastPersist >= this.o.persistMs) await this.persist(false);
  }

  /** Drops overrides that ended and notes each in the audit, once. */
  private async expireOverrides(now: number): Promise<void> {
    const ended = this.overrides.filter((o) => !overrideActive(o, now) && o.startMs <= now);
    if (ended.length === 0) return;
    this.overrides = this.overrides.filter((o) => !ended.includes(o));
    for (const o of ended) {
      if (o.clearedAtMs !== undefined) continue; // clearing was audited by whoever cleared it
      await appendAudit(this.o.db, {
        at: new Date(o.endMs),
        actor: SYSTEM,
        action: 'override.expired',
        target: `override:${o.id}`,
        detail: { zoneId: o.zoneId, lampId: o.lampId ?? null, level: o.level },
      }).catch((error) =>
        this.o.log.warn({ err: error, override: o.id }, 'could not audit an override expiry'),
      );
    }
  }

  private booked(bookings: EnergyBooking[]): void {
    if (bookings.length > 0) this.pendingEnergy.push(...bookings);
  }

  /** Saves every lamp's state and the energy booked since the last save. */
  private async persist(final: boolean): Promise<void> {
    const now = this.o.clock.now();
    this.lastPersist = this.realNow();
    const bookings = mergeBookings([...this.pendingEnergy, ...this.meter.flush(now)]);
    this.pendingEnergy = [];
    const states = [...this.lamps.values()].map((rt) => this.stateOf(rt, now));
    try {
      await this.o.db.transaction().execute(async (trx) => {
        await addEnergy(trx, bookings);
        await saveLampStates(trx, states);
      });
      for (const b of bookings) {
        this.m.usedEnergy.inc({ zone: b.zoneId }, b.usedWh * 3600);
        this.m.baselineEnergy.inc({ zone: b.zoneId }, b.baselineWh * 3600);
      }
    } catch (error) {
      // Keep the bookings for the next save; a lost save must not lose energy.
      this.pendingEnergy.push(...bookings);
      this.o.log.error({ err: error, final }, 'could not save lamp state and energy');
    }
  }

  private stateOf(rt: LampRuntime, now: number): LampStateUpdate {
    return {
      lampId: rt.spec.id,
      zoneId: rt.spec.zoneId,
      sequence: rt.link.sequence,
      commandedLevel: rt.link.command?.level ?? null,
      actualLevel: rt.actualLevel ?? null,
      powerWatts: rt.powerWatts ?? null,
      status: rt.health.status,
      failureReason: rt.health.reason ?? null,
      failureDetail: rt.health.detail ?? null,
      meteredUntil: new Date(now),
      lastReportAt: rt.lastReportAt === undefined ? null : new Date(rt.lastReportAt),
    };
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    const now = this.o.clock.now();
    await Promise.all(
      [...this.zones.keys()].map((zoneId) =>
        this.o.bus
          .publish(
            LightingHeartbeat,
            { zone: zoneId },
            {
              zoneId,
              sendTime: new Date(now),
              failSafeAfter: duration(this.o.failSafeAfterMs),
              fallbackLevel: this.profileOf(zoneId).fallbackLevel,
            },
            { msgId: `hb:${zoneId}:${now}` },
          )
          .catch((error) =>
            this.o.log.warn({ err: error, zone: zoneId }, 'heartbeat not published'),
          ),
      ),
    );
  }

  private updateStatusGauge(): void {
    const counts = { ok: 0, unreachable: 0, failed: 0 };
    for (const rt of this.lamps.values()) counts[rt.health.status] += 1;
    for (const [status, n] of Object.entries(counts)) this.m.lamps.set({ status }, n);
  }

  /** The live view of lamps (the API's ListLampStates). */
  view(zoneId?: string): LampView[] {
    const views: LampView[] = [];
    for (const rt of this.lamps.values()) {
      if (zoneId && rt.spec.zoneId !== zoneId) continue;
      views.push({
        spec: rt.spec,
        decision: rt.decision,
        command: rt.link.command && { ...rt.link.command },
        sequence: rt.link.sequence,
        actualLevel: rt.actualLevel,
        powerWatts: rt.powerWatts,
        health: rt.health,
        presenceUntil: this.presence.presenceUntil(rt.spec.id),
        lastReportAt: rt.lastReportAt,
      });
    }
    return views.sort((a, b) => (a.spec.id < b.spec.id ? -1 : 1));
  }

  /** Applies a change made through the API at once: reload and re-evaluate. */
  async changed(): Promise<void> {
    await this.reload();
    await this.evaluate(this.lamps.keys());
  }

  /** Books energy up to now (the energy report then includes the current hour). */
  async flushEnergy(): Promise<void> {
    await this.persist(false);
  }
}

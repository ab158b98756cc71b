// The control loop of the city's bollards. It feeds every input — an access request, a
// controller's acknowledgement or report, an operator's action, the passing of time — to the
// pure BollardControl, and commits the unit of work it returns: audit records, outbox events
// and bollard snapshots in one transaction. Units arriving while a transaction is in flight are
// committed together in the next one (group commit), so a burst of requests costs a few
// transactions, not one each. A failed commit fails every unit in it (their messages are
// redelivered) and the control is reloaded from the store, which is the truth.
import { context } from '@opentelemetry/api';
import { BollardsHeartbeat } from '@slimstad/contracts';
import type {
  AccessRequest as AccessRequestMessage,
  BollardCommandAck,
  BollardReport,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import {
  activeTraceId,
  type Bus,
  type Clock,
  type Logger,
  type Metrics,
  type OutboxRecord,
} from '@slimstad/kit';
import { type Kysely, sql } from 'kysely';
import type { AccessDecision, AccessRequest } from '../domain/access.js';
import { BollardControl, type Now, type Work } from '../domain/bollard-control.js';
import type { BollardPolicy, BollardState } from '../domain/bollard-machine.js';
import type { BollardsDatabase } from '../store/db.js';
import { listPermits } from '../store/permit.repository.js';
import { listBollards, listZones } from '../store/topology.repository.js';
import { loadSnapshots, type TracedWork, writeWork } from '../store/work.repository.js';
import { commandResults, positions, requestSources } from './wire.js';

export interface EngineOptions {
  db: Kysely<BollardsDatabase>;
  bus: Bus;
  /** The city's clock: permit windows, validity, audit times. */
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Handed the events of every commit, to publish at once. */
  outbox: { publishCommitted(records: readonly OutboxRecord[]): void };
  /** Safety timing, in real milliseconds (physics, whatever the city clock's speed). */
  policy: BollardPolicy;
  maxRequestAgeMs: number;
  tickMs: number;
  heartbeatMs: number;
  failAfterMs: number;
  realNow?: () => number;
}

interface Pending extends TracedWork {
  resolve(): void;
  reject(error: unknown): void;
}

const HASH = /^[0-9a-f]{64}$/;

/** Where the reports consumer stands on the server (`RunningConsumer.position`). */
type ReportsPosition = { pending: number; lastDelivered: number; streamLast: number };

/** Audit records per statement: well within Postgres' 65,535 bind parameters. */
const MAX_ENTRIES_PER_COMMIT = 2_000;

/** Why a field message cannot be acted on, for the dead-letter record. */
export class FieldMessageError extends Error {}

export class BollardsEngine {
  control: BollardControl;
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private ticking = false;
  /** The highest stream sequence of a controller report taken in. */
  private reportsTakenIn = 0;
  /** Real time up to which every report sent has been taken in (see `probeReports`). */
  private fieldKnownThrough = Number.POSITIVE_INFINITY;
  private reportsPosition?: () => Promise<ReportsPosition>;
  private probe?: { at: number; sequence: number };
  private readonly realNow: () => number;
  private readonly m;

  constructor(private readonly o: EngineOptions) {
    this.realNow = o.realNow ?? Date.now;
    this.control = this.newControl();
    const { metrics } = o;
    this.m = {
      decisions: metrics.counter(
        'decisions_total',
        'Access decisions, by source, rule and outcome.',
        ['source', 'rule', 'admit'],
      ),
      latency: metrics.histogram(
        'request_to_command_seconds',
        'From receiving an access request to its lower command being committed to the outbox.',
        [],
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      ),
      commands: metrics.counter(
        'commands_total',
        'Bollard commands recorded, by motion and attempt.',
        ['motion', 'attempt'],
      ),
      acks: metrics.counter('command_acks_total', 'Controller answers, by result.', ['result']),
      faults: metrics.counter('faults_total', 'Bollards gone to fault, by cause.', ['cause']),
      bollards: metrics.gauge('bollards', 'Bollards, by state.', ['state']),
      emergencies: metrics.gauge('zones_in_emergency', 'Zones in emergency mode.'),
      fallback: metrics.gauge(
        'controllers_in_fallback',
        'Bollards whose controller reports running on its fail mode (lost power or the service).',
      ),
      outboxAge: metrics.gauge(
        'outbox_oldest_seconds',
        'Age of the oldest event recorded but not yet published.',
      ),
      commitSeconds: metrics.histogram(
        'commit_seconds',
        'Duration of one group commit (audit, outbox, snapshots: one statement).',
        [],
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      ),
      commits: metrics.histogram(
        'commit_units',
        'Units of work per transaction (group commit).',
        [],
        [1, 2, 5, 10, 20, 50, 100, 200],
      ),
    };
  }

  private newControl(): BollardControl {
    return new BollardControl(this.o.policy, { maxRequestAgeMs: this.o.maxRequestAgeMs });
  }

  now(): Now {
    return { real: this.realNow(), city: this.o.clock.now() };
  }

  /** Loads zones, bollards, permits and snapshots, and starts the loop and heartbeats. */
  async start(): Promise<void> {
    this.control = await this.load();
    this.timers.add(setInterval(() => void this.tick(), this.o.tickMs));
    this.timers.add(setInterval(() => void this.heartbeat(), this.o.heartbeatMs));
    await this.heartbeat();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    await this.flushed();
  }

  private async load(): Promise<BollardControl> {
    const db = this.o.db;
    const [zones, bollards, permits, snapshots] = await Promise.all([
      listZones(db),
      listBollards(db),
      listPermits(db, { activeAt: new Date(this.o.clock.now()) }),
      loadSnapshots(db),
    ]);
    const control = this.newControl();
    for (const z of zones) {
      control.putZone(z.value, { active: z.emergency, reason: z.emergencyReason });
    }
    for (const b of bollards) control.putBollard(b.value, snapshots.get(b.value.id));
    control.replacePermits(permits.map((p) => p.permit));
    return control;
  }

  /**
   * Re-reads zones, bollards and permits (after an API change, and periodically for other
   * replicas' changes). Bollards keep their machines; emergency modes are the control's own.
   */
  async reload(): Promise<void> {
    const db = this.o.db;
    const [zones, bollards, permits] = await Promise.all([
      listZones(db),
      listBollards(db),
      listPermits(db, { activeAt: new Date(this.o.clock.now()) }),
    ]);
    for (const z of zones) {
      if (this.control.zone(z.value.id)) this.control.putZone(z.value);
      else this.control.putZone(z.value, { active: z.emergency, reason: z.emergencyReason });
    }
    const snapshots = await loadSnapshots(db);
    for (const b of bollards) this.control.putBollard(b.value, snapshots.get(b.value.id));
    this.control.replacePermits(permits.map((p) => p.permit));
  }

  // ---- inputs ----

  /** An access request from a reader gateway. Resolves once the decision is recorded. */
  async onRequest(message: AccessRequestMessage, receivedRealMs: number): Promise<AccessDecision> {
    const source = requestSources.fromWire(message.source);
    if (!source) throw new FieldMessageError(`unknown request source ${message.source}`);
    if (!message.requestId) throw new FieldMessageError('request_id is empty');
    if (message.identityHash && !HASH.test(message.identityHash)) {
      throw new FieldMessageError('identity_hash is not 64 lower-case hex digits (an HMAC-SHA256)');
    }
    if (source === 'operator') {
      throw new FieldMessageError('operator admissions come through the API, not the bus');
    }
    const now = this.now();
    const request: AccessRequest & { requestId: string } = {
      requestId: message.requestId,
      zoneId: message.zoneId,
      bollardId: message.bollardId,
      source,
      at: message.observeTime?.getTime() ?? now.city,
      identityHash: message.identityHash || undefined,
      emergency: message.emergency,
    };
    const { decision, work } = this.control.request(request, now);
    this.m.decisions.inc({ source, rule: decision.rule, admit: String(decision.admit) });
    await this.commit(work);
    if (work.entries.some((e) => e.event?.kind === 'command')) {
      this.m.latency.observe((this.realNow() - receivedRealMs) / 1000);
    }
    return decision;
  }

  /** An operator admits a vehicle at a bollard (the API checked the role). */
  async admitByOperator(bollardId: string, subject: string, reason: string) {
    const b = this.control.bollard(bollardId);
    if (!b) throw new Error(`bollard ${bollardId} is not loaded`);
    const now = this.now();
    const { decision, work } = this.control.request(
      {
        requestId: `op-${now.real}-${bollardId}`,
        zoneId: b.spec.zoneId,
        bollardId,
        source: 'operator',
        at: now.city,
        operator: { subject, reason },
      },
      now,
    );
    this.m.decisions.inc({
      source: 'operator',
      rule: decision.rule,
      admit: String(decision.admit),
    });
    await this.commit(work);
    return decision;
  }

  /** Would this be admitted? Acts on nothing. */
  dryRun(request: AccessRequest): AccessDecision {
    return this.control.decide(request);
  }

  async onAck(ack: BollardCommandAck): Promise<void> {
    const result = commandResults.fromWire(ack.result);
    this.m.acks.inc({ result: result ?? 'unknown' });
    if (!result) throw new FieldMessageError(`unknown command result ${ack.result}`);
    const now = this.now();
    await this.commit(
      this.control.acknowledged(
        ack.bollardId,
        {
          sequence: Number(ack.sequence),
          result,
          lastSequence: Number(ack.lastSequence),
          detail: ack.detail,
          at: ack.acknowledgeTime?.getTime() ?? now.real,
        },
        now,
      ),
    );
  }

  async onReport(report: BollardReport, streamSequence = 0): Promise<void> {
    const now = this.now();
    // Taken in as of now: the control applies it synchronously below.
    this.reportsTakenIn = Math.max(this.reportsTakenIn, streamSequence);
    await this.commit(
      this.control.reported(
        report.bollardId,
        {
          position: positions.fromWire(report.position),
          loopOccupied: report.loopOccupied,
          obstacle: report.obstacle,
          fallbackActive: report.fallbackActive,
          observedAt: report.observeTime?.getTime() ?? now.real,
        },
        now,
      ),
    );
  }

  async setEmergency(zoneId: string, active: boolean, reason: string, actor: string) {
    await this.commit(this.control.setEmergency(zoneId, active, reason, actor, this.now()));
  }

  async setMaintenance(bollardId: string, active: boolean, reason: string, actor: string) {
    await this.commit(this.control.setMaintenance(bollardId, active, reason, actor, this.now()));
  }

  /**
   * From now on, raises wait for the reports: `position` tells where the reports consumer
   * stands on the server (without it, as in unit tests, the field is taken as always known).
   */
  watchReports(position: () => Promise<ReportsPosition>): void {
    this.reportsPosition = position;
    this.fieldKnownThrough = Number.NEGATIVE_INFINITY;
  }

  /**
   * Moves `fieldKnownThrough` forward. Every report sent before a look at the server is at or
   * below the stream's last sequence then: once the control has taken in a report at or past
   * it, everything sent before the look is known. When no report comes after it (a quiet
   * street), the consumer having nothing pending and the control having taken in the last
   * one delivered says the same. A service behind on its reports (a burst, a restart) lowers
   * at once but raises nothing until it has caught up.
   */
  private async probeReports(): Promise<void> {
    if (!this.reportsPosition) return;
    const at = this.realNow();
    try {
      const { pending, lastDelivered, streamLast } = await this.reportsPosition();
      if (this.probe && this.reportsTakenIn >= this.probe.sequence) {
        this.fieldKnownThrough = Math.max(this.fieldKnownThrough, this.probe.at);
        this.probe = undefined;
      }
      if (
        (pending === 0 && this.reportsTakenIn >= lastDelivered) ||
        this.reportsTakenIn >= streamLast
      ) {
        this.fieldKnownThrough = at;
        this.probe = undefined;
      } else {
        this.probe ??= { at, sequence: streamLast };
      }
    } catch (error) {
      this.o.log.warn({ err: error }, 'cannot see the reports consumer; raises wait');
    }
  }

  // ---- time ----

  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.probeReports();
      await this.commit(this.control.tick(this.now(), this.fieldKnownThrough));
      this.updateGauges();
      const { rows } = await sql<{ age: number | null }>`
        select extract(epoch from now() - min(created_at))::float8 as age from outbox`.execute(
        this.o.db,
      );
      this.m.outboxAge.set(rows[0]?.age ?? 0);
    } catch (error) {
      this.o.log.warn({ err: error }, 'bollard tick failed; trying again on the next');
    } finally {
      this.ticking = false;
    }
  }

  private updateGauges(): void {
    const counts = new Map<BollardState, number>();
    let fallback = 0;
    for (const id of this.control.bollardIds()) {
      const status = this.control.status(id);
      counts.set(status.machine.state, (counts.get(status.machine.state) ?? 0) + 1);
      if (status.fallbackActive) fallback += 1;
    }
    for (const state of [
      'up',
      'lowering',
      'down',
      'raising',
      'fault',
      'maintenance',
      'emergency_down',
    ] as const) {
      this.m.bollards.set({ state }, counts.get(state) ?? 0);
    }
    this.m.fallback.set(fallback);
    let emergencies = 0;
    for (const id of this.control.zoneIds()) if (this.control.zone(id)?.emergency) emergencies += 1;
    this.m.emergencies.set(emergencies);
  }

  /** Tells each zone's controllers the service is alive (they follow their fail mode without). */
  async heartbeat(): Promise<void> {
    const sendTime = new Date(this.o.clock.now());
    const failAfter = {
      seconds: BigInt(Math.floor(this.o.failAfterMs / 1000)),
      nanos: (this.o.failAfterMs % 1000) * 1_000_000,
    };
    await Promise.all(
      [...this.control.zoneIds()].map((zoneId) =>
        this.o.bus
          .publish(
            BollardsHeartbeat,
            { zone: zoneId },
            {
              zoneId,
              sendTime,
              failAfter,
              emergencyMode: this.control.zone(zoneId)?.emergency ?? false,
            },
            { msgId: `hb:${zoneId}:${sendTime.getTime()}` },
          )
          .catch((error) => this.o.log.warn({ err: error, zoneId }, 'heartbeat not published')),
      ),
    );
  }

  // ---- commits ----

  /** Records a unit of work; resolves once committed (with the units gathered meanwhile). */
  commit(work: Work): Promise<void> {
    if (work.entries.length === 0 && work.bollards.size === 0 && work.zones.size === 0) {
      return Promise.resolve();
    }
    for (const { event } of work.entries) {
      if (event?.kind === 'command') {
        this.m.commands.inc({
          motion: event.motion,
          attempt: event.attempt > 1 ? 'retry' : 'first',
        });
      } else if (event?.kind === 'fault') {
        const cause = event.reason.startsWith('no acknowledgement')
          ? 'unacknowledged'
          : event.reason.includes('reversals')
            ? 'reversals'
            : 'controller';
        this.m.faults.inc({ cause });
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        work,
        traceId: activeTraceId(),
        context: context.active(),
        resolve,
        reject,
      });
      if (!this.writing) this.writing = this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const units = this.takeBatch();
        this.m.commits.observe(units.length);
        const began = performance.now();
        let records: OutboxRecord[];
        try {
          records = await writeWork(this.o.db, this.control, units);
          this.m.commitSeconds.observe((performance.now() - began) / 1000);
        } catch (error) {
          this.o.log.error(
            { err: error, units: units.length },
            'could not record bollard work; reloading the control from the store',
          );
          // Units queued meanwhile were built on state that never committed: they fail too.
          const failed = [...units, ...this.queue];
          this.queue = [];
          for (const u of failed) u.reject(error);
          try {
            this.control = await this.load();
          } catch (reloadError) {
            this.o.log.error({ err: reloadError }, 'reload failed; keeping the control in memory');
          }
          continue;
        }
        this.o.outbox.publishCommitted(records);
        for (const u of units) u.resolve();
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** The oldest queued units, up to MAX_ENTRIES_PER_COMMIT audit records (at least one unit). */
  private takeBatch(): Pending[] {
    let entries = 0;
    let n = 0;
    while (n < this.queue.length) {
      entries += this.queue[n]?.work.entries.length ?? 0;
      if (n > 0 && entries > MAX_ENTRIES_PER_COMMIT) break;
      n += 1;
    }
    return this.queue.splice(0, n);
  }

  /** Resolves when everything queued so far is committed (or failed). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }
}

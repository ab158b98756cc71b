// The bollards of a city under control: zones (with their emergency mode), bollards (each with
// its state machine) and the permits in force. Every input — an access request, a controller's
// acknowledgement or report, an operator's command, the passing of time — returns the decision
// and a unit of Work: audit records, each paired with the event it announces (a command, a
// decision, a state change, a fault). The service writes a unit in one transaction (audit rows,
// outbox rows, bollard snapshots), so a command is published if and only if it is recorded.
// Pure: no I/O, no clock of its own.
import {
  type AccessDecision,
  type AccessRequest,
  decideAccess,
  type Permit,
  type RequestSource,
} from './access.js';
import {
  type Bollard,
  type BollardPolicy,
  type BollardState,
  type Effect,
  type Motion,
  acknowledged as machineAcknowledged,
  admit as machineAdmit,
  emergencyOff as machineEmergencyOff,
  emergencyOn as machineEmergencyOn,
  loopChanged as machineLoopChanged,
  maintenance as machineMaintenance,
  obstacle as machineObstacle,
  positionReported as machinePositionReported,
  refused as machineRefused,
  restarted as machineRestarted,
  tick as machineTick,
  newBollard,
  type Position,
} from './bollard-machine.js';

export type FailMode = 'safe' | 'secure';

export interface ZoneSpec {
  id: string;
  name: string;
  timeZone: string;
}

export interface BollardSpec {
  id: string;
  zoneId: string;
  name: string;
  location: { latitude: number; longitude: number };
  controllerId: string;
  loopId: string;
  failMode: FailMode;
}

export interface ZoneStatus {
  spec: ZoneSpec;
  emergency: boolean;
  emergencyReason?: string;
}

/** What survives a restart of one bollard's control (the loop's state deliberately not). */
export type BollardSnapshot = Omit<Bollard, 'loopOccupied' | 'emergency' | 'id'> & {
  lastReportAt?: number;
  fallbackActive: boolean;
  /** The access request a pending lower command serves. */
  requestId?: string;
};

export type AuditKind =
  | 'decision'
  | 'command'
  | 'state'
  | 'fault'
  | 'emergency'
  | 'maintenance'
  | 'permit'
  | 'zone'
  | 'bollard';

/** One audit record; never holds a plate or badge id. */
export interface AuditRecord {
  kind: AuditKind;
  /** City time (ms) of the record. */
  at: number;
  /** An operator's subject, `system:bollards`, or the request's source. */
  actor: string;
  zoneId: string;
  bollardId?: string;
  detail: string;
  /** Decision: the rule; command: the motion; state: the new state; emergency: on/off. */
  outcome: string;
  sequence?: number;
  attempt?: number;
  requestId?: string;
}

/** An event for the bus; each one leaves with the audit record it is paired with. */
export type Outbound =
  | {
      kind: 'command';
      bollardId: string;
      zoneId: string;
      controllerId: string;
      motion: Motion;
      sequence: number;
      attempt: number;
      reason: string;
      requestId?: string;
      failMode: FailMode;
    }
  | {
      kind: 'decision';
      requestId: string;
      zoneId: string;
      bollardId: string;
      source: RequestSource;
      decision: AccessDecision;
      vehicleClass?: string;
    }
  | {
      kind: 'state';
      bollardId: string;
      zoneId: string;
      from: BollardState;
      to: BollardState;
      reason: string;
    }
  | { kind: 'fault'; bollardId: string; zoneId: string; controllerId: string; reason: string }
  | { kind: 'emergency'; zoneId: string; active: boolean; reason: string; actor: string };

export interface WorkEntry {
  audit: AuditRecord;
  event?: Outbound;
}

/** What one input changed, to be written in one transaction. */
export interface Work {
  entries: WorkEntry[];
  /** Bollards whose snapshot changed. */
  bollards: Set<string>;
  /** Zones whose emergency mode changed. */
  zones: Set<string>;
  /** One-off permits used up, with the city time. */
  permitsUsed: Map<string, number>;
}

export const emptyWork = (): Work => ({
  entries: [],
  bollards: new Set(),
  zones: new Set(),
  permitsUsed: new Map(),
});

/** Appends one unit to another (the service writes several inputs in one transaction). */
export function mergeWork(into: Work, more: Work): Work {
  into.entries.push(...more.entries);
  for (const id of more.bollards) into.bollards.add(id);
  for (const id of more.zones) into.zones.add(id);
  for (const [id, at] of more.permitsUsed) into.permitsUsed.set(id, at);
  return into;
}

/** Machine time (`real`, for acknowledgement timeouts and delays) and city time (`city`). */
export interface Now {
  real: number;
  city: number;
}

export interface ControllerReport {
  position?: Position;
  loopOccupied: boolean;
  obstacle: boolean;
  fallbackActive: boolean;
  /** Controller time of the observation. */
  observedAt: number;
}

interface BollardRuntime {
  spec: BollardSpec;
  machine: Bollard;
  lastReportAt?: number;
  /** Controller time of the newest report applied: older ones arrived late and are ignored. */
  lastObservedAt?: number;
  fallbackActive: boolean;
  requestId?: string;
}

export const SYSTEM_ACTOR = 'system:bollards';

export interface ControlOptions {
  /**
   * Requests observed longer ago than this (city ms) are refused (`request-too-old`), except
   * an emergency's: after a backlog, the vehicle has probably gone, and lowering the bollard
   * would open the way for whoever comes next.
   */
  maxRequestAgeMs: number;
}

export class BollardControl {
  private readonly zones = new Map<string, ZoneStatus>();
  private readonly bollards = new Map<string, BollardRuntime>();
  private permitsByIdentity = new Map<string, Permit[]>();
  private readonly permitsById = new Map<string, Permit>();

  constructor(
    readonly policy: BollardPolicy,
    private readonly options: ControlOptions = { maxRequestAgeMs: 30_000 },
  ) {}

  // ---- topology ----

  /** Adds or replaces a zone; its emergency mode is kept unless given. */
  putZone(spec: ZoneSpec, emergency?: { active: boolean; reason?: string }): void {
    const prior = this.zones.get(spec.id);
    this.zones.set(spec.id, {
      spec,
      emergency: emergency?.active ?? prior?.emergency ?? false,
      emergencyReason: emergency ? emergency.reason : prior?.emergencyReason,
    });
  }

  /**
   * Adds or replaces a bollard. A new one starts from its snapshot (after a restart) or up;
   * either way its loop is unknown until the controller reports.
   */
  putBollard(spec: BollardSpec, snapshot?: BollardSnapshot): void {
    const prior = this.bollards.get(spec.id);
    if (prior) {
      prior.spec = spec;
      return;
    }
    const machine = newBollard(spec.id, snapshot?.state ?? 'up');
    if (snapshot) {
      const { lastReportAt, fallbackActive, requestId, ...rest } = snapshot;
      Object.assign(machine, rest, { pending: rest.pending && { ...rest.pending } });
    }
    machine.emergency = this.zones.get(spec.zoneId)?.emergency ?? false;
    machineRestarted(machine);
    this.bollards.set(spec.id, {
      spec,
      machine,
      lastReportAt: snapshot?.lastReportAt,
      fallbackActive: snapshot?.fallbackActive ?? false,
      requestId: snapshot?.requestId,
    });
  }

  /** Adds or replaces a permit. */
  putPermit(permit: Permit): void {
    const prior = this.permitsById.get(permit.id);
    if (prior) {
      const list = this.permitsByIdentity.get(prior.identityHash) ?? [];
      this.permitsByIdentity.set(
        prior.identityHash,
        list.filter((p) => p.id !== permit.id),
      );
    }
    this.permitsById.set(permit.id, permit);
    this.permitsByIdentity.set(permit.identityHash, [
      ...(this.permitsByIdentity.get(permit.identityHash) ?? []),
      permit,
    ]);
  }

  /** Replaces every permit (a periodic reload picks up other replicas' changes). */
  replacePermits(permits: readonly Permit[]): void {
    this.permitsById.clear();
    this.permitsByIdentity = new Map();
    for (const p of permits) this.putPermit(p);
  }

  zone(id: string): ZoneStatus | undefined {
    return this.zones.get(id);
  }

  bollard(id: string): { spec: BollardSpec; machine: Readonly<Bollard> } | undefined {
    return this.bollards.get(id);
  }

  bollardIds(): IterableIterator<string> {
    return this.bollards.keys();
  }

  zoneIds(): IterableIterator<string> {
    return this.zones.keys();
  }

  /** What the store keeps of a bollard. */
  snapshot(id: string): BollardSnapshot {
    const rt = this.must(id);
    const { loopOccupied: _l, emergency: _e, id: _i, ...rest } = rt.machine;
    return {
      ...rest,
      pending: rest.pending && { ...rest.pending },
      lastReportAt: rt.lastReportAt,
      fallbackActive: rt.fallbackActive,
      requestId: rt.requestId,
    };
  }

  status(id: string) {
    const rt = this.must(id);
    return {
      spec: rt.spec,
      machine: rt.machine as Readonly<Bollard>,
      lastReportAt: rt.lastReportAt,
      fallbackActive: rt.fallbackActive,
    };
  }

  private must(id: string): BollardRuntime {
    const rt = this.bollards.get(id);
    if (!rt) throw new Error(`bollard ${id} is not loaded`);
    return rt;
  }

  // ---- decisions ----

  /** Would this request be admitted, and why? Acts on nothing (a dry run). */
  decide(request: AccessRequest): AccessDecision {
    const rt = this.bollards.get(request.bollardId);
    if (!rt || rt.spec.zoneId !== request.zoneId) {
      // An emergency vehicle is admitted even at a bollard this service does not know: nothing
      // can be lowered, but the decision must not be the one to stop it.
      if (request.emergency || request.source === 'emergency_service') {
        return decideAccess(request, [], { timeZone: 'UTC', emergencyMode: false });
      }
      return {
        admit: false,
        rule: 'unknown-bollard',
        detail: `no bollard ${request.bollardId} in zone ${request.zoneId}`,
      };
    }
    const zone = this.zones.get(rt.spec.zoneId);
    const permits = request.identityHash
      ? (this.permitsByIdentity.get(request.identityHash) ?? [])
      : [];
    return decideAccess(request, permits, {
      timeZone: zone?.spec.timeZone ?? 'UTC',
      emergencyMode: zone?.emergency ?? false,
    });
  }

  /** The permit that decided, for its class (never its identity). */
  permit(id: string | undefined): Permit | undefined {
    return id === undefined ? undefined : this.permitsById.get(id);
  }

  /**
   * An access request: decide, record the decision, and lower the bollard for an admitted
   * vehicle. A request from an emergency service also puts the zone into emergency mode.
   */
  request(
    request: AccessRequest & { requestId: string },
    now: Now,
  ): { decision: AccessDecision; work: Work } {
    const work = emptyWork();
    const emergency = request.emergency || request.source === 'emergency_service';
    const age = now.city - request.at;
    const decision: AccessDecision =
      !emergency && age > this.options.maxRequestAgeMs
        ? {
            admit: false,
            rule: 'request-too-old',
            detail: `observed ${Math.round(age / 1000)} s ago, more than ${Math.round(this.options.maxRequestAgeMs / 1000)} s`,
          }
        : this.decide({ ...request, at: now.city });
    const permit = this.permit(decision.permitId);
    const actor =
      request.source === 'operator' && request.operator
        ? request.operator.subject
        : `${request.source}`;
    work.entries.push({
      audit: {
        kind: 'decision',
        at: now.city,
        actor,
        zoneId: request.zoneId,
        bollardId: request.bollardId,
        detail: decision.detail,
        outcome: `${decision.admit ? 'admit' : 'deny'}:${decision.rule}`,
        requestId: request.requestId,
      },
      event: {
        kind: 'decision',
        requestId: request.requestId,
        zoneId: request.zoneId,
        bollardId: request.bollardId,
        source: request.source,
        decision,
        vehicleClass: permit?.vehicleClass,
      },
    });
    if (permit?.oneOff && decision.admit) {
      permit.usedAtMs = now.city;
      work.permitsUsed.set(permit.id, now.city);
    }
    const rt = this.bollards.get(request.bollardId);
    if (!rt || rt.spec.zoneId !== request.zoneId) return { decision, work };
    if (request.source === 'emergency_service') {
      const zone = this.zones.get(rt.spec.zoneId);
      if (zone && !zone.emergency) {
        mergeWork(
          work,
          this.setEmergency(
            rt.spec.zoneId,
            true,
            `emergency service request ${request.requestId} at ${rt.spec.id}`,
            `emergency_service`,
            now,
          ),
        );
      }
    }
    if (decision.admit) {
      rt.requestId = request.requestId;
      this.apply(
        rt,
        machineAdmit(
          rt.machine,
          now.real,
          this.policy,
          `admitted: ${decision.rule}`,
          decision.rule === 'emergency-vehicle',
        ),
        now,
        work,
        request.requestId,
      );
    }
    return { decision, work };
  }

  // ---- the field ----

  /** A controller answered a command. */
  acknowledged(
    bollardId: string,
    ack: {
      sequence: number;
      result: 'accepted' | 'stale' | 'rejected';
      lastSequence: number;
      detail: string;
      /** Controller time of the answer. */
      at: number;
    },
    now: Now,
  ): Work {
    const work = emptyWork();
    const rt = this.bollards.get(bollardId);
    if (!rt) return work;
    const effects =
      ack.result === 'accepted'
        ? machineAcknowledged(rt.machine, ack.sequence, ack.at)
        : machineRefused(
            rt.machine,
            ack.sequence,
            ack.result,
            ack.lastSequence,
            ack.detail,
            now.real,
          );
    this.apply(rt, effects, now, work);
    return work;
  }

  /** A controller's status report: its loop, an obstacle, its position, its fail mode. */
  reported(bollardId: string, report: ControllerReport, now: Now): Work {
    const work = emptyWork();
    const rt = this.bollards.get(bollardId);
    if (!rt) return work;
    if (rt.lastObservedAt !== undefined && report.observedAt < rt.lastObservedAt) return work;
    rt.lastObservedAt = report.observedAt;
    const effects: Effect[] = [];
    if (report.loopOccupied !== rt.machine.loopOccupied) {
      effects.push(...machineLoopChanged(rt.machine, report.loopOccupied, now.real, this.policy));
    }
    if (report.obstacle) effects.push(...machineObstacle(rt.machine, now.real, this.policy));
    if (report.position) {
      effects.push(...machinePositionReported(rt.machine, report.position, report.observedAt));
    }
    if (rt.fallbackActive !== report.fallbackActive) work.bollards.add(bollardId);
    rt.fallbackActive = report.fallbackActive;
    rt.lastReportAt = now.city;
    this.apply(rt, effects, now, work);
    return work;
  }

  /**
   * Time passes: retries, faults on silence, raises once the way is clear — and known to be:
   * `fieldKnownThrough` is the real time up to which every controller report has been taken in.
   */
  tick(now: Now, fieldKnownThrough = Number.POSITIVE_INFINITY): Work {
    const work = emptyWork();
    for (const rt of this.bollards.values()) {
      this.apply(rt, machineTick(rt.machine, now.real, this.policy, fieldKnownThrough), now, work);
    }
    return work;
  }

  // ---- operators ----

  /**
   * Emergency mode of a zone: every bollard down and held. Set by a bollard operator or an
   * emergency service; cleared only by an operator (the API checks who).
   */
  setEmergency(zoneId: string, active: boolean, reason: string, actor: string, now: Now): Work {
    const work = emptyWork();
    const zone = this.zones.get(zoneId);
    if (!zone) throw new Error(`zone ${zoneId} is not loaded`);
    zone.emergency = active;
    zone.emergencyReason = active ? `${reason} (${actor})` : undefined;
    work.zones.add(zoneId);
    work.entries.push({
      audit: {
        kind: 'emergency',
        at: now.city,
        actor,
        zoneId,
        detail: reason,
        outcome: active ? 'on' : 'off',
      },
      event: { kind: 'emergency', zoneId, active, reason, actor },
    });
    for (const rt of this.bollards.values()) {
      if (rt.spec.zoneId !== zoneId) continue;
      const effects = active
        ? machineEmergencyOn(rt.machine, now.real, `emergency mode: ${reason}`)
        : machineEmergencyOff(rt.machine, `emergency mode cleared by ${actor}: ${reason}`);
      work.bollards.add(rt.spec.id);
      this.apply(rt, effects, now, work);
    }
    return work;
  }

  /** Maintenance of a bollard (also the way out of fault), by a bollard operator. */
  setMaintenance(
    bollardId: string,
    active: boolean,
    reason: string,
    actor: string,
    now: Now,
  ): Work {
    const work = emptyWork();
    const rt = this.must(bollardId);
    work.entries.push({
      audit: {
        kind: 'maintenance',
        at: now.city,
        actor,
        zoneId: rt.spec.zoneId,
        bollardId,
        detail: reason,
        outcome: active ? 'on' : 'off',
      },
    });
    // Back from maintenance, the controller's last report says where the bollard is; without
    // one, assume down (the safe guess: it will be raised only once the loop reports clear).
    const position = rt.machine.position === 'up' ? 'up' : 'down';
    this.apply(
      rt,
      machineMaintenance(rt.machine, active, now.real, `${reason} (${actor})`, position),
      now,
      work,
    );
    work.bollards.add(bollardId);
    return work;
  }

  /** Records a change that has no machine effect (permits, zones, bollards), by an operator. */
  note(record: Omit<AuditRecord, 'at'>, now: Now): Work {
    const work = emptyWork();
    work.entries.push({ audit: { ...record, at: now.city } });
    return work;
  }

  // ---- effects → records ----

  private apply(
    rt: BollardRuntime,
    effects: readonly Effect[],
    now: Now,
    work: Work,
    requestId?: string,
  ): void {
    if (effects.length === 0) return;
    const { spec } = rt;
    work.bollards.add(spec.id);
    for (const e of effects) {
      const base = { at: now.city, actor: SYSTEM_ACTOR, zoneId: spec.zoneId, bollardId: spec.id };
      if (e.kind === 'command') {
        // A lower serves the admission that caused it, and its retries too.
        const served = e.motion === 'lower' ? (requestId ?? rt.requestId) : undefined;
        if (e.motion === 'raise') rt.requestId = undefined;
        work.entries.push({
          audit: {
            ...base,
            kind: 'command',
            detail: e.reason,
            outcome: e.motion,
            sequence: e.sequence,
            attempt: e.attempt,
            requestId: served,
          },
          event: {
            kind: 'command',
            bollardId: spec.id,
            zoneId: spec.zoneId,
            controllerId: spec.controllerId,
            motion: e.motion,
            sequence: e.sequence,
            attempt: e.attempt,
            reason: e.reason,
            requestId: served,
            failMode: spec.failMode,
          },
        });
      } else if (e.kind === 'state') {
        work.entries.push({
          audit: {
            ...base,
            kind: 'state',
            detail: `${e.from} → ${e.to}: ${e.reason}`,
            outcome: e.to,
          },
          event: {
            kind: 'state',
            bollardId: spec.id,
            zoneId: spec.zoneId,
            from: e.from,
            to: e.to,
            reason: e.reason,
          },
        });
      } else {
        work.entries.push({
          audit: { ...base, kind: 'fault', detail: e.reason, outcome: 'fault' },
          event: {
            kind: 'fault',
            bollardId: spec.id,
            zoneId: spec.zoneId,
            controllerId: spec.controllerId,
            reason: e.reason,
          },
        });
      }
    }
  }
}

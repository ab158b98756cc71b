// Messages of the BollardService ↔ the domain and store. Plates and badge ids go one way only:
// in, to be hashed; nothing here puts one in a response.
import type {
  AccessDecision as AccessDecisionMessage,
  AccessZone,
  AuditEntry,
  Bollard as BollardMessage,
  BollardStatus,
  Permit as PermitMessage,
  TimeWindow as TimeWindowMessage,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import {
  CredentialKind,
  LoopState,
  Weekday,
  VehicleClass as WireVehicleClass,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import type { Selectable } from 'kysely';
import { bollardStates, failModes, vehicleClasses } from '../control/wire.js';
import type { AccessDecision, Permit, TimeWindow } from '../domain/access.js';
import type { BollardControl, BollardSpec, ZoneSpec } from '../domain/bollard-control.js';
import type { PermitInput } from '../domain/rules.js';
import type { AuditRow } from '../store/db.js';
import type { StoredPermit } from '../store/permit.repository.js';
import type { StoredZone, Versioned } from '../store/topology.repository.js';

export const credentialKindOf = (kind: CredentialKind): 'plate' | 'badge' | undefined =>
  kind === CredentialKind.CREDENTIAL_KIND_PLATE
    ? 'plate'
    : kind === CredentialKind.CREDENTIAL_KIND_BADGE
      ? 'badge'
      : undefined;

const credentialKindToWire = (kind: 'plate' | 'badge') =>
  kind === 'plate' ? CredentialKind.CREDENTIAL_KIND_PLATE : CredentialKind.CREDENTIAL_KIND_BADGE;

export function zoneFromMessage(zone: AccessZone | undefined): Partial<ZoneSpec> {
  return { id: zone?.id, name: zone?.name, timeZone: zone?.timeZone };
}

export function zoneToMessage(zone: StoredZone, control?: BollardControl): AccessZone {
  // The control's emergency mode is newer than the row while a commit is in flight.
  const live = control?.zone(zone.value.id);
  return {
    id: zone.value.id,
    name: zone.value.name,
    timeZone: zone.value.timeZone,
    emergencyMode: live?.emergency ?? zone.emergency,
    emergencyReason: (live ? live.emergencyReason : zone.emergencyReason) ?? '',
    version: BigInt(zone.version),
    createTime: zone.createdAt,
    updateTime: zone.updatedAt,
  };
}

export function bollardFromMessage(
  b: BollardMessage | undefined,
): Partial<Omit<BollardSpec, 'failMode'>> & { failMode?: string } {
  return {
    id: b?.id,
    zoneId: b?.zoneId,
    name: b?.name,
    location: b?.location && { latitude: b.location.latitude, longitude: b.location.longitude },
    controllerId: b?.controllerId || b?.id,
    loopId: b?.loopId,
    failMode: b ? failModes.fromWire(b.failMode) : undefined,
  };
}

export function bollardToMessage(b: Versioned<BollardSpec>): BollardMessage {
  return {
    id: b.value.id,
    zoneId: b.value.zoneId,
    name: b.value.name,
    location: { ...b.value.location },
    controllerId: b.value.controllerId,
    loopId: b.value.loopId,
    failMode: failModes.toWire(b.value.failMode),
    version: BigInt(b.version),
    createTime: b.createdAt,
    updateTime: b.updatedAt,
  };
}

/** ISO weekday (1 Monday … 7 Sunday) → the domain's 0 Sunday … 6 Saturday; -1 if unset. */
const dayOf = (d: Weekday) => (d >= 1 && d <= 7 ? d % 7 : -1);
const weekdayOf = (d: number): Weekday => (d === 0 ? Weekday.WEEKDAY_SUNDAY : (d as Weekday));

export const windowFromMessage = (w: TimeWindowMessage): TimeWindow => ({
  days: w.days.map(dayOf),
  from: w.from,
  to: w.to,
});

const windowToMessage = (w: TimeWindow): TimeWindowMessage => ({
  days: w.days.map(weekdayOf),
  from: w.from,
  to: w.to,
});

export function permitFromMessage(p: PermitMessage | undefined, nowMs: number): PermitInput {
  return {
    identity: p?.credential ?? '',
    identityKind: p ? credentialKindOf(p.credentialKind) : undefined,
    vehicleClass: p ? vehicleClasses.fromWire(p.vehicleClass) : undefined,
    zoneIds: p?.zoneIds ?? [],
    validFromMs: p?.validFrom?.getTime() ?? nowMs,
    validUntilMs: p?.validUntil?.getTime() ?? Number.NaN,
    windows: (p?.windows ?? []).map(windowFromMessage),
    oneOff: p?.oneOff ?? false,
    reason: p?.reason ?? '',
  };
}

export function permitToMessage(stored: StoredPermit): PermitMessage {
  const p: Permit = stored.permit;
  return {
    id: p.id,
    credentialKind: credentialKindToWire(stored.credentialKind),
    credential: '',
    credentialFingerprint: p.identityHash.slice(0, 8),
    vehicleClass: vehicleClasses.toWire(p.vehicleClass),
    zoneIds: [...p.zoneIds],
    validFrom: new Date(p.validFromMs),
    validUntil: new Date(p.validUntilMs),
    windows: p.windows.map(windowToMessage),
    oneOff: p.oneOff,
    reason: stored.reason,
    useTime: p.usedAtMs === undefined ? undefined : new Date(p.usedAtMs),
    revokeTime: p.revokedAtMs === undefined ? undefined : new Date(p.revokedAtMs),
    revokeReason: stored.revokeReason ?? '',
    createdBy: stored.createdBy,
    createTime: stored.createdAt,
  };
}

export function decisionToMessage(
  decision: AccessDecision,
  control: BollardControl,
): AccessDecisionMessage {
  const permit = control.permit(decision.permitId);
  return {
    admit: decision.admit,
    rule: decision.rule,
    detail: decision.detail,
    permitId: decision.permitId ?? '',
    vehicleClass: permit
      ? vehicleClasses.toWire(permit.vehicleClass)
      : WireVehicleClass.VEHICLE_CLASS_UNSPECIFIED,
  };
}

export function statusToMessage(control: BollardControl, id: string): BollardStatus {
  const { spec, machine, lastReportAt, fallbackActive } = control.status(id);
  return {
    bollardId: spec.id,
    zoneId: spec.zoneId,
    state: bollardStates.toWire(machine.state),
    loop:
      machine.loopOccupied === undefined
        ? LoopState.LOOP_STATE_UNSPECIFIED
        : machine.loopOccupied
          ? LoopState.LOOP_STATE_OCCUPIED
          : LoopState.LOOP_STATE_CLEAR,
    pendingMotion: machine.pending?.motion ?? '',
    pendingSequence: BigInt(machine.pending?.sequence ?? 0),
    pendingAttempts: machine.pending?.attempts ?? 0,
    sequence: BigInt(machine.sequence),
    emergency: machine.emergency,
    faultReason: machine.faultReason ?? '',
    reversals: machine.reversals,
    holdUntil: machine.holdUntil === undefined ? undefined : new Date(machine.holdUntil),
    lastReportTime: lastReportAt === undefined ? undefined : new Date(lastReportAt),
    fallbackActive,
  };
}

export function auditToMessage(row: Selectable<AuditRow>): AuditEntry {
  return {
    id: BigInt(row.id),
    time: row.at,
    kind: row.kind,
    actor: row.actor,
    zoneId: row.zone_id,
    bollardId: row.bollard_id ?? '',
    detail: row.detail,
    outcome: row.outcome,
    sequence: BigInt(row.sequence ?? 0),
    attempt: row.attempt ?? 0,
    requestId: row.request_id ?? '',
    traceId: row.trace_id ?? '',
  };
}

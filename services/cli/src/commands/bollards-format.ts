// How `slimstad bollards …` lays out its results: the columns of zones, bollards, live status,
// permits, access decisions and the audit, with enums as tokens (`up`, `occupied`, `safe`) and
// the few derived cells (a pending command, a permit's state) computed here, purely.
import {
  type AccessDecision,
  AccessZone,
  type AuditEntry,
  Bollard,
  BollardState,
  BollardStatus,
  CredentialKind,
  FailMode,
  LoopState,
  type Permit,
  VehicleClass,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import type { Command } from 'commander';
import type { Column } from '../output.js';
import type { Cli } from '../program.js';
import { windowText } from './bollards-args.js';
import { enumToken } from './device-args.js';

const where = (point: Bollard['location']) =>
  point ? `${point.latitude},${point.longitude}` : undefined;

/** `on: fire brigade (jan)` or `off`. */
export const emergencyText = (zone: AccessZone): string =>
  zone.emergencyMode ? `on${zone.emergencyReason ? `: ${zone.emergencyReason}` : ''}` : 'off';

export const ZONE_COLUMNS: Column<AccessZone>[] = [
  { header: 'id', value: (z) => z.id },
  { header: 'name', value: (z) => z.name },
  { header: 'time zone', value: (z) => z.timeZone },
  { header: 'emergency', value: emergencyText },
  { header: 'version', value: (z) => z.version },
];

export const BOLLARD_COLUMNS: Column<Bollard>[] = [
  { header: 'id', value: (b) => b.id },
  { header: 'zone', value: (b) => b.zoneId },
  { header: 'name', value: (b) => b.name },
  { header: 'location', value: (b) => where(b.location) },
  { header: 'controller', value: (b) => b.controllerId },
  { header: 'loop', value: (b) => b.loopId },
  { header: 'fail mode', value: (b) => enumToken(FailMode, 'FAIL_MODE_', b.failMode) },
  { header: 'version', value: (b) => b.version },
];

/** `up`, `emergency_down`, … (`unknown` while unset). */
export const stateText = (state: BollardState): string =>
  state === BollardState.BOLLARD_STATE_UNSPECIFIED
    ? 'unknown'
    : enumToken(BollardState, 'BOLLARD_STATE_', state);

/** `clear`, `occupied`, or `unknown` (treated as occupied: never raised over it). */
export const loopText = (loop: LoopState): string =>
  loop === LoopState.LOOP_STATE_UNSPECIFIED ? 'unknown' : enumToken(LoopState, 'LOOP_STATE_', loop);

/** `lower #12 (attempt 2)`, or empty if no command waits for its acknowledgement. */
export function pendingText(status: BollardStatus): string {
  if (!status.pendingMotion) return '';
  const sequence = status.pendingSequence > 0n ? ` #${status.pendingSequence}` : '';
  const attempts = status.pendingAttempts > 0 ? ` (attempt ${status.pendingAttempts})` : '';
  return `${status.pendingMotion}${sequence}${attempts}`;
}

export const STATUS_COLUMNS: Column<BollardStatus>[] = [
  { header: 'bollard', value: (s) => s.bollardId },
  { header: 'zone', value: (s) => s.zoneId },
  { header: 'state', value: (s) => stateText(s.state) },
  { header: 'loop', value: (s) => loopText(s.loop) },
  { header: 'pending', value: pendingText },
  { header: 'emergency', value: (s) => (s.emergency ? 'yes' : '') },
  { header: 'fault', value: (s) => s.faultReason },
  { header: 'fallback', value: (s) => (s.fallbackActive ? 'yes' : '') },
  { header: 'hold until', value: (s) => s.holdUntil },
  { header: 'last report', value: (s) => s.lastReportTime },
];

/** Whether a permit opens anything at `now`: active, revoked, used, expired or not yet valid. */
export function permitState(permit: Permit, now: Date): string {
  if (permit.revokeTime) return 'revoked';
  if (permit.useTime) return 'used';
  if (permit.validUntil && permit.validUntil.getTime() <= now.getTime()) return 'expired';
  if (permit.validFrom && permit.validFrom.getTime() > now.getTime()) return 'not yet valid';
  return 'active';
}

/** `plate 3f9a01c2`: the kind and the fingerprint of the keyed hash (never the plate). */
export const credentialText = (permit: Permit): string =>
  `${enumToken(CredentialKind, 'CREDENTIAL_KIND_', permit.credentialKind)} ${permit.credentialFingerprint}`.trim();

const day = (time: Date | undefined) => time?.toISOString();

export const permitColumns = (now: Date): Column<Permit>[] => [
  { header: 'id', value: (p) => p.id },
  { header: 'credential', value: credentialText },
  {
    header: 'class',
    value: (p) => enumToken(VehicleClass, 'VEHICLE_CLASS_', p.vehicleClass),
  },
  { header: 'zones', value: (p) => p.zoneIds.join(',') },
  { header: 'from', value: (p) => day(p.validFrom) },
  { header: 'until', value: (p) => day(p.validUntil) },
  {
    header: 'windows',
    value: (p) => (p.windows.length > 0 ? p.windows.map(windowText).join('; ') : 'any time'),
  },
  { header: 'one-off', value: (p) => (p.oneOff ? 'yes' : '') },
  { header: 'state', value: (p) => permitState(p, now) },
  { header: 'by', value: (p) => p.createdBy },
  {
    header: 'reason',
    value: (p) => (p.revokeReason ? `${p.reason} (revoked: ${p.revokeReason})` : p.reason),
  },
];

/** A decision with the bollard it is about (and, for an admission, the status after it). */
export interface DecisionRow {
  bollardId: string;
  decision: AccessDecision;
  status?: BollardStatus;
}

export const decisionText = (decision: AccessDecision): string =>
  decision.admit ? 'admit' : 'deny';

export const DECISION_COLUMNS: Column<DecisionRow>[] = [
  { header: 'bollard', value: (r) => r.bollardId },
  { header: 'decision', value: (r) => decisionText(r.decision) },
  { header: 'rule', value: (r) => r.decision.rule },
  { header: 'detail', value: (r) => r.decision.detail },
  { header: 'permit', value: (r) => r.decision.permitId },
  {
    header: 'class',
    value: (r) =>
      r.decision.vehicleClass === VehicleClass.VEHICLE_CLASS_UNSPECIFIED
        ? ''
        : enumToken(VehicleClass, 'VEHICLE_CLASS_', r.decision.vehicleClass),
  },
];

/** An admission also shows the bollard's state and the command now pending. */
export const ADMISSION_COLUMNS: Column<DecisionRow>[] = [
  ...DECISION_COLUMNS.slice(0, 4),
  { header: 'state', value: (r) => (r.status ? stateText(r.status.state) : '') },
  { header: 'pending', value: (r) => (r.status ? pendingText(r.status) : '') },
];

export const AUDIT_COLUMNS: Column<AuditEntry>[] = [
  { header: 'id', value: (e) => e.id },
  { header: 'time', value: (e) => e.time },
  { header: 'kind', value: (e) => e.kind },
  { header: 'actor', value: (e) => e.actor },
  { header: 'zone', value: (e) => e.zoneId },
  { header: 'bollard', value: (e) => e.bollardId },
  { header: 'outcome', value: (e) => e.outcome },
  {
    header: 'command',
    value: (e) => (e.sequence > 0n ? `#${e.sequence}/${e.attempt}` : ''),
  },
  { header: 'request', value: (e) => e.requestId },
  { header: 'detail', value: (e) => e.detail },
];

/** JSON is an array for lists and the zone itself for the other commands. */
export const printZones = (cli: Cli, command: Command, zones: AccessZone[], asList = false) =>
  cli.print(command, {
    json: asList
      ? zones.map((z) => AccessZone.toJSON(z))
      : zones[0]
        ? AccessZone.toJSON(zones[0])
        : null,
    rows: zones,
    columns: ZONE_COLUMNS,
    empty: 'no zones',
  });

export const printBollards = (cli: Cli, command: Command, bollards: Bollard[], asList = false) =>
  cli.print(command, {
    json: asList
      ? bollards.map((b) => Bollard.toJSON(b))
      : bollards[0]
        ? Bollard.toJSON(bollards[0])
        : null,
    rows: bollards,
    columns: BOLLARD_COLUMNS,
    empty: 'no bollards',
  });

export const printStatuses = (
  cli: Cli,
  command: Command,
  statuses: BollardStatus[],
  asList = false,
) =>
  cli.print(command, {
    json: asList
      ? statuses.map((s) => BollardStatus.toJSON(s))
      : statuses[0]
        ? BollardStatus.toJSON(statuses[0])
        : null,
    rows: statuses,
    columns: STATUS_COLUMNS,
    empty: 'no bollards',
  });

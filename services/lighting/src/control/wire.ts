// Conversions between the domain's words and the wire's enums and durations.

import { enumToken } from '@slimstad/contracts';
import {
  CommandResult,
  ControllerFailure,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/control';
import {
  ControlSource,
  LampFailureReason,
  LampStatus,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import type { FailureReason, LampHealth } from '../domain/lamp-health.js';
import type { LevelSource } from '../domain/model.js';

const SOURCES: Record<LevelSource, ControlSource> = {
  daylight: ControlSource.CONTROL_SOURCE_DAYLIGHT,
  schedule: ControlSource.CONTROL_SOURCE_SCHEDULE,
  presence: ControlSource.CONTROL_SOURCE_PRESENCE,
  calendar: ControlSource.CONTROL_SOURCE_CALENDAR,
  curfew: ControlSource.CONTROL_SOURCE_CURFEW,
  override: ControlSource.CONTROL_SOURCE_OVERRIDE,
};
export const controlSource = (source: LevelSource): ControlSource => SOURCES[source];

const REASONS: Record<FailureReason, LampFailureReason> = {
  unreachable: LampFailureReason.LAMP_FAILURE_REASON_UNREACHABLE,
  power_mismatch: LampFailureReason.LAMP_FAILURE_REASON_POWER_MISMATCH,
  reported_failure: LampFailureReason.LAMP_FAILURE_REASON_REPORTED_FAILURE,
};
export const failureReason = (reason: FailureReason | undefined): LampFailureReason =>
  reason ? REASONS[reason] : LampFailureReason.LAMP_FAILURE_REASON_UNSPECIFIED;

export function lampStatus(health: LampHealth): LampStatus {
  if (health.status === 'unreachable') return LampStatus.LAMP_STATUS_UNREACHABLE;
  if (health.status === 'failed') return LampStatus.LAMP_STATUS_FAILED;
  return LampStatus.LAMP_STATUS_OK;
}

export function ackResult(result: CommandResult): 'applied' | 'stale' | 'rejected' | undefined {
  if (result === CommandResult.COMMAND_RESULT_APPLIED) return 'applied';
  if (result === CommandResult.COMMAND_RESULT_STALE) return 'stale';
  if (result === CommandResult.COMMAND_RESULT_REJECTED) return 'rejected';
  return undefined;
}

/** `CONTROLLER_FAILURE_DRIVER` → `driver`. */
export const failureToken = (failure: ControllerFailure): string =>
  enumToken(ControllerFailure, 'CONTROLLER_FAILURE_', failure);

export const duration = (ms: number) => ({
  seconds: BigInt(Math.floor(ms / 1000)),
  nanos: Math.round((ms % 1000) * 1e6),
});

export const durationMs = (d: { seconds: bigint; nanos: number } | undefined): number =>
  d ? Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6) : 0;

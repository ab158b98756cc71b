// Domain values ↔ wire enums, and outbound events → outbox items. One place, so the API and the
// bus speak the same words.
import {
  AccessDecided,
  BollardCommanded,
  BollardFaulted,
  BollardStateChanged,
  ZoneEmergencyChanged,
} from '@slimstad/contracts';
import {
  BollardState as WireBollardState,
  FailMode as WireFailMode,
  RequestSource as WireRequestSource,
  VehicleClass as WireVehicleClass,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import {
  AccessDecided as AccessDecidedMessage,
  BollardCommand as BollardCommandMessage,
  BollardFault as BollardFaultMessage,
  BollardStateChanged as BollardStateChangedMessage,
  CommandResult,
  Motion as WireMotion,
  Position as WirePosition,
  ZoneEmergencyChanged as ZoneEmergencyChangedMessage,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import type { OutboxItem } from '@slimstad/kit';
import type { RequestSource, VehicleClass } from '../domain/access.js';
import type { FailMode, Outbound } from '../domain/bollard-control.js';
import type { BollardState, Position } from '../domain/bollard-machine.js';

/** A two-way map between domain words and wire enum values. */
function enumMap<D extends string, W extends number>(pairs: readonly (readonly [D, W])[]) {
  const toWire = new Map<D, W>(pairs);
  const fromWire = new Map<number, D>(pairs.map(([d, w]) => [w, d]));
  return {
    toWire: (value: D): W => toWire.get(value) as W,
    fromWire: (value: number): D | undefined => fromWire.get(value),
    words: pairs.map(([d]) => d),
  };
}

export const failModes = enumMap<FailMode, WireFailMode>([
  ['safe', WireFailMode.FAIL_MODE_SAFE],
  ['secure', WireFailMode.FAIL_MODE_SECURE],
]);

export const vehicleClasses = enumMap<VehicleClass, WireVehicleClass>([
  ['resident', WireVehicleClass.VEHICLE_CLASS_RESIDENT],
  ['delivery', WireVehicleClass.VEHICLE_CLASS_DELIVERY],
  ['taxi', WireVehicleClass.VEHICLE_CLASS_TAXI],
  ['public_service', WireVehicleClass.VEHICLE_CLASS_PUBLIC_SERVICE],
  ['emergency', WireVehicleClass.VEHICLE_CLASS_EMERGENCY],
  ['event', WireVehicleClass.VEHICLE_CLASS_EVENT],
]);

export const requestSources = enumMap<RequestSource, WireRequestSource>([
  ['anpr', WireRequestSource.REQUEST_SOURCE_ANPR],
  ['badge', WireRequestSource.REQUEST_SOURCE_BADGE],
  ['intercom', WireRequestSource.REQUEST_SOURCE_INTERCOM],
  ['operator', WireRequestSource.REQUEST_SOURCE_OPERATOR],
  ['emergency_service', WireRequestSource.REQUEST_SOURCE_EMERGENCY_SERVICE],
]);

export const bollardStates = enumMap<BollardState, WireBollardState>([
  ['up', WireBollardState.BOLLARD_STATE_UP],
  ['lowering', WireBollardState.BOLLARD_STATE_LOWERING],
  ['down', WireBollardState.BOLLARD_STATE_DOWN],
  ['raising', WireBollardState.BOLLARD_STATE_RAISING],
  ['fault', WireBollardState.BOLLARD_STATE_FAULT],
  ['maintenance', WireBollardState.BOLLARD_STATE_MAINTENANCE],
  ['emergency_down', WireBollardState.BOLLARD_STATE_EMERGENCY_DOWN],
]);

export const positions = enumMap<Position, WirePosition>([
  ['up', WirePosition.POSITION_UP],
  ['down', WirePosition.POSITION_DOWN],
  ['moving_up', WirePosition.POSITION_MOVING_UP],
  ['moving_down', WirePosition.POSITION_MOVING_DOWN],
]);

export const commandResults = enumMap<'accepted' | 'stale' | 'rejected', CommandResult>([
  ['accepted', CommandResult.COMMAND_RESULT_ACCEPTED],
  ['stale', CommandResult.COMMAND_RESULT_STALE],
  ['rejected', CommandResult.COMMAND_RESULT_REJECTED],
]);

const item = (event: unknown, params: Record<string, string>, message: unknown): OutboxItem => ({
  event: event as OutboxItem['event'],
  params,
  message,
});

/** The outbox item that announces an outbound event, stamped with the city time. */
export function outboxItem(event: Outbound, at: Date): OutboxItem {
  switch (event.kind) {
    case 'command':
      return item(
        BollardCommanded,
        { zone: event.zoneId, bollard: event.bollardId },
        BollardCommandMessage.fromPartial({
          bollardId: event.bollardId,
          zoneId: event.zoneId,
          controllerId: event.controllerId,
          sequence: BigInt(event.sequence),
          attempt: event.attempt,
          motion: event.motion === 'lower' ? WireMotion.MOTION_LOWER : WireMotion.MOTION_RAISE,
          reason: event.reason,
          requestId: event.requestId ?? '',
          issueTime: at,
          failMode: failModes.toWire(event.failMode),
        }),
      );
    case 'decision':
      return item(
        AccessDecided,
        { zone: event.zoneId, bollard: event.bollardId },
        AccessDecidedMessage.fromPartial({
          requestId: event.requestId,
          zoneId: event.zoneId,
          bollardId: event.bollardId,
          source: requestSources.toWire(event.source),
          decision: {
            admit: event.decision.admit,
            rule: event.decision.rule,
            detail: event.decision.detail,
            permitId: event.decision.permitId ?? '',
            vehicleClass: event.vehicleClass
              ? vehicleClasses.toWire(event.vehicleClass as VehicleClass)
              : WireVehicleClass.VEHICLE_CLASS_UNSPECIFIED,
          },
          decideTime: at,
        }),
      );
    case 'state':
      return item(
        BollardStateChanged,
        { zone: event.zoneId, bollard: event.bollardId },
        BollardStateChangedMessage.fromPartial({
          bollardId: event.bollardId,
          zoneId: event.zoneId,
          from: bollardStates.toWire(event.from),
          to: bollardStates.toWire(event.to),
          reason: event.reason,
          changeTime: at,
        }),
      );
    case 'fault':
      return item(
        BollardFaulted,
        { zone: event.zoneId, bollard: event.bollardId },
        BollardFaultMessage.fromPartial({
          bollardId: event.bollardId,
          zoneId: event.zoneId,
          controllerId: event.controllerId,
          reason: event.reason,
          detectTime: at,
        }),
      );
    case 'emergency':
      return item(
        ZoneEmergencyChanged,
        { zone: event.zoneId },
        ZoneEmergencyChangedMessage.fromPartial({
          zoneId: event.zoneId,
          active: event.active,
          reason: event.reason,
          actor: event.actor,
          changeTime: at,
        }),
      );
  }
}

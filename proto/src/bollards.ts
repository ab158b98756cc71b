// Bollards on the bus: access requests, acknowledgements and status reports from the field;
// commands and heartbeats to it; decisions, state changes, faults and emergency mode for the
// control room and alerting. Subjects start with `bollards.`; `<zone>` and `<bollard>` are the
// ids of AccessZone and Bollard. No message carries a plate or badge id: readers send keyed
// hashes.
import {
  AccessDecided as AccessDecidedMessage,
  AccessRequest as AccessRequestMessage,
  BollardCommandAck,
  BollardCommand as BollardCommandMessage,
  BollardFault as BollardFaultMessage,
  BollardReport as BollardReportMessage,
  BollardStateChanged as BollardStateChangedMessage,
  BollardsHeartbeat as BollardsHeartbeatMessage,
  protobufPackage as bollardsPackage,
  ZoneEmergencyChanged as ZoneEmergencyChangedMessage,
} from '../gen/slimstad/bollards/v1/control.js';
import { defineEvent, type EventContract, type StreamContract } from './contract.js';

const DAY = 24 * 60 * 60;

/** What the field tells the service: access requests, acknowledgements, status reports. */
export const BollardFieldStream: StreamContract = {
  name: 'BOLLARD_FIELD',
  subjects: ['bollards.request.>', 'bollards.ack.>', 'bollards.report.>'],
  description:
    'Access requests bollards.request.<zone>.<bollard>, acknowledgements bollards.ack.<zone>.<bollard> and status reports bollards.report.<zone>.<bollard>.',
  maxAgeSeconds: DAY,
  duplicateWindowSeconds: 120,
};

/** What the service tells the field: commands (through the outbox) and heartbeats. */
export const BollardCommandsStream: StreamContract = {
  name: 'BOLLARD_COMMANDS',
  subjects: ['bollards.command.>', 'bollards.heartbeat.>'],
  description:
    'Bollard commands bollards.command.<zone>.<bollard> and heartbeats bollards.heartbeat.<zone>.',
  maxAgeSeconds: DAY,
  duplicateWindowSeconds: 120,
};

/** Decisions, state changes, faults and emergency mode, for the control room and alerting. */
export const BollardEventsStream: StreamContract = {
  name: 'BOLLARD_EVENTS',
  subjects: ['bollards.decision.>', 'bollards.state.>', 'bollards.fault.>', 'bollards.emergency.>'],
  description:
    'Access decisions, state changes, faults bollards.fault.<zone>.<bollard> and emergency mode bollards.emergency.<zone>.',
  maxAgeSeconds: 30 * DAY,
  duplicateWindowSeconds: 120,
};

/** A vehicle asks to pass. `Nats-Msg-Id`: `req:<request_id>`. */
export const AccessRequested: EventContract<AccessRequestMessage, 'zone' | 'bollard'> = defineEvent(
  {
    messageType: `${bollardsPackage}.AccessRequest`,
    codec: AccessRequestMessage,
    template: 'bollards.request.{zone}.{bollard}',
    stream: BollardFieldStream,
  },
);

/** A controller answered a command. `Nats-Msg-Id`: `ack:<bollard>:<sequence>:<attempt>`. */
export const BollardAcknowledged: EventContract<BollardCommandAck, 'zone' | 'bollard'> =
  defineEvent({
    messageType: `${bollardsPackage}.BollardCommandAck`,
    codec: BollardCommandAck,
    template: 'bollards.ack.{zone}.{bollard}',
    stream: BollardFieldStream,
  });

/** A controller's status: position, loop, obstacle, power. */
export const BollardReported: EventContract<BollardReportMessage, 'zone' | 'bollard'> = defineEvent(
  {
    messageType: `${bollardsPackage}.BollardReport`,
    codec: BollardReportMessage,
    template: 'bollards.report.{zone}.{bollard}',
    stream: BollardFieldStream,
  },
);

/** A command to a bollard's controller, published through the outbox. */
export const BollardCommanded: EventContract<BollardCommandMessage, 'zone' | 'bollard'> =
  defineEvent({
    messageType: `${bollardsPackage}.BollardCommand`,
    codec: BollardCommandMessage,
    template: 'bollards.command.{zone}.{bollard}',
    stream: BollardCommandsStream,
  });

/** The service controls the zone; controllers follow their fail mode without it. */
export const BollardsHeartbeat: EventContract<BollardsHeartbeatMessage, 'zone'> = defineEvent({
  messageType: `${bollardsPackage}.BollardsHeartbeat`,
  codec: BollardsHeartbeatMessage,
  template: 'bollards.heartbeat.{zone}',
  stream: BollardCommandsStream,
});

/** An access request was decided (no identity). */
export const AccessDecided: EventContract<AccessDecidedMessage, 'zone' | 'bollard'> = defineEvent({
  messageType: `${bollardsPackage}.AccessDecided`,
  codec: AccessDecidedMessage,
  template: 'bollards.decision.{zone}.{bollard}',
  stream: BollardEventsStream,
});

/** A bollard's confirmed state changed. */
export const BollardStateChanged: EventContract<BollardStateChangedMessage, 'zone' | 'bollard'> =
  defineEvent({
    messageType: `${bollardsPackage}.BollardStateChanged`,
    codec: BollardStateChangedMessage,
    template: 'bollards.state.{zone}.{bollard}',
    stream: BollardEventsStream,
  });

/** A bollard went to fault, for alerting. */
export const BollardFaulted: EventContract<BollardFaultMessage, 'zone' | 'bollard'> = defineEvent({
  messageType: `${bollardsPackage}.BollardFault`,
  codec: BollardFaultMessage,
  template: 'bollards.fault.{zone}.{bollard}',
  stream: BollardEventsStream,
});

/** A zone's emergency mode was set or cleared. */
export const ZoneEmergencyChanged: EventContract<ZoneEmergencyChangedMessage, 'zone'> = defineEvent(
  {
    messageType: `${bollardsPackage}.ZoneEmergencyChanged`,
    codec: ZoneEmergencyChangedMessage,
    template: 'bollards.emergency.{zone}',
    stream: BollardEventsStream,
  },
);

export const bollardStreams: readonly StreamContract[] = [
  BollardFieldStream,
  BollardCommandsStream,
  BollardEventsStream,
];

export const bollardEvents: readonly EventContract<unknown>[] = [
  AccessRequested,
  BollardAcknowledged,
  BollardReported,
  BollardCommanded,
  BollardsHeartbeat,
  AccessDecided,
  BollardStateChanged,
  BollardFaulted,
  ZoneEmergencyChanged,
];

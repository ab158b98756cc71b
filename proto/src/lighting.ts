// Lighting on the bus: commands to lamp controllers and their heartbeats (service → field),
// acknowledgements and feedback (field → service), and lamp failure events (for alerting).
// Subjects start with `lighting.`; `<zone>` and `<lamp>` are the ids of Zone and Lamp.
import {
  LampCommandAck,
  LampCommand as LampCommandMessage,
  LampFailed as LampFailedMessage,
  LampFeedback as LampFeedbackMessage,
  LampRecovered as LampRecoveredMessage,
  LightingHeartbeat as LightingHeartbeatMessage,
  protobufPackage as lightingPackage,
} from '../gen/slimstad/lighting/v1/control.js';
import { defineEvent, type EventContract, type StreamContract } from './contract.js';

const DAY = 24 * 60 * 60;

/**
 * What the service tells the field: commands and heartbeats. Controllers subscribe to their
 * zone's subjects (or a gateway consumes the stream durably: the per-lamp sequence makes a
 * replay harmless). Kept a day, for the record and for gateways that were briefly away.
 */
export const LightingCommandsStream: StreamContract = {
  name: 'LIGHTING_COMMANDS',
  subjects: ['lighting.command.>', 'lighting.heartbeat.>'],
  description:
    'Lamp commands lighting.command.<zone>.<lamp> and heartbeats lighting.heartbeat.<zone>.',
  maxAgeSeconds: DAY,
  duplicateWindowSeconds: 120,
};

/** What the field tells the service: acknowledgements and feedback. */
export const LightingFeedbackStream: StreamContract = {
  name: 'LIGHTING_FEEDBACK',
  subjects: ['lighting.ack.>', 'lighting.feedback.>'],
  description:
    'Controller acknowledgements lighting.ack.<zone>.<lamp> and feedback lighting.feedback.<zone>.<lamp>.',
  maxAgeSeconds: DAY,
  duplicateWindowSeconds: 120,
};

/** Lamp failure and recovery events, for alerting and the control room. */
export const LightingEventsStream: StreamContract = {
  name: 'LIGHTING_EVENTS',
  subjects: ['lighting.lamp.>'],
  description: 'Lamp failures lighting.lamp.failed.<zone>.<lamp> and recoveries.',
  maxAgeSeconds: 30 * DAY,
  duplicateWindowSeconds: 120,
};

/** A level command for one lamp. `Nats-Msg-Id`: `cmd:<lamp>:<sequence>:<attempt>`. */
export const LampCommanded: EventContract<LampCommandMessage, 'zone' | 'lamp'> = defineEvent({
  messageType: `${lightingPackage}.LampCommand`,
  codec: LampCommandMessage,
  template: 'lighting.command.{zone}.{lamp}',
  stream: LightingCommandsStream,
});

/** The service controls the zone; controllers fall back to their own schedule without it. */
export const LightingHeartbeat: EventContract<LightingHeartbeatMessage, 'zone'> = defineEvent({
  messageType: `${lightingPackage}.LightingHeartbeat`,
  codec: LightingHeartbeatMessage,
  template: 'lighting.heartbeat.{zone}',
  stream: LightingCommandsStream,
});

/** A controller acknowledged a command. `Nats-Msg-Id`: `ack:<lamp>:<sequence>:<attempt>`. */
export const LampAcknowledged: EventContract<LampCommandAck, 'zone' | 'lamp'> = defineEvent({
  messageType: `${lightingPackage}.LampCommandAck`,
  codec: LampCommandAck,
  template: 'lighting.ack.{zone}.{lamp}',
  stream: LightingFeedbackStream,
});

/** A controller's feedback: actual level, metered power, failure flags. */
export const LampFeedbackReported: EventContract<LampFeedbackMessage, 'zone' | 'lamp'> =
  defineEvent({
    messageType: `${lightingPackage}.LampFeedback`,
    codec: LampFeedbackMessage,
    template: 'lighting.feedback.{zone}.{lamp}',
    stream: LightingFeedbackStream,
  });

/** A lamp was declared failed (unreachable, power mismatch, reported failure). */
export const LampFailed: EventContract<LampFailedMessage, 'zone' | 'lamp'> = defineEvent({
  messageType: `${lightingPackage}.LampFailed`,
  codec: LampFailedMessage,
  template: 'lighting.lamp.failed.{zone}.{lamp}',
  stream: LightingEventsStream,
});

/** A failed lamp works again. */
export const LampRecovered: EventContract<LampRecoveredMessage, 'zone' | 'lamp'> = defineEvent({
  messageType: `${lightingPackage}.LampRecovered`,
  codec: LampRecoveredMessage,
  template: 'lighting.lamp.recovered.{zone}.{lamp}',
  stream: LightingEventsStream,
});

export const lightingStreams: readonly StreamContract[] = [
  LightingCommandsStream,
  LightingFeedbackStream,
  LightingEventsStream,
];

export const lightingEvents: readonly EventContract<unknown>[] = [
  LampCommanded,
  LightingHeartbeat,
  LampAcknowledged,
  LampFeedbackReported,
  LampFailed,
  LampRecovered,
];

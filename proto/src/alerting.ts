// Alerting on the bus: alert state changes for the control room (`alert.state.<severity>.<rule>`)
// and public warnings as OASIS CAP 1.2 for neighbouring cities (`share.alert.cap`), both
// published through the alerting service's transactional outbox.

import { protobufPackage as alertingPackage } from '../gen/slimstad/alerting/v1/alerting.js';
import {
  AlertChanged as AlertChangedMessage,
  CapAlertShared as CapAlertSharedMessage,
} from '../gen/slimstad/alerting/v1/events.js';
import { defineEvent, type EventContract, type StreamContract } from './contract.js';
import { FederationShareStream } from './federation.js';

const DAY = 24 * 60 * 60;

/** Alert state changes. */
export const AlertEventsStream: StreamContract = {
  name: 'ALERT_EVENTS',
  subjects: ['alert.>'],
  description: 'Alert state changes alert.state.<severity>.<rule>.',
  maxAgeSeconds: 30 * DAY,
  duplicateWindowSeconds: 120,
};

/** An alert fired, was acknowledged, resolved or escalated. `Nats-Msg-Id`: `alert:<outbox id>`. */
export const AlertChanged: EventContract<AlertChangedMessage, 'severity' | 'rule'> = defineEvent({
  messageType: `${alertingPackage}.AlertChanged`,
  codec: AlertChangedMessage,
  template: 'alert.state.{severity}.{rule}',
  stream: AlertEventsStream,
});

/**
 * A public warning (CAP 1.2 XML and key fields). `Nats-Msg-Id`: `cap:<outbox id>`. It goes into
 * the federation's SHARE stream (`share.>`), which the hub sources for the neighbours the policy
 * names; alerting declares that stream too (the same contract), so either may start first.
 */
export const CapAlertShared: EventContract<CapAlertSharedMessage, never> = defineEvent({
  messageType: `${alertingPackage}.CapAlertShared`,
  codec: CapAlertSharedMessage,
  template: 'share.alert.cap',
  stream: FederationShareStream,
});

/** The streams alerting declares at start-up: its own, and the SHARE stream it publishes into. */
export const alertingStreams: readonly StreamContract[] = [AlertEventsStream];
export const alertingEvents: readonly EventContract<unknown>[] = [
  AlertChanged as EventContract<unknown>,
  CapAlertShared as EventContract<unknown>,
];

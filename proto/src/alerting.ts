// Alerting on the bus: alert state changes for the control room (`alert.state.<severity>.<rule>`)
// and public warnings as OASIS CAP 1.2 for neighbouring cities (`share.alert.cap`), both
// published through the alerting service's transactional outbox.

import { protobufPackage as alertingPackage } from '../gen/slimstad/alerting/v1/alerting.js';
import {
  AlertChanged as AlertChangedMessage,
  CapAlertShared as CapAlertSharedMessage,
} from '../gen/slimstad/alerting/v1/events.js';
import { defineEvent, type EventContract, type StreamContract } from './contract.js';

const DAY = 24 * 60 * 60;

/** Alert state changes. */
export const AlertEventsStream: StreamContract = {
  name: 'ALERT_EVENTS',
  subjects: ['alert.>'],
  description: 'Alert state changes alert.state.<severity>.<rule>.',
  maxAgeSeconds: 30 * DAY,
  duplicateWindowSeconds: 120,
};

/** Public warnings shared with neighbouring cities. */
export const SharedAlertsStream: StreamContract = {
  name: 'SHARE_ALERTS',
  subjects: ['share.alert.>'],
  description: 'Public warnings as CAP 1.2: share.alert.cap.',
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

/** A public warning (CAP 1.2 XML and key fields). `Nats-Msg-Id`: `cap:<outbox id>`. */
export const CapAlertShared: EventContract<CapAlertSharedMessage, never> = defineEvent({
  messageType: `${alertingPackage}.CapAlertShared`,
  codec: CapAlertSharedMessage,
  template: 'share.alert.cap',
  stream: SharedAlertsStream,
});

export const alertingStreams: readonly StreamContract[] = [AlertEventsStream, SharedAlertsStream];
export const alertingEvents: readonly EventContract<unknown>[] = [
  AlertChanged as EventContract<unknown>,
  CapAlertShared as EventContract<unknown>,
];

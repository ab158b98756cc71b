// What the engine needs from notification routing and delivery (built in `notify/`): where an
// alert's labels route to, and a way to deliver one notification to one receiver.
import type { GroupTiming } from '../domain/grouping.js';
import type { Labels } from '../domain/labels.js';
import type { NotificationPayload } from '../store/notification.repository.js';

export interface RouteTarget {
  receiver: string;
  /** The aggregation group (unique per route node and group_by values). */
  groupKey: string;
  groupLabels: Record<string, string>;
  timing: GroupTiming;
}

/** The receivers (with grouping and timing) an alert with these labels goes to. */
export type Router = (labels: Labels) => RouteTarget[];

/** The outcome of one delivery attempt (as `notify/` receivers report it). */
export type DeliveryOutcome =
  | { outcome: 'delivered'; detail?: string }
  | { outcome: 'retryable'; reason: string; retryAfterMs?: number }
  | { outcome: 'permanent'; reason: string };

/** One attempt to deliver one notification; the outbox schedules retries. */
export type Deliver = (receiver: string, payload: NotificationPayload) => Promise<DeliveryOutcome>;

/** Builds a group's notification from its alerts (Alertmanager's webhook format). */
export type BuildNotification = (input: {
  receiver: string;
  groupKey: string;
  groupLabels: Labels;
  alerts: {
    labels: Labels;
    annotations: Labels;
    startsAt: Date;
    endsAt?: Date;
    fingerprint: string;
  }[];
  now: Date;
}) => NotificationPayload;

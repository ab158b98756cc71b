// notify/ wired into the engine: the routing tree from configuration (Alertmanager's `route`),
// receivers from configuration (webhook, e-mail, SMS), one delivery attempt per outbox claim,
// and the webhook v4 payload. Misconfiguration stops start-up naming the bad entry.
import type { Logger } from '@slimstad/kit';
import {
  buildNotification,
  createEmailReceiver,
  createSmsReceiver,
  createWebhookReceiver,
  type EmailConfig,
  groupKey,
  groupLabels,
  matchRoutes,
  parseRoutingTree,
  type Receiver,
  type SmsGatewayConfig,
  type WebhookConfig,
} from '../notify/index.js';
import type { BuildNotification, Deliver, Router } from './ports.js';

export type ReceiverConfig =
  | ({ type: 'webhook' } & Omit<WebhookConfig, 'logger' | 'now'>)
  | ({ type: 'email' } & Omit<EmailConfig, 'logger'>)
  | ({ type: 'sms' } & Omit<SmsGatewayConfig, 'logger' | 'identitySecret'>);

export function createReceivers(
  raw: unknown,
  options: { identitySecret?: string; log: Logger },
): Map<string, Receiver> {
  if (!Array.isArray(raw)) throw new Error('ALERTING_RECEIVERS: must be a JSON array of receivers');
  const out = new Map<string, Receiver>();
  raw.forEach((entry: ReceiverConfig, i) => {
    const where = `ALERTING_RECEIVERS[${i}]`;
    if (!entry || typeof entry.name !== 'string' || entry.name === '')
      throw new Error(`${where}: name is required`);
    if (out.has(entry.name)) throw new Error(`${where}: receiver ${entry.name} is defined twice`);
    const logger = options.log.child({ receiver: entry.name });
    switch (entry.type) {
      case 'webhook':
        out.set(entry.name, createWebhookReceiver({ ...entry, logger }));
        break;
      case 'email':
        out.set(entry.name, createEmailReceiver({ ...entry, logger }));
        break;
      case 'sms':
        if (!options.identitySecret)
          throw new Error(
            `${where}: SMS receivers need ALERTING_IDENTITY_SECRET (keyed hashes of phone numbers)`,
          );
        out.set(
          entry.name,
          createSmsReceiver({ ...entry, identitySecret: options.identitySecret, logger }),
        );
        break;
      default:
        throw new Error(`${where}: type must be "webhook", "email" or "sms"`);
    }
  });
  return out;
}

/**
 * The routing tree; without one, everything goes to the first receiver grouped by alertname
 * and zone.
 */
export function createRouter(raw: unknown, receivers: readonly string[]): Router {
  // No receivers and no tree (the demo city): alerts are kept and shown, nobody is notified.
  if (raw === undefined && receivers.length === 0) return () => [];
  const config = raw ?? { receiver: receivers[0] ?? 'none', group_by: ['alertname', 'zone'] };
  const root = parseRoutingTree(config, { receivers });
  return (labels) =>
    matchRoutes(root, labels).map((r) => ({
      receiver: r.receiver,
      groupKey: groupKey(r, labels),
      groupLabels: groupLabels(r, labels),
      timing: {
        groupWaitMs: r.groupWaitMs,
        groupIntervalMs: r.groupIntervalMs,
        repeatIntervalMs: r.repeatIntervalMs,
      },
    }));
}

export function createDeliver(receivers: ReadonlyMap<string, Receiver>): Deliver {
  return async (name, payload) => {
    const receiver = receivers.get(name);
    if (!receiver)
      return { outcome: 'permanent', reason: `no receiver named ${name} is configured` };
    return receiver.send(payload);
  };
}

export function createBuild(externalURL: string): BuildNotification {
  return (input) => buildNotification({ ...input, externalURL });
}

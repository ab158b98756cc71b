// SMS receiver through a generic HTTP SMS gateway: one POST per recipient to a configured URL
// with a configured auth header and a JSON body built from a template in which the strings
// `{{to}}` and `{{text}}` are replaced (structurally, so any text stays valid JSON). The text is
// the group's short form, cut to `maxLength` with the alert count kept (`renderShortText`).
// Phone numbers are personal data: never logged; logs and `pendingRecipients` carry only the
// keyed hash (the kit's `identityHash(secret, 'phone', number)`).
import { identityHash } from '@slimstad/kit/identity';
import { type Notification, renderShortText } from './content.js';
import {
  type DeliveryLogger,
  type DeliveryResult,
  type Receiver,
  type SendOptions,
  silentLogger,
} from './delivery.js';
import { checkUrl, postForDelivery } from './http-post.js';

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

export interface SmsGatewayConfig {
  name: string;
  url: string;
  /** E.g. `{ authorization: 'Bearer …' }` or `{ 'x-api-key': '…' }`. */
  headers?: Record<string, string>;
  /** The JSON body; default `{ "to": "{{to}}", "text": "{{text}}" }`. */
  bodyTemplate?: JsonValue;
  recipients: string[];
  /** Characters (code points) per message; default 160. */
  maxLength?: number;
  timeoutMs?: number;
  /** The municipality's identity secret (≥ 32 characters) for the phone numbers' keyed hashes. */
  identitySecret: string;
  logger?: DeliveryLogger;
}

const DEFAULT_TEMPLATE: JsonValue = { to: '{{to}}', text: '{{text}}' };

/** The template with `{{to}}`/`{{text}}` substituted in every string, keys included. */
export function fillTemplate(template: JsonValue, values: { to: string; text: string }): JsonValue {
  const fill = (s: string) => s.replaceAll('{{to}}', values.to).replaceAll('{{text}}', values.text);
  if (typeof template === 'string') return fill(template);
  if (Array.isArray(template)) return template.map((t) => fillTemplate(t, values));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(
      Object.entries(template).map(([k, v]) => [fill(k), fillTemplate(v, values)]),
    );
  }
  return template;
}

export function createSmsReceiver(config: SmsGatewayConfig): Receiver {
  const url = checkUrl(config.url, `sms ${config.name}: url`);
  if (!Array.isArray(config.recipients) || config.recipients.length === 0) {
    throw new Error(`sms ${config.name}: recipients needs at least one phone number`);
  }
  const template = config.bodyTemplate ?? DEFAULT_TEMPLATE;
  const serialized = JSON.stringify(template);
  if (!serialized.includes('{{to}}') || !serialized.includes('{{text}}')) {
    throw new Error(`sms ${config.name}: bodyTemplate must contain both {{to}} and {{text}}`);
  }
  const maxLength = config.maxLength ?? 160;
  // Hash every number up front: a short secret fails at start-up, not at the first alert.
  const byHash = new Map(
    config.recipients.map((phone) => [identityHash(config.identitySecret, 'phone', phone), phone]),
  );
  const log = config.logger ?? silentLogger;
  return {
    name: config.name,
    kind: 'sms',
    async send(notification: Notification, options: SendOptions = {}): Promise<DeliveryResult> {
      const text = renderShortText(notification, maxLength);
      const targets = options.recipients
        ? options.recipients.filter((h) => byHash.has(h))
        : [...byHash.keys()];
      const pending: string[] = [];
      const permanent: string[] = [];
      let retryAfterMs: number | undefined;
      for (const hash of targets) {
        const result = await postForDelivery({
          url,
          timeoutMs: config.timeoutMs ?? 10_000,
          headers: { ...config.headers, 'content-type': 'application/json' },
          body: JSON.stringify(fillTemplate(template, { to: byHash.get(hash)!, text })),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const entry = {
          receiver: config.name,
          kind: 'sms',
          groupKey: notification.groupKey,
          recipient: hash,
          outcome: result.outcome,
        };
        if (result.outcome === 'delivered') log.info(entry, 'sms delivered');
        else log.warn({ ...entry, reason: result.reason }, 'sms not delivered');
        if (result.outcome === 'retryable') {
          pending.push(hash);
          if (result.retryAfterMs !== undefined)
            retryAfterMs = Math.max(retryAfterMs ?? 0, result.retryAfterMs);
        } else if (result.outcome === 'permanent')
          permanent.push(`${hash.slice(0, 12)}: ${result.reason}`);
      }
      if (pending.length > 0) {
        return {
          outcome: 'retryable',
          reason: `${pending.length} of ${targets.length} messages not accepted yet${permanent.length ? `; permanently failed ${permanent.join(', ')}` : ''}`,
          pendingRecipients: pending,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        };
      }
      if (permanent.length > 0)
        return { outcome: 'permanent', reason: `gateway refused: ${permanent.join(', ')}` };
      return { outcome: 'delivered', detail: `${targets.length} messages accepted` };
    },
  };
}

// Webhook receiver: POSTs the notification as Alertmanager's webhook JSON (version 4), signed.
//
// Signature header (Stripe-style, so receivers can reuse known verifiers):
//   X-Slimstad-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
// A receiver verifies it by recomputing the HMAC over the timestamp, a dot and the raw request
// body bytes with the shared secret, comparing in constant time, and rejecting a timestamp more
// than a few minutes from its clock (replay protection) — `verifyWebhookSignature` does all
// three. `X-Slimstad-Delivery` carries a stable id of the payload (same on every retry) for
// idempotent receivers.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Notification } from './content.js';
import {
  type DeliveryLogger,
  type DeliveryResult,
  type Receiver,
  type SendOptions,
  silentLogger,
} from './delivery.js';
import { checkUrl, postForDelivery } from './http-post.js';

export const SIGNATURE_HEADER = 'x-slimstad-signature';
export const DELIVERY_HEADER = 'x-slimstad-delivery';

export interface WebhookConfig {
  name: string;
  url: string;
  /** Shared HMAC secret, at least 32 characters. */
  secret: string;
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
  /** Extra headers (e.g. an Authorization token the receiver expects). */
  headers?: Record<string, string>;
  logger?: DeliveryLogger;
  /** For tests: the signing clock. */
  now?: () => Date;
}

/** `t=<unix seconds>,v1=<hex hmac>` for a raw body. */
export function signWebhook(
  secret: string,
  body: string | Uint8Array,
  timestampSec: number,
): string {
  const mac = createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex');
  return `t=${timestampSec},v1=${mac}`;
}

export type VerifyResult = { ok: true; timestampSec: number } | { ok: false; reason: string };

/**
 * Checks a received webhook: the header parses, a `v1` HMAC matches the raw body, and the
 * timestamp is within `toleranceSec` (default 300) of `now`.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string | Uint8Array,
  header: string | null | undefined,
  options: { now?: Date; toleranceSec?: number } = {},
): VerifyResult {
  if (!header) return { ok: false, reason: 'missing signature header' };
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const macs = parts.filter(([k]) => k === 'v1').map(([, v]) => v ?? '');
  if (!t || !/^\d+$/.test(t) || macs.length === 0)
    return { ok: false, reason: 'malformed signature header' };
  const timestampSec = Number(t);
  const nowSec = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSec - timestampSec) > (options.toleranceSec ?? 300)) {
    return { ok: false, reason: 'timestamp outside the tolerance (replayed or clock skew)' };
  }
  const expected = Buffer.from(signWebhook(secret, body, timestampSec).split('v1=')[1]!, 'hex');
  const match = macs.some((m) => {
    const got = Buffer.from(m, 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
  return match ? { ok: true, timestampSec } : { ok: false, reason: 'signature does not match' };
}

/** The stable delivery id of a payload: the same bytes give the same id on every retry. */
export function deliveryId(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

export function createWebhookReceiver(config: WebhookConfig): Receiver {
  const url = checkUrl(config.url, `webhook ${config.name}: url`);
  if (typeof config.secret !== 'string' || config.secret.length < 32) {
    throw new Error(`webhook ${config.name}: secret must be at least 32 characters`);
  }
  const timeoutMs = config.timeoutMs ?? 10_000;
  const log = config.logger ?? silentLogger;
  const now = config.now ?? (() => new Date());
  return {
    name: config.name,
    kind: 'webhook',
    async send(notification: Notification, options: SendOptions = {}): Promise<DeliveryResult> {
      const body = JSON.stringify(notification);
      const ts = Math.floor(now().getTime() / 1000);
      const result = await postForDelivery({
        url,
        timeoutMs,
        body,
        headers: {
          ...config.headers,
          'content-type': 'application/json',
          'user-agent': 'slimstad-alerting',
          [SIGNATURE_HEADER]: signWebhook(config.secret, body, ts),
          [DELIVERY_HEADER]: deliveryId(body),
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const entry = {
        receiver: config.name,
        kind: 'webhook',
        groupKey: notification.groupKey,
        outcome: result.outcome,
      };
      if (result.outcome === 'delivered') log.info(entry, 'notification delivered');
      else log.warn({ ...entry, reason: result.reason }, 'notification not delivered');
      return result;
    },
  };
}

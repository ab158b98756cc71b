// The webhook receiver against real HTTP servers on loopback: signature, retries after 5xx,
// no retry after 4xx, Retry-After, timeouts.
import { describe, expect, it } from 'vitest';
import { type DeliveryResult, deliverWithRetries } from '../src/notify/delivery.js';
import {
  createWebhookReceiver,
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
} from '../src/notify/webhook.receiver.js';
import {
  fastPolicy,
  recordingServers,
  type Script,
  sampleNotification,
} from './notify-fixtures.js';

const SECRET = 'webhook-shared-secret-0123456789abcdef';
const servers = recordingServers();
const server = (script: Script) => servers.start(script);

describe('webhook receiver', () => {
  it('fails with 500, retries with backoff, then delivers the same signed payload', async () => {
    const hook = await server((n) => ({ status: n <= 2 ? 500 : 200 }));
    const receiver = createWebhookReceiver({ name: 'duty', url: hook.url, secret: SECRET });
    const notification = sampleNotification();
    const attempts: Array<[number, DeliveryResult['outcome'], number | undefined]> = [];
    const { result, attempts: count } = await deliverWithRetries(receiver, notification, {
      policy: fastPolicy,
      onAttempt: (a, r, next) => attempts.push([a, r.outcome, next]),
    });
    expect(result.outcome).toBe('delivered');
    expect(count).toBe(3);
    expect(attempts.map(([a, o]) => [a, o])).toEqual([
      [1, 'retryable'],
      [2, 'retryable'],
      [3, 'delivered'],
    ]);
    expect(attempts[0]![2]).toBeGreaterThanOrEqual(10);
    expect(attempts[1]![2]).toBeGreaterThanOrEqual(20);
    expect(hook.requests).toHaveLength(3);
    for (const req of hook.requests) {
      expect(req.method).toBe('POST');
      expect(req.headers['content-type']).toBe('application/json');
      const check = verifyWebhookSignature(
        SECRET,
        req.body,
        req.headers[SIGNATURE_HEADER] as string,
      );
      expect(check).toMatchObject({ ok: true });
      expect(JSON.parse(req.body)).toEqual(notification);
    }
    // The body and its delivery id are identical on every retry, so the receiver can dedupe.
    expect(new Set(hook.requests.map((r) => r.body)).size).toBe(1);
    expect(new Set(hook.requests.map((r) => r.headers[DELIVERY_HEADER])).size).toBe(1);
    const body = JSON.parse(hook.requests[0]!.body);
    expect(body).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'duty',
      groupKey: notification.groupKey,
    });
    expect(body.alerts[0]).toHaveProperty('fingerprint');
  });

  it('does not retry a 4xx', async () => {
    const hook = await server(() => ({ status: 422 }));
    const receiver = createWebhookReceiver({ name: 'duty', url: hook.url, secret: SECRET });
    const { result, attempts } = await deliverWithRetries(receiver, sampleNotification(), {
      policy: fastPolicy,
    });
    expect(result).toEqual({ outcome: 'permanent', reason: 'HTTP 422' });
    expect(attempts).toBe(1);
    expect(hook.requests).toHaveLength(1);
  });

  it('honours Retry-After on 429/503', async () => {
    const hook = await server((n) =>
      n === 1 ? { status: 503, headers: { 'retry-after': '3' } } : { status: 204 },
    );
    const receiver = createWebhookReceiver({ name: 'duty', url: hook.url, secret: SECRET });
    const slept: number[] = [];
    const { result } = await deliverWithRetries(receiver, sampleNotification(), {
      policy: fastPolicy,
      sleep: async (ms) => void slept.push(ms),
    });
    expect(result.outcome).toBe('delivered');
    expect(slept).toEqual([3000]);
  });

  it('times out a receiver that does not answer, as a retryable failure', async () => {
    const hook = await server(() => 'hang');
    const receiver = createWebhookReceiver({
      name: 'duty',
      url: hook.url,
      secret: SECRET,
      timeoutMs: 200,
    });
    const { result, attempts } = await deliverWithRetries(receiver, sampleNotification(), {
      policy: { ...fastPolicy, maxAttempts: 2 },
    });
    expect(result).toEqual({ outcome: 'retryable', reason: 'timed out after 200 ms' });
    expect(attempts).toBe(2);
    expect(hook.requests).toHaveLength(2);
  });

  it('stops retrying at once when aborted (shutdown does not wait out a backoff)', async () => {
    const hook = await server(() => ({ status: 503 }));
    const receiver = createWebhookReceiver({ name: 'duty', url: hook.url, secret: SECRET });
    const controller = new AbortController();
    const started = Date.now();
    const { result, attempts } = await deliverWithRetries(receiver, sampleNotification(), {
      policy: { ...fastPolicy, initialDelayMs: 60_000, maxDelayMs: 60_000 },
      signal: controller.signal,
      onAttempt: () => setTimeout(() => controller.abort(), 50),
    });
    expect(result.outcome).toBe('retryable');
    expect(attempts).toBe(1);
    expect(hook.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('treats a refused connection as retryable', async () => {
    const hook = await server(() => ({ status: 200 }));
    const url = hook.url;
    await servers.closeLast();
    const receiver = createWebhookReceiver({ name: 'duty', url, secret: SECRET, timeoutMs: 2_000 });
    const result = await receiver.send(sampleNotification());
    expect(result).toMatchObject({
      outcome: 'retryable',
      reason: expect.stringMatching(/network error: ECONNREFUSED/),
    });
  });

  it('verification rejects a tampered body, a wrong secret and a replayed (old) timestamp', () => {
    const body = JSON.stringify(sampleNotification());
    const now = new Date('2026-12-03T12:00:00Z');
    const t = Math.floor(now.getTime() / 1000);
    const header = signWebhook(SECRET, body, t);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, body, header, { now })).toEqual({
      ok: true,
      timestampSec: t,
    });
    expect(verifyWebhookSignature(SECRET, body.replace('4.2', '1.2'), header, { now })).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verifyWebhookSignature(`${SECRET}x`, body, header, { now })).toMatchObject({
      ok: false,
    });
    expect(
      verifyWebhookSignature(SECRET, body, header, { now: new Date(now.getTime() + 301_000) }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/timestamp outside/),
    });
    expect(verifyWebhookSignature(SECRET, body, 'garbage', { now })).toEqual({
      ok: false,
      reason: 'malformed signature header',
    });
    expect(verifyWebhookSignature(SECRET, body, undefined, { now })).toEqual({
      ok: false,
      reason: 'missing signature header',
    });
  });

  it('rejects bad configuration with a clear error', () => {
    expect(() => createWebhookReceiver({ name: 'x', url: 'ftp://a', secret: SECRET })).toThrow(
      /webhook x: url must be http\(s\)/,
    );
    expect(() =>
      createWebhookReceiver({ name: 'x', url: 'http://127.0.0.1/', secret: 'short' }),
    ).toThrow(/at least 32/);
  });
});

// The contract every receiver (webhook, e-mail, SMS) fulfils, the retry policy (exponential
// backoff with jitter and a cap, Retry-After honoured), how an HTTP answer or a network error
// is classified, and a small loop that retries one delivery. The policy functions are pure;
// `deliverWithRetries` only sleeps between attempts. Durable retries across restarts belong to
// the caller (e.g. the kit's `retry(delayMs)` decision on a bus message), using `retryDelay`.
import type { Notification } from './content.js';

/** The outcome of one delivery attempt. */
export type DeliveryResult =
  | { outcome: 'delivered'; detail?: string }
  | {
      outcome: 'retryable';
      reason: string;
      /** The receiver asked for this delay (HTTP Retry-After), in ms. */
      retryAfterMs?: number;
      /**
       * Receivers with several recipients (SMS) list the recipient tokens still to do, so a
       * retry does not send twice to those already reached. Pass them back as `recipients`.
       */
      pendingRecipients?: string[];
    }
  | { outcome: 'permanent'; reason: string };

export interface SendOptions {
  /** Only these recipient tokens (from a previous `pendingRecipients`). */
  recipients?: readonly string[];
  /** Aborts the attempt (e.g. on shutdown); counts as retryable. */
  signal?: AbortSignal;
}

export interface Receiver {
  readonly name: string;
  readonly kind: 'webhook' | 'email' | 'sms';
  send(notification: Notification, options?: SendOptions): Promise<DeliveryResult>;
  /** Releases connections (SMTP pools); optional. */
  close?(): Promise<void> | void;
}

/** The logger receivers write to (pino's shape; the kit's `createLogger` fits). */
export interface DeliveryLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const silentLogger: DeliveryLogger = { info() {}, warn() {} };

export interface RetryPolicy {
  /** Delay before the 2nd attempt, ms. */
  initialDelayMs: number;
  /** Growth per attempt (2 doubles). */
  multiplier: number;
  /** No computed delay exceeds this. */
  maxDelayMs: number;
  /** 0 = none; 0.5 = the delay is drawn from [50 %, 100 %] of the computed one. */
  jitter: number;
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** A Retry-After longer than this is cut to it (a receiver cannot park us for a day). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  initialDelayMs: 1_000,
  multiplier: 2,
  maxDelayMs: 5 * 60_000,
  jitter: 0.5,
  maxAttempts: 10,
  maxRetryAfterMs: 15 * 60_000,
});

/**
 * The backoff before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
 * `min(max, initial × multiplier^(attempt-1))`, then jittered down by up to `jitter` of itself
 * (`random` in [0, 1)). Jitter spreads retries of many groups that failed together.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new Error(`attempt must be an integer ≥ 1, got ${attempt}`);
  const raw = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * policy.multiplier ** (attempt - 1),
  );
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(raw * (1 - jitter * random()));
}

/**
 * When to try again after a failed attempt, or `undefined` when not to: a permanent failure
 * or the last allowed attempt. A Retry-After from the receiver wins over the backoff (capped).
 */
export function retryDelay(
  result: DeliveryResult,
  attempt: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number | undefined {
  if (result.outcome !== 'retryable' || attempt >= policy.maxAttempts) return undefined;
  if (result.retryAfterMs !== undefined)
    return Math.min(policy.maxRetryAfterMs, Math.max(0, result.retryAfterMs));
  return backoffDelay(attempt, policy, random);
}

/** HTTP Retry-After (delta-seconds or an HTTP-date, RFC 9110 §10.2.3) → ms from `now`. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: Date = new Date(),
): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/**
 * An HTTP answer as a delivery result: 2xx delivered; 408, 425, 429 and 5xx retryable (with
 * Retry-After); any other status (4xx: the request itself is wrong; 3xx: redirects are not
 * followed) permanent — retrying cannot help.
 */
export function classifyHttpStatus(
  status: number,
  retryAfter?: string | null,
  now: Date = new Date(),
): DeliveryResult {
  if (status >= 200 && status < 300) return { outcome: 'delivered', detail: `HTTP ${status}` };
  if (status >= 500 || status === 408 || status === 425 || status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return {
      outcome: 'retryable',
      reason: `HTTP ${status}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  return {
    outcome: 'permanent',
    reason: `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`,
  };
}

export interface RetryLoopOptions {
  policy?: RetryPolicy;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  /** Called after each attempt (metrics, logs). */
  onAttempt?: (attempt: number, result: DeliveryResult, nextDelayMs: number | undefined) => void;
}

/**
 * Sends until delivered, permanently failed, or out of attempts, sleeping `retryDelay` between
 * attempts and passing `pendingRecipients` on. Returns the last result and the attempts made.
 */
export async function deliverWithRetries(
  receiver: Receiver,
  notification: Notification,
  options: RetryLoopOptions = {},
): Promise<{ result: DeliveryResult; attempts: number }> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const sleep = options.sleep ?? ((ms: number) => abortableSleep(ms, options.signal));
  let recipients: readonly string[] | undefined;
  for (let attempt = 1; ; attempt++) {
    const result = await receiver.send(notification, {
      ...(recipients ? { recipients } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const delay = options.signal?.aborted
      ? undefined
      : retryDelay(result, attempt, policy, options.random);
    options.onAttempt?.(attempt, result, delay);
    if (delay === undefined) return { result, attempts: attempt };
    if (result.outcome === 'retryable' && result.pendingRecipients)
      recipients = result.pendingRecipients;
    await sleep(delay);
    if (options.signal?.aborted) return { result, attempts: attempt };
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (shutdown must not wait out a backoff). */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

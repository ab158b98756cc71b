// One HTTP POST of a delivery (webhook, SMS gateway) with a hard timeout, classified as a
// DeliveryResult: network errors and timeouts are retryable, statuses per `classifyHttpStatus`.
// Redirects are not followed: a receiver URL is configuration, a redirect elsewhere is not.
// The request carries the active trace context (`traceparent`), as an instrumented client would.
import { injectTraceContext, recordCarrier } from '@slimstad/kit';
import { classifyHttpStatus, type DeliveryResult } from './delivery.js';

export interface PostOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function postForDelivery(options: PostOptions): Promise<DeliveryResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const headers = { ...options.headers };
  injectTraceContext(recordCarrier(headers));
  try {
    const res = await fetch(options.url, {
      method: 'POST',
      headers,
      body: options.body,
      redirect: 'manual',
      signal,
    });
    // Drain the body so the connection is reusable; its content is not needed.
    await res.arrayBuffer().catch(() => undefined);
    return classifyHttpStatus(res.status, res.headers.get('retry-after'));
  } catch (error) {
    if (timeout.aborted)
      return { outcome: 'retryable', reason: `timed out after ${options.timeoutMs} ms` };
    if (options.signal?.aborted) return { outcome: 'retryable', reason: 'aborted' };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      outcome: 'retryable',
      reason: `network error: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    };
  }
}

/** An http(s) URL, or an error naming the field. */
export function checkUrl(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new Error(`${field} must be a URL string`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`${field} is not a valid URL: ${JSON.stringify(value)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`${field} must be http(s), got ${u.protocol}`);
  return value;
}

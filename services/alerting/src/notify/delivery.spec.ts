import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyHttpStatus,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  type RetryPolicy,
  retryDelay,
} from './delivery.js';

const policy: RetryPolicy = {
  initialDelayMs: 1000,
  multiplier: 2,
  maxDelayMs: 60_000,
  jitter: 0.5,
  maxAttempts: 8,
  maxRetryAfterMs: 600_000,
};

describe('retry policy', () => {
  it('doubles from the initial delay up to the cap, jittered down by at most the jitter share', () => {
    const noJitter = { ...policy, jitter: 0 };
    expect([1, 2, 3, 4, 6, 7, 20].map((a) => backoffDelay(a, noJitter))).toEqual([
      1000, 2000, 4000, 8000, 32_000, 60_000, 60_000,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(4000);
    expect(backoffDelay(3, policy, () => 0.999_999)).toBe(2000);
    expect(() => backoffDelay(0, policy)).toThrow(/attempt/);
  });

  it('properties: within [raw·(1−jitter), raw], never above the cap, monotone without jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const raw = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
          const d = backoffDelay(attempt, policy, () => r);
          expect(d).toBeLessThanOrEqual(policy.maxDelayMs);
          expect(d).toBeGreaterThanOrEqual(Math.floor(raw * 0.5));
          expect(d).toBeLessThanOrEqual(raw);
          const flat = { ...policy, jitter: 0 };
          expect(backoffDelay(attempt + 1, flat)).toBeGreaterThanOrEqual(
            backoffDelay(attempt, flat),
          );
        },
      ),
    );
  });

  it('stops on permanent failures and after the last attempt; honours Retry-After up to a cap', () => {
    expect(retryDelay({ outcome: 'permanent', reason: 'HTTP 400' }, 1, policy)).toBeUndefined();
    expect(retryDelay({ outcome: 'delivered' }, 1, policy)).toBeUndefined();
    expect(retryDelay({ outcome: 'retryable', reason: 'HTTP 500' }, 8, policy)).toBeUndefined();
    expect(retryDelay({ outcome: 'retryable', reason: 'HTTP 500' }, 2, policy, () => 0)).toBe(2000);
    expect(
      retryDelay({ outcome: 'retryable', reason: 'HTTP 429', retryAfterMs: 30_000 }, 1, policy),
    ).toBe(30_000);
    expect(
      retryDelay({ outcome: 'retryable', reason: 'HTTP 503', retryAfterMs: 86_400_000 }, 1, policy),
    ).toBe(600_000);
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBeGreaterThan(1);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-12-03T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 03 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 03 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('classifies HTTP statuses: 2xx delivered, 4xx permanent, 5xx/408/429 retryable', () => {
    expect(classifyHttpStatus(204).outcome).toBe('delivered');
    expect(classifyHttpStatus(400)).toEqual({ outcome: 'permanent', reason: 'HTTP 400' });
    expect(classifyHttpStatus(404).outcome).toBe('permanent');
    expect(classifyHttpStatus(302).outcome).toBe('permanent');
    expect(classifyHttpStatus(500)).toEqual({ outcome: 'retryable', reason: 'HTTP 500' });
    expect(classifyHttpStatus(429, '7')).toEqual({
      outcome: 'retryable',
      reason: 'HTTP 429',
      retryAfterMs: 7000,
    });
    expect(classifyHttpStatus(408).outcome).toBe('retryable');
  });
});

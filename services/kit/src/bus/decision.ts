// What a message handler decides. Handlers return a decision instead of calling ack
// themselves, so acknowledgement, retry bounds and dead-lettering live in one place.

export type Decision =
  | { kind: 'ack' }
  | { kind: 'retry'; reason: string; afterMs?: number }
  | { kind: 'dead-letter'; reason: string };

export const ack = (): Decision => ({ kind: 'ack' });
/** Try again later (with the consumer's backoff unless `afterMs` is given). */
export const retry = (reason: string, afterMs?: number): Decision =>
  afterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, afterMs };
/** The message can never succeed (poison): park it on the dead-letter subject now. */
export const deadLetter = (reason: string): Decision => ({ kind: 'dead-letter', reason });

/**
 * Exponential backoff for the n-th failed delivery (1-based), capped, with ±20 % jitter so a
 * burst of failures does not come back as a burst.
 */
export function backoffDelay(
  delivery: number,
  options: { initialMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, delivery - 1));
  const jitter = 1 + (random() * 0.4 - 0.2);
  return Math.max(0, Math.round(Math.min(options.maxMs, base * jitter)));
}

// Per-device token buckets: a runaway device cannot flood the platform, while normal bursts
// (a gateway flushing a backlog) pass. Pure: the clock is passed in.

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes one token for `key` at time `nowMs`; false when the bucket is empty. */
  take(key: string, nowMs: number): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: nowMs };
    const refilled = Math.min(
      this.burst,
      bucket.tokens + ((nowMs - bucket.at) / 1000) * this.ratePerSecond,
    );
    const allowed = refilled >= 1;
    this.buckets.set(key, {
      tokens: allowed ? refilled - 1 : refilled,
      at: Math.max(nowMs, bucket.at),
    });
    return allowed;
  }
}

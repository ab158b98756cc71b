// What every benchmark script needs: a free loopback port for a spawned service, percentiles of
// measured latencies, and the p50/p99 of a Prometheus histogram a service exports.
import { createServer } from 'node:net';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** The p-th percentile (nearest rank) of ascending `sorted`; 0 when empty. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);

/** p50/p99 upper bounds (ms) from a Prometheus histogram's cumulative buckets. */
export function histogramSummary(text: string, name: string, unit: 'ms' | 'count' = 'ms'): string {
  const buckets = [
    ...text.matchAll(new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} (\\d+)`, 'gm')),
  ].map((m) => [Number(m[1]), Number(m[2])] as const);
  const total = buckets.at(-1)?.[1] ?? 0;
  const bound = (q: number) => buckets.find(([, n]) => n >= q * total)?.[0] ?? Number.NaN;
  if (unit === 'count') return `n=${total} p50≤${bound(0.5)} p99≤${bound(0.99)}`;
  return `n=${total} p50≤${bound(0.5) * 1000} ms p99≤${bound(0.99) * 1000} ms`;
}

// Prometheus metrics for one service process. Names follow `slimstad_<service>_<what>_<unit>`
// with `_total` for counters; labels never carry personal data.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  counter(name: string, help: string, labelNames?: readonly string[]): Counter<string>;
  /** `collect`, when given, runs at every scrape to set the gauge's current values. */
  gauge(
    name: string,
    help: string,
    labelNames?: readonly string[],
    collect?: (this: Gauge<string>) => void | Promise<void>,
  ): Gauge<string>;
  histogram(
    name: string,
    help: string,
    labelNames?: readonly string[],
    buckets?: number[],
  ): Histogram<string>;
  /** RED metrics shared by gRPC handlers and bus consumers (rate, errors, duration). */
  handled: Counter<string>;
  duration: Histogram<string>;
  /** Events published on the bus, by event pattern and outcome (`ok`, `error`). */
  published: Counter<string>;
  /**
   * Reports a durable consumer's backlog at every scrape: `consumer_pending_messages` (not yet
   * delivered: the lag), `consumer_ack_pending_messages` and `consumer_redelivered_messages`.
   * Returns the function that stops reporting it.
   */
  watchConsumer(durable: string, info: () => Promise<ConsumerBacklog>): () => void;
  /** Reports a connection pool at every scrape: `db_pool_connections{state}`, waiting, max. */
  watchPool(pool: PoolFigures, max: number): void;
}

/** What JetStream's consumer info says about a consumer's backlog. */
export interface ConsumerBacklog {
  num_pending: number;
  num_ack_pending: number;
  num_redelivered: number;
}

/** The figures node-postgres keeps on its pool. */
export interface PoolFigures {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

const metricName = (service: string, name: string) =>
  `slimstad_${service.replace(/-/g, '_')}_${name}`;

export function createMetrics(
  service: string,
  options: { defaultMetrics?: boolean } = {},
): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const counter = (name: string, help: string, labelNames: readonly string[] = []) =>
    new Counter({ name: metricName(service, name), help, labelNames, registers: [registry] });
  const gauge = (
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    collect?: (this: Gauge<string>) => void | Promise<void>,
  ) =>
    new Gauge({
      name: metricName(service, name),
      help,
      labelNames,
      registers: [registry],
      ...(collect ? { collect } : {}),
    });
  const histogram = (
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets?: number[],
  ) =>
    new Histogram({
      name: metricName(service, name),
      help,
      labelNames,
      registers: [registry],
      ...(buckets ? { buckets } : {}),
    });

  // Asked at scrape time, not on a timer: the figures are as fresh as the scrape and cost
  // nothing between scrapes. One JetStream request per consumer, shared by the three gauges.
  const consumers = new Map<string, () => Promise<ConsumerBacklog>>();
  let backlog: Promise<Map<string, ConsumerBacklog>> | undefined;
  const consumerBacklog = () => {
    backlog ??= (async () => {
      const figures = new Map<string, ConsumerBacklog>();
      await Promise.all(
        [...consumers].map(async ([durable, info]) => {
          try {
            figures.set(durable, await info());
          } catch {
            // NATS unreachable or the consumer gone: no figure rather than a stale one
          }
        }),
      );
      return figures;
    })().finally(() => setTimeout(() => (backlog = undefined), 500).unref());
    return backlog;
  };
  const backlogGauge = (name: string, help: string, pick: (b: ConsumerBacklog) => number) =>
    new Gauge({
      name: metricName(service, name),
      help,
      labelNames: ['consumer'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const [consumer, b] of await consumerBacklog()) this.set({ consumer }, pick(b));
      },
    });
  backlogGauge(
    'consumer_pending_messages',
    'Messages in the stream not yet delivered to the durable consumer (its lag).',
    (b) => b.num_pending,
  );
  backlogGauge(
    'consumer_ack_pending_messages',
    'Messages delivered to the durable consumer and not yet acknowledged.',
    (b) => b.num_ack_pending,
  );
  backlogGauge(
    'consumer_redelivered_messages',
    'Messages delivered more than once and not yet acknowledged.',
    (b) => b.num_redelivered,
  );

  const pools: { pool: PoolFigures; max: number }[] = [];
  const poolGauge = (
    name: string,
    help: string,
    labelNames: string[],
    set: (g: Gauge<string>, p: { pool: PoolFigures; max: number }) => void,
  ) =>
    new Gauge({
      name: metricName(service, name),
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const p of pools) set(this, p);
      },
    });
  poolGauge('db_pool_connections', 'Open database connections, by state.', ['state'], (g, p) => {
    g.inc({ state: 'idle' }, p.pool.idleCount);
    g.inc({ state: 'in_use' }, p.pool.totalCount - p.pool.idleCount);
  });
  poolGauge('db_pool_waiting_clients', 'Queries waiting for a free connection.', [], (g, p) =>
    g.inc(p.pool.waitingCount),
  );
  poolGauge('db_pool_max_connections', 'Connections the pool may open.', [], (g, p) =>
    g.inc(p.max),
  );

  return {
    registry,
    counter,
    gauge,
    histogram,
    published: counter(
      'events_published_total',
      'Events published on the bus, by event and outcome.',
      ['event', 'outcome'],
    ),
    watchConsumer(durable, info) {
      consumers.set(durable, info);
      return () => {
        if (consumers.get(durable) === info) consumers.delete(durable);
      };
    },
    watchPool(pool, max) {
      pools.push({ pool, max });
    },
    handled: counter('handled_total', 'Requests and messages handled, by handler and outcome.', [
      'kind',
      'handler',
      'outcome',
    ]),
    duration: histogram(
      'handler_duration_seconds',
      'Time spent handling one request or message.',
      ['kind', 'handler'],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
  };
}

// Prometheus metrics for one service process. Names follow `slimstad_<service>_<what>_<unit>`
// with `_total` for counters; labels never carry personal data.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  counter(name: string, help: string, labelNames?: readonly string[]): Counter<string>;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge<string>;
  histogram(
    name: string,
    help: string,
    labelNames?: readonly string[],
    buckets?: number[],
  ): Histogram<string>;
  /** RED metrics shared by gRPC handlers and bus consumers (rate, errors, duration). */
  handled: Counter<string>;
  duration: Histogram<string>;
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
  const gauge = (name: string, help: string, labelNames: readonly string[] = []) =>
    new Gauge({ name: metricName(service, name), help, labelNames, registers: [registry] });
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
  return {
    registry,
    counter,
    gauge,
    histogram,
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

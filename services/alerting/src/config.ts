// The alerting service's environment: the kit's variables, the city clock, rule evaluation and
// notification timing, the routing tree and receivers, inhibition rules, and the Atom feed.
import { baseConfigShape, clockConfigShape, millis, port } from '@slimstad/kit';
import { z } from 'zod';

const json = (what: string) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `must be JSON (${what}): ${(error as Error).message}`,
      });
      return z.NEVER;
    }
  });

export const alertingConfigSchema = z.object({
  ...baseConfigShape,
  ...clockConfigShape,
  SERVICE_NAME: z.string().default('alerting'),
  /** Municipality code: the CAP sender and the `share.alert.cap` key fields. */
  MUNICIPALITY_CODE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a single NATS token')
    .default('demo'),
  /**
   * The routing tree (Alertmanager's `route`, JSON): receiver, group_by, group_wait,
   * group_interval, repeat_interval, matchers, continue, routes. Default: everything to the
   * first receiver, grouped by alertname and zone.
   */
  ALERTING_ROUTE: json('a routing tree').optional(),
  /**
   * Receivers (JSON array): `{ "name", "type": "webhook", "url", "secret" }`,
   * `{ "name", "type": "email", … }`, `{ "name", "type": "sms", … }` (see notify/README.md).
   */
  ALERTING_RECEIVERS: json('a list of receivers').default([]),
  /** The municipality's secret (≥ 32 characters) for keyed hashes of SMS receivers' phone numbers. */
  ALERTING_IDENTITY_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Inhibition rules (JSON array): `{ "source": [matchers], "target": [matchers], "equal": [labels] }`. */
  ALERTING_INHIBIT_RULES: json('a list of inhibition rules').default([]),
  /** Real ms between evaluations of time (`for`, absence, nights, hours, escalations). */
  ALERTING_TICK_MS: millis.default(1_000),
  /** Real ms between polls of the notification outbox (other replicas' work, retries). */
  ALERTING_DISPATCH_POLL_MS: millis.default(1_000),
  /** Real ms between re-reads of the rules (other replicas' saves). */
  ALERTING_RULES_RELOAD_MS: millis.default(5_000),
  /** Delivery attempts of one notification before it is marked failed. */
  ALERTING_DELIVERY_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  ALERTING_RETRY_INITIAL_MS: millis.default(1_000),
  ALERTING_RETRY_MAX_MS: millis.default(300_000),
  /** How long a sender's claim on a notification lasts before another may take it over. */
  ALERTING_CLAIM_MS: millis.default(30_000),
  /** IANA time zone of the city (CAP date-times, night and weekday rules' defaults). */
  ALERTING_TIME_ZONE: z.string().default('Europe/Brussels'),
  /** CAP sender of public warnings; default `alerting@<MUNICIPALITY_CODE>.slimstad`. */
  ALERTING_CAP_SENDER: z
    .string()
    .regex(/^[^\s,<&]+$/, 'must have no spaces, commas, < or &')
    .optional(),
  /** Ingest's gRPC address, for dry runs over recorded readings (QueryReadings). */
  INGEST_GRPC_ADDRESS: z.string().optional(),
  /** A viewer token for ingest's API (required with INGEST_GRPC_ADDRESS). */
  INGEST_TOKEN: z.string().optional(),
  /** Port of the HTTP server for the public Atom feed of CAP warnings. */
  HTTP_PORT: port.default(8081),
  /** Public base URL of the feed (links in Atom entries). */
  ALERTING_PUBLIC_URL: z.string().default('http://127.0.0.1:8081'),
});

export type AlertingConfig = z.infer<typeof alertingConfigSchema>;

// The ingest service's environment: the kit's variables plus its own limits and edges.
import { baseConfigShape, millis, port } from '@slimstad/kit';
import { z } from 'zod';

const secrets = z
  .string()
  .default('')
  .transform((value, ctx) => {
    // `name=secret,name2=secret2`: one secret per integration, so one can be rotated alone.
    const entries = value
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => pair.split('='));
    for (const entry of entries) {
      if (entry.length !== 2 || !entry[0] || !entry[1]) {
        ctx.addIssue({ code: 'custom', message: 'must be name=secret pairs separated by commas' });
        return z.NEVER;
      }
    }
    return new Map(entries as [string, string][]);
  });

export const ingestConfigSchema = z.object({
  ...baseConfigShape,
  SERVICE_NAME: z.string().default('ingest'),
  /** `Municipality.code` of this city (a single NATS token), stamped on every device. */
  MUNICIPALITY_CODE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 characters from A-Z a-z 0-9 _ -')
    .default('local'),
  /** Readings stamped further in the future than this are rejected (device clock skew). */
  INGEST_MAX_FUTURE_SKEW_MS: millis.default(5 * 60_000),
  /** Readings older than this are rejected (late data beyond the partitions kept hot). */
  INGEST_MAX_AGE_MS: millis.default(7 * 24 * 3600_000),
  /** Per-device rate limit: sustained readings per second, and burst. */
  INGEST_DEVICE_RATE_PER_S: z.coerce.number().positive().default(20),
  INGEST_DEVICE_BURST: z.coerce.number().int().positive().default(200),
  /**
   * Rows per database flush, and the longest a reading waits for its flush. The wait only
   * applies to a lane that is idle (under load, flushes run back to back and take whatever
   * queued meanwhile), so it is short: every alert on a reading waits it first.
   */
  INGEST_FLUSH_MAX_ROWS: z.coerce.number().int().positive().default(20_000),
  INGEST_FLUSH_MAX_DELAY_MS: millis.default(20),
  /**
   * How long an intake message taken by a process that died waits before it is delivered
   * again (the consumers' ack wait). Longer than a slow flush under load.
   */
  INGEST_INTAKE_ACK_WAIT_MS: millis.default(30_000),
  /**
   * `copy` (fast) or `insert` (multi-row INSERT) for the reading flushes; the local launcher
   * sets `insert` on its embedded PGlite fallback, whose wire server cannot take COPY FROM STDIN.
   */
  INGEST_BULK_WRITE: z.enum(['copy', 'insert']).default('copy'),
  /** Largest payload accepted at an edge (HTTP body, MQTT message), in bytes. */
  INGEST_MAX_PAYLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /** Days kept per data classification; partitions older than this are dropped. */
  RETENTION_PUBLIC_DAYS: z.coerce.number().int().positive().default(730),
  RETENTION_INTERNAL_DAYS: z.coerce.number().int().positive().default(365),
  RETENTION_PERSONAL_DAYS: z.coerce.number().int().positive().default(30),
  /** A device is offline after missing this many expected report intervals. */
  OFFLINE_AFTER_INTERVALS: z.coerce.number().positive().default(3),
  /** MQTT broker for LoRaWAN network servers and plain JSON devices; empty disables it. */
  MQTT_URL: z.string().default('mqtt://127.0.0.1:1883'),
  MQTT_CHIRPSTACK_TOPIC: z.string().default('application/+/device/+/event/up'),
  MQTT_JSON_TOPIC: z.string().default('slimstad/readings/+'),
  /**
   * Broker connections per replica, joined in one shared subscription (`$share/<group>/…`).
   * Each connection handles one message at a time (its PUBACK waits for JetStream), so more
   * connections take more messages per second. 1 = a plain subscription.
   */
  MQTT_CONNECTIONS: z.coerce.number().int().min(1).max(32).default(4),
  /** Shared-subscription group of all replicas, so each message reaches one connection. */
  MQTT_SHARE_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ and -')
    .default('slimstad-ingest'),
  /** Prefix of the MQTT client ids; `-<n>` is appended per connection. Default `slimstad-ingest-<hostname>`. */
  MQTT_CLIENT_ID: z.string().optional(),
  /** HTTP port for network-server webhooks (ChirpStack, The Things Stack). */
  HTTP_PORT: port.default(8080),
  /** Webhook secrets per integration: `chirpstack=…,tts=…`. */
  WEBHOOK_SECRETS: secrets,
});

export type IngestConfig = z.infer<typeof ingestConfigSchema>;

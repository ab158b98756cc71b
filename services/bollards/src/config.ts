// The bollards service's environment: the kit's variables, the city clock, the identity secret,
// safety timing and retention.
import { baseConfigShape, clockConfigShape, millis } from '@slimstad/kit';
import { z } from 'zod';

export const bollardsConfigSchema = z.object({
  ...baseConfigShape,
  ...clockConfigShape,
  SERVICE_NAME: z.string().default('bollards'),
  /**
   * The municipality's secret for the keyed hashes of plates and badge ids (HMAC-SHA256), shared
   * with the reader gateways. At least 32 characters; never logged.
   */
  BOLLARDS_IDENTITY_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** Real ms to wait for a controller's acknowledgement before sending again. */
  BOLLARDS_ACK_TIMEOUT_MS: millis.default(3_000),
  /** Attempts (first send included) before a bollard goes to fault. */
  BOLLARDS_COMMAND_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /** Real ms after the loop clears before the bollard rises again. */
  BOLLARDS_RAISE_DELAY_MS: millis.default(5_000),
  /** Real ms an admission keeps a bollard down for a vehicle that has not reached the loop. */
  BOLLARDS_ADMISSION_HOLD_MS: millis.default(60_000),
  /** Reversals of one rise after which the bollard stays down and faults. */
  BOLLARDS_MAX_REVERSALS: z.coerce.number().int().min(1).max(10).default(3),
  /** Requests observed longer ago than this (clock ms) are refused, except emergencies. */
  BOLLARDS_MAX_REQUEST_AGE_MS: millis.default(30_000),
  /** Real ms between evaluations of every bollard (retries, raises). */
  BOLLARDS_TICK_MS: millis.default(250),
  /** Real ms between heartbeats to each zone's controllers. */
  BOLLARDS_HEARTBEAT_MS: millis.default(5_000),
  /** Real ms without heartbeats after which controllers follow their fail mode. */
  BOLLARDS_FAIL_AFTER_MS: millis.default(20_000),
  /** Real ms between re-reads of zones, bollards and permits (other replicas' changes). */
  BOLLARDS_RELOAD_MS: millis.default(30_000),
  /** Days the audit log is kept; older entries are purged (GDPR storage limitation). */
  BOLLARDS_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(180),
});

export type BollardsConfig = z.infer<typeof bollardsConfigSchema>;

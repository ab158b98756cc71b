// The lighting service's environment: the kit's variables, the clock, and control timing.
import { baseConfigShape, clockConfigShape, millis } from '@slimstad/kit';
import { z } from 'zod';

export const lightingConfigSchema = z.object({
  ...baseConfigShape,
  ...clockConfigShape,
  SERVICE_NAME: z.string().default('lighting'),
  /** Real ms to wait for a controller's acknowledgement before sending again. */
  LIGHTING_ACK_TIMEOUT_MS: millis.default(2_000),
  /** Attempts (first send included) before a lamp is declared unreachable. */
  LIGHTING_COMMAND_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  /** Real ms between attempts to reach an unreachable lamp. */
  LIGHTING_UNREACHABLE_RETRY_MS: millis.default(60_000),
  /** Real ms between evaluations of every lamp. */
  LIGHTING_TICK_MS: millis.default(1_000),
  /** Real ms between heartbeats to each zone. */
  LIGHTING_HEARTBEAT_MS: millis.default(10_000),
  /** Clock ms without heartbeats after which controllers run their own night schedule. */
  LIGHTING_FAIL_SAFE_AFTER_MS: millis.default(60_000),
  /** Detections observed longer ago than this (clock ms) are ignored. */
  LIGHTING_MAX_DETECTION_AGE_MS: millis.default(30_000),
  /** Real ms between saves of lamp state and energy. */
  LIGHTING_PERSIST_MS: millis.default(5_000),
  /** Real ms between re-reads of zones, lamps, profiles and overrides (other replicas' changes). */
  LIGHTING_RELOAD_MS: millis.default(30_000),
});

export type LightingConfig = z.infer<typeof lightingConfigSchema>;

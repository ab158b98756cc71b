// The federation service's environment: the kit's variables, the clock, the city, its policy
// and (when it federates) the region description, and the link watching intervals.
import { baseConfigShape, clockConfigShape, millis } from '@slimstad/kit';
import { z } from 'zod';
import { CITY_ID } from './domain/policy.js';

export const federationConfigSchema = z.object({
  ...baseConfigShape,
  ...clockConfigShape,
  SERVICE_NAME: z.string().default('federation'),
  /** This city's id (its JetStream domain in a region), e.g. `brugge`. */
  FEDERATION_CITY: z
    .string()
    .regex(CITY_ID, 'must be a city id (lower-case letters, digits and _)'),
  /** The sharing policy file (YAML, see deploy/federation/). */
  FEDERATION_POLICY_FILE: z.string().min(1),
  /**
   * The region description (deploy/region.yaml). Unset: the city is in no region — it derives
   * its shared streams locally and sends them to no one (the local demo city).
   */
  FEDERATION_REGION_FILE: z.string().optional(),
  /** Real ms between link checks. */
  FEDERATION_LINK_CHECK_MS: millis.default(5_000),
  /** Real ms a source may hold messages without moving before it is reported stalled. */
  FEDERATION_STALL_AFTER_MS: millis.default(60_000),
  /** Clock ms after a window's end before its aggregate is shared (readings arriving late). */
  FEDERATION_WINDOW_GRACE_MS: millis.default(60_000),
  /** Real ms between checks of the policy file for changes (0: only on ReloadPolicy). */
  FEDERATION_POLICY_WATCH_MS: z.coerce.number().int().min(0).default(10_000),
});

export type FederationConfig = z.infer<typeof federationConfigSchema>;

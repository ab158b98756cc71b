// The waste service's environment: the kit's variables, the city clock, the city's time zone,
// fill-model and planning settings, and the distance-matrix provider.
import { baseConfigShape, clockConfigShape, isTimeZone, millis } from '@slimstad/kit';
import { z } from 'zod';

export const wasteConfigSchema = z.object({
  ...baseConfigShape,
  ...clockConfigShape,
  SERVICE_NAME: z.string().default('waste'),
  GRPC_PORT: baseConfigShape.GRPC_PORT.default(50055),
  OPS_PORT: baseConfigShape.OPS_PORT.default(9468),
  /** IANA time zone of the city: shifts, access windows and weekday/hour patterns are local. */
  WASTE_TIME_ZONE: z
    .string()
    .default('Europe/Brussels')
    .refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Brussels'),
  /** Fill (percent) at which a bin is due for emptying. */
  WASTE_THRESHOLD_PERCENT: z.coerce.number().min(1).max(100).default(80),
  /** A fall of at least this many percentage points is read as an emptying. */
  WASTE_EMPTY_DROP_PERCENT: z.coerce.number().min(5).max(100).default(20),
  /** Days between a stream's shifts (1: daily rounds possible). */
  WASTE_DAYS_BETWEEN_SHIFTS: z.coerce.number().int().min(1).max(14).default(1),
  /** Solver time limit when a request names none. */
  WASTE_SOLVE_TIME_LIMIT_MS: millis.default(5_000),
  /** Penalty per second late at a soft window, in metres of the objective. */
  WASTE_LATE_PENALTY_PER_SECOND: z.coerce.number().min(0).default(10),
  /** Great-circle provider: road distance ≈ great-circle distance × this factor. */
  WASTE_ROAD_FACTOR: z.coerce.number().min(1).max(3).default(1.3),
  /** Great-circle provider: average speed in km/h. */
  WASTE_AVERAGE_SPEED_KMH: z.coerce.number().positive().max(130).default(25),
  /** Base URL of an OSRM-compatible service (its `/table/v1/driving/…`); unset: great-circle. */
  WASTE_OSRM_URL: z.url({ error: 'must be a URL, e.g. http://osrm:5000' }).optional(),
  /** Time allowed for one OSRM `/table` request before falling back to great-circle. */
  WASTE_OSRM_TIMEOUT_MS: millis.default(5_000),
  /** Days fill readings are kept (the models hold what they learnt; readings are for review). */
  WASTE_READING_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  /** Days the audit log is kept. */
  WASTE_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(365),
});

export type WasteConfig = z.infer<typeof wasteConfigSchema>;

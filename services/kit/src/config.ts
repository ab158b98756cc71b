// Typed, validated, frozen configuration from the environment. A missing or malformed
// variable stops start-up with a message naming the variable and what to do about it.
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(
      `invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}\n` +
        'Set the variables above (see the service README for each one) and start again.',
    );
    this.name = 'ConfigError';
  }
}

/** A variable that must be set; the name is reported when it is missing. */
export const required = z.string({ error: 'is required but not set' }).min(1, 'is empty');

/** A TCP port number. */
export const port = z.coerce.number().int().min(0).max(65535);

/** Milliseconds as a positive integer. */
export const millis = z.coerce.number().int().positive();

/** Variables every service reads (kit-level concerns). */
export const baseConfigShape = {
  SERVICE_NAME: required,
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /** The service's NATS user (deploy/nats/city.conf); NATS_PASSWORD is then required. */
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  /** A `.creds` file (JWT + nkey seed), instead of NATS_USER/NATS_PASSWORD. */
  NATS_CREDS_FILE: z.string().optional(),
  /**
   * Where replies arrive. Defaults to `_INBOX_<NATS_USER>` when a user is set (the only inbox
   * its permissions allow), otherwise to NATS's shared `_INBOX`.
   */
  NATS_INBOX_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be subject tokens without wildcards')
    .optional(),
  /** Prefix for every subject and stream; empty in production, unique per test file. */
  NATS_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9]*$/, 'must be lower-case letters and digits')
    .default(''),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/slimstad'),
  DATABASE_POOL_MAX: z.coerce.number().int().positive().default(10),
  GRPC_PORT: port.default(50051),
  /** Interface to listen on: 0.0.0.0 in a pod, 127.0.0.1 on a workstation. */
  LISTEN_HOST: z.string().default('0.0.0.0'),
  /** Port for /metrics, /healthz and /readyz. */
  OPS_PORT: port.default(9464),
  /** HS256 secret or a PEM public key (RS256/ES256) that verifies operators' bearer tokens. */
  AUTH_JWT_KEY: required,
  AUTH_JWT_ISSUER: z.string().default('slimstad'),
  AUTH_JWT_AUDIENCE: z.string().default('slimstad'),
  SHUTDOWN_TIMEOUT_MS: millis.default(15_000),
};

/** The variables of a process without a database or bus of its own (see `startProcess`). */
export const processConfigShape = {
  SERVICE_NAME: baseConfigShape.SERVICE_NAME,
  LOG_LEVEL: baseConfigShape.LOG_LEVEL,
  GRPC_PORT: baseConfigShape.GRPC_PORT,
  LISTEN_HOST: baseConfigShape.LISTEN_HOST,
  OPS_PORT: baseConfigShape.OPS_PORT,
  AUTH_JWT_KEY: baseConfigShape.AUTH_JWT_KEY,
  AUTH_JWT_ISSUER: baseConfigShape.AUTH_JWT_ISSUER,
  AUTH_JWT_AUDIENCE: baseConfigShape.AUTH_JWT_AUDIENCE,
  SHUTDOWN_TIMEOUT_MS: baseConfigShape.SHUTDOWN_TIMEOUT_MS,
};
export type ProcessConfig = z.infer<z.ZodObject<typeof processConfigShape>>;

export const baseConfigSchema = z.object(baseConfigShape);
export type BaseConfig = z.infer<typeof baseConfigSchema>;

/**
 * Parses the environment with a zod object schema and freezes the result.
 *
 * @example
 * const config = loadConfig(z.object({ ...baseConfigShape, MQTT_URL: required }));
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => ({
        variable: issue.path.join('.') || '(environment)',
        message: issue.message,
      }));
  if (declares(schema, 'NATS_USER')) problems.push(...natsAuthProblems(env));
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(result.data);
}

const declares = (schema: z.ZodType, key: string): boolean =>
  schema instanceof z.ZodObject && key in schema.shape;

/**
 * How a service authenticates to NATS must be complete and unambiguous: a user needs its
 * password (and the reverse), and a creds file replaces both. Empty counts as unset.
 */
export function natsAuthProblems(
  env: Record<string, string | undefined>,
): { variable: string; message: string }[] {
  const user = Boolean(env.NATS_USER);
  const password = Boolean(env.NATS_PASSWORD);
  const problems: { variable: string; message: string }[] = [];
  if (user && !password) {
    problems.push({
      variable: 'NATS_PASSWORD',
      message: `is required when NATS_USER is set (the password of NATS user "${env.NATS_USER}")`,
    });
  }
  if (password && !user) {
    problems.push({ variable: 'NATS_USER', message: 'is required when NATS_PASSWORD is set' });
  }
  if (env.NATS_CREDS_FILE && (user || password)) {
    problems.push({
      variable: 'NATS_CREDS_FILE',
      message: 'cannot be combined with NATS_USER/NATS_PASSWORD; set one way to authenticate',
    });
  }
  return problems;
}

// Chooses the real PostgreSQL and NATS that tests run against, once per test run.
//
// Order: explicit DATABASE_URL / NATS_URL (someone asked for those servers) → containers
// started by testcontainers when a Docker engine answers → the servers this machine runs
// on 127.0.0.1. testcontainers is imported only when Docker answers (the import alone costs
// ~0.4 s), so the choice takes well under a second when there is no engine.
import { dockerAnswers } from './docker.js';

export interface Infrastructure {
  databaseUrl: string;
  natsUrl: string;
  /** How the servers were found, for the test log. */
  source: 'environment' | 'testcontainers' | 'local-defaults';
  stop(): Promise<void>;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export async function resolveInfrastructure(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Infrastructure> {
  if (env.DATABASE_URL && env.NATS_URL) {
    return {
      databaseUrl: env.DATABASE_URL,
      natsUrl: env.NATS_URL,
      source: 'environment',
      stop: async () => {},
    };
  }
  if (await dockerAnswers(800, env)) return startContainers(env);
  return {
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    natsUrl: env.NATS_URL ?? DEFAULT_NATS_URL,
    source: 'local-defaults',
    stop: async () => {},
  };
}

async function startContainers(env: NodeJS.ProcessEnv): Promise<Infrastructure> {
  const [{ PostgreSqlContainer }, { NatsContainer }] = await Promise.all([
    import('@testcontainers/postgresql'),
    import('@testcontainers/nats'),
  ]);
  const [pg, nats] = await Promise.all([
    env.DATABASE_URL ? undefined : new PostgreSqlContainer('postgres:16-alpine').start(),
    env.NATS_URL ? undefined : new NatsContainer('nats:2.10-alpine').withJetStream().start(),
  ]);
  return {
    databaseUrl: env.DATABASE_URL ?? pg!.getConnectionUri(),
    natsUrl: env.NATS_URL ?? `nats://${nats!.getHost()}:${nats!.getMappedPort(4222)}`,
    source: 'testcontainers',
    stop: async () => {
      await Promise.all([pg?.stop(), nats?.stop()]);
    },
  };
}

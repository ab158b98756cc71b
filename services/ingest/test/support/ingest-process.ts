// The ingest service as a real process for end-to-end tests: its own database and NATS
// namespace, every port 0 (read back from its log), MQTT off unless a test turns it on.
import { fileURLToPath } from 'node:url';
import { type ServiceProcess, startService } from '@slimstad/test-harness';

const REPO = fileURLToPath(new URL('../../../..', import.meta.url));

export interface IngestProcess extends ServiceProcess {
  /** `127.0.0.1:<port>` of its gRPC API, once it serves. */
  grpcAddress(): Promise<string>;
}

export function startIngest(options: {
  databaseUrl: string;
  natsUrl: string;
  namespace: string;
  authKey: string;
  env?: Record<string, string>;
}): IngestProcess {
  const service = startService(REPO, 'services/ingest/src/main.ts', {
    SERVICE_NAME: 'ingest',
    DATABASE_URL: options.databaseUrl,
    NATS_URL: options.natsUrl,
    NATS_NAMESPACE: options.namespace,
    AUTH_JWT_KEY: options.authKey,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    HTTP_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    MQTT_URL: '',
    ...options.env,
  });
  return {
    ...service,
    grpcAddress: async () =>
      `127.0.0.1:${Number((await service.logLine('gRPC serving', 40_000)).port)}`,
  };
}

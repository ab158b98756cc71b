// grpc.health.v1 for native gRPC probes (Kubernetes `grpc:` probes, grpc_health_probe, the CLI).
// The answer follows the service's Readiness: SERVING only while every registered dependency
// answers and the server is not draining — never a constant SERVING. A Check evaluates
// readiness on the spot; Watch subscribers get changes found by a periodic poll.
import * as grpc from '@grpc/grpc-js';
import {
  HealthImplementation,
  service as healthService,
  type ServingStatus,
} from 'grpc-health-check';
import type { Readiness } from '../health.js';
import type { Logger } from '../log.js';

export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

export interface HealthReporterOptions {
  /** Service names to report on besides the overall status `''`. */
  services: readonly string[];
  readiness?: Readiness;
  log?: Logger;
  /** How often Watch subscribers' status is refreshed; 5 s unless told. */
  pollMs?: number;
  /** A readiness evaluation slower than this counts as not ready; 2 s unless told. */
  evaluateTimeoutMs?: number;
}

export interface HealthReporter {
  /** Registers grpc.health.v1.Health on the server. */
  addToServer(server: grpc.Server): void;
  /** Serving is also gated by this flag: false while starting or draining. */
  setServing(serving: boolean): void;
  /** Re-evaluates readiness now and publishes the result. */
  refresh(): Promise<ServingStatus>;
  /** Starts the periodic poll (for Watch). */
  start(): void;
  /** Stops the poll and ends open Watch streams (they would otherwise hold a drain open). */
  stop(): void;
}

export function createHealthReporter(options: HealthReporterOptions): HealthReporter {
  const names = ['', ...options.services];
  const implementation = new HealthImplementation(
    Object.fromEntries(names.map((name) => [name, 'NOT_SERVING'])),
  );
  let current: ServingStatus = 'NOT_SERVING';
  let serving = false;
  let inFlight: Promise<ServingStatus> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const watchers = new Set<grpc.ServerWritableStream<unknown, unknown>>();

  const publish = (status: ServingStatus) => {
    if (status === current) return;
    current = status;
    for (const name of names) implementation.setStatus(name, status);
  };

  const evaluate = async (): Promise<ServingStatus> => {
    if (!serving) return 'NOT_SERVING';
    if (!options.readiness) return 'SERVING';
    const timeoutMs = options.evaluateTimeoutMs ?? 2_000;
    let timeout: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        options.readiness.evaluate(),
        new Promise<undefined>((resolve) => {
          timeout = setTimeout(() => resolve(undefined), timeoutMs);
        }),
      ]);
      if (!result) {
        options.log?.warn({ timeoutMs }, 'readiness evaluation timed out; reporting NOT_SERVING');
        return 'NOT_SERVING';
      }
      if (!result.ready && current === 'SERVING') {
        const failing = Object.entries(result.checks)
          .filter(([, check]) => !check.ok)
          .map(([name, check]) => (check.ok ? name : `${name}: ${check.reason}`));
        options.log?.warn({ failing }, 'not ready; gRPC health reports NOT_SERVING');
      }
      // Draining is reported through serving=false too; re-check in case it changed meanwhile.
      return result.ready && serving ? 'SERVING' : 'NOT_SERVING';
    } finally {
      clearTimeout(timeout);
    }
  };

  const refresh = (): Promise<ServingStatus> => {
    // One evaluation at a time: a burst of probes does not multiply the dependency checks.
    inFlight ??= evaluate()
      .catch((error: unknown) => {
        options.log?.warn({ err: error }, 'readiness evaluation failed; reporting NOT_SERVING');
        return 'NOT_SERVING' as const;
      })
      .then((status) => {
        publish(status);
        return status;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  return {
    addToServer(server) {
      implementation.addToServer({
        addService(definition, handlers) {
          const check = handlers.check as grpc.handleUnaryCall<unknown, unknown>;
          const watch = handlers.watch as grpc.handleServerStreamingCall<unknown, unknown>;
          server.addService(definition as unknown as grpc.ServiceDefinition, {
            ...handlers,
            // Evaluate on every Check so a probe sees the state of this moment.
            check: (
              call: grpc.ServerUnaryCall<unknown, unknown>,
              callback: grpc.sendUnaryData<unknown>,
            ) => {
              void refresh().finally(() => check(call, callback));
            },
            // Track Watch streams so a shutdown can end them instead of waiting on them.
            watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
              watchers.add(call);
              call.once('cancelled', () => watchers.delete(call));
              watch(call);
            },
          });
        },
      });
    },
    setServing(value) {
      serving = value;
      if (!value) publish('NOT_SERVING');
      void refresh();
    },
    refresh,
    start() {
      if (timer) return;
      timer = setInterval(() => void refresh(), options.pollMs ?? 5_000);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      for (const call of watchers) call.end();
      watchers.clear();
    },
  };
}

export type HealthStatus = ServingStatus | 'SERVICE_UNKNOWN';

interface HealthClient extends grpc.Client {
  check(
    request: { service: string },
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    callback: (error: grpc.ServiceError | null, response?: { status: HealthStatus }) => void,
  ): grpc.ClientUnaryCall;
}

const HealthClient = grpc.makeClientConstructor(
  healthService as unknown as grpc.ServiceDefinition,
  HEALTH_SERVICE_NAME,
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ClientOptions>,
) => HealthClient;

export interface CheckHealthOptions {
  /** 5 s unless told. */
  timeoutMs?: number;
  credentials?: grpc.ChannelCredentials;
}

/**
 * Asks a server's grpc.health.v1 Check for one service (`''`: the server as a whole).
 * Rejects with the grpc-js ServiceError when the call fails (UNAVAILABLE, NOT_FOUND for an
 * unknown service name, DEADLINE_EXCEEDED, …).
 */
export async function checkHealth(
  address: string,
  service = '',
  options: CheckHealthOptions = {},
): Promise<HealthStatus> {
  const client = new HealthClient(
    address,
    options.credentials ?? grpc.credentials.createInsecure(),
  );
  try {
    return await new Promise<HealthStatus>((resolve, reject) => {
      client.check(
        { service },
        new grpc.Metadata(),
        { deadline: Date.now() + (options.timeoutMs ?? 5_000) },
        (error, response) => {
          if (error) reject(error);
          else resolve(response?.status ?? 'UNKNOWN');
        },
      );
    });
  } finally {
    client.close();
  }
}

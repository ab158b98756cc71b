// Start-up against ingest: wait until its gRPC health says SERVING (the launcher starts every
// service at once, and ingest is ready only after its migrations, streams and edges), then
// import the device file through DeviceRegistryService.ImportDevices. The import is
// idempotent: a second start reports every device UNCHANGED.
import type * as grpc from '@grpc/grpc-js';
import {
  DeviceRegistryServiceClient,
  type ImportDevicesResponse,
  ImportFormat,
  ImportOutcome,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import {
  checkHealth,
  createClient,
  type HealthStatus,
  type Logger,
  promisifyUnary,
  Status,
  statusName,
} from '@slimstad/kit';

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export const explain = (error: unknown) => {
  const e = error as Partial<grpc.ServiceError>;
  return e.code !== undefined ? `${statusName(e.code)}: ${e.details}` : String(error);
};

export interface WaitOptions {
  address: string;
  timeoutMs: number;
  log: Logger;
  signal?: AbortSignal;
  pollMs?: number;
  check?: (address: string) => Promise<HealthStatus>;
}

/**
 * Resolves once the service at `address` reports SERVING; rejects after `timeoutMs` naming the
 * last answer and the variable that sets the address, or when `signal` aborts. Logs every 10 s
 * while waiting.
 */
export async function waitForServing(
  options: WaitOptions & { service: string; variable: string },
): Promise<void> {
  const { service } = options;
  const check =
    options.check ?? ((address: string) => checkHealth(address, '', { timeoutMs: 2_000 }));
  const started = Date.now();
  let lastLog = 0;
  let last = 'no answer yet';
  for (;;) {
    if (options.signal?.aborted) throw new Error(`stopped while waiting for ${service}`);
    try {
      const status = await check(options.address);
      if (status === 'SERVING') return;
      last = status;
    } catch (error) {
      last = explain(error);
    }
    const waited = Date.now() - started;
    if (waited >= options.timeoutMs) {
      throw new Error(
        `${service} at ${options.address} is not SERVING after ${Math.round(waited / 1000)} s (last answer: ${last}); is it running? (${options.variable})`,
      );
    }
    if (waited - lastLog >= 10_000) {
      options.log.info(
        { service, address: options.address, last },
        `waiting for ${service} to be SERVING`,
      );
      lastLog = waited;
    }
    await sleep(options.pollMs ?? 500, options.signal);
  }
}

/** Resolves once ingest at `address` reports SERVING (see waitForServing). */
export function waitForIngest(options: WaitOptions): Promise<void> {
  return waitForServing({ ...options, service: 'ingest', variable: 'INGEST_GRPC_ADDRESS' });
}

export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
}

/**
 * Imports the device file (CSV) into ingest's registry. Retries while ingest is briefly
 * unavailable; a file ingest refuses is an error listing each failing row.
 */
export async function importDevices(options: {
  address: string;
  csv: string;
  token: string;
  attempts?: number;
}): Promise<ImportSummary> {
  const client = createClient(DeviceRegistryServiceClient, options.address, {
    token: options.token,
    deadlineMs: 30_000,
  });
  const call = promisifyUnary(client, client.importDevices);
  try {
    let response: ImportDevicesResponse | undefined;
    for (let attempt = 1; !response; attempt++) {
      try {
        response = await call({
          format: ImportFormat.IMPORT_FORMAT_CSV,
          content: Buffer.from(options.csv),
          dryRun: false,
        });
      } catch (error) {
        const code = (error as Partial<grpc.ServiceError>).code;
        if (code !== Status.UNAVAILABLE || attempt >= (options.attempts ?? 10)) {
          throw new Error(`importing the devices failed: ${explain(error)}`);
        }
        await sleep(500 * attempt);
      }
    }
    if (response.failedCount > 0) {
      const failures = response.rows
        .filter((r) => r.outcome === ImportOutcome.IMPORT_OUTCOME_FAILED)
        .map((r) => `row ${r.row} (${r.deviceId}): ${r.error}`);
      throw new Error(`ingest refused the device file:\n  - ${failures.join('\n  - ')}`);
    }
    return {
      created: response.createdCount,
      updated: response.updatedCount,
      unchanged: response.unchangedCount,
    };
  } finally {
    client.close();
  }
}

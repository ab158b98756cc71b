// Connects to NATS with unbounded reconnects and jittered backoff, and logs every status
// change, so a restarted server is a blip in the logs rather than a dead service.

import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log.js';

export interface NatsConnectOptions {
  url: string;
  name: string;
  user?: string | undefined;
  password?: string | undefined;
  credsFile?: string | undefined;
  log: Logger;
}

export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: options.url.split(','),
    name: options.name,
    ...(options.user ? { user: options.user, pass: options.password ?? '' } : {}),
    ...(options.credsFile
      ? { authenticator: credsAuthenticator(readFileSync(options.credsFile)) }
      : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    reconnectJitter: 500,
    waitOnFirstConnect: false,
  }).catch((error: Error) => {
    throw new Error(
      `cannot connect to NATS at ${options.url}: ${error.message}. Is nats-server running with JetStream (-js)? Set NATS_URL.`,
      { cause: error },
    );
  });
  options.log.info({ server: nc.getServer() }, 'connected to NATS');
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'ping' || status.type === 'staleConnection') continue;
      options.log.warn({ status: status.type, server: nc.getServer() }, 'NATS connection status');
    }
  })();
  return nc;
}

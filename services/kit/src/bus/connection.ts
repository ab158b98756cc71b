// Connects to NATS with unbounded reconnects and jittered backoff, and logs every status
// change, so a restarted server is a blip in the logs rather than a dead service.
//
// With a NATS user (deploy/nats/city.conf), replies arrive on the user's own inbox prefix,
// `_INBOX_<user>`, the only one its permissions allow: no user can read another's replies.

import { readFileSync } from 'node:fs';
import {
  AuthorizationError,
  connect,
  credsAuthenticator,
  type NatsConnection,
} from '@nats-io/transport-node';
import type { Logger } from '../log.js';

export interface NatsConnectOptions {
  url: string;
  name: string;
  user?: string | undefined;
  password?: string | undefined;
  credsFile?: string | undefined;
  /** Defaults to `_INBOX_<user>` with a user, to NATS's `_INBOX` without. */
  inboxPrefix?: string | undefined;
  log: Logger;
}

/** The inbox prefix a connection uses: the explicit one, else `_INBOX_<user>`, else NATS's default. */
export function inboxPrefixFor(options: {
  user?: string | undefined;
  inboxPrefix?: string | undefined;
}): string | undefined {
  if (options.inboxPrefix) return options.inboxPrefix;
  return options.user ? `_INBOX_${options.user}` : undefined;
}

function readCreds(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(
      `cannot read the NATS credentials file ${file} (NATS_CREDS_FILE): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const inboxPrefix = inboxPrefixFor(options);
  const nc = await connect({
    servers: options.url.split(','),
    name: options.name,
    ...(options.user ? { user: options.user, pass: options.password ?? '' } : {}),
    ...(options.credsFile
      ? { authenticator: credsAuthenticator(readCreds(options.credsFile)) }
      : {}),
    ...(inboxPrefix ? { inboxPrefix } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    reconnectJitter: 500,
    waitOnFirstConnect: false,
    // Every JetStream publish is a request: with async traces on, each one builds two Error
    // objects (stack captured) whether it fails or not, a measurable share of a busy service.
    noAsyncTraces: true,
  }).catch((error: Error) => {
    if (error instanceof AuthorizationError) {
      const who = options.user
        ? `user "${options.user}"`
        : options.credsFile
          ? `the credentials in ${options.credsFile}`
          : 'an anonymous connection';
      throw new Error(
        `NATS at ${options.url} refused ${who}: ${error.message}. Check NATS_USER and NATS_PASSWORD (or NATS_CREDS_FILE).`,
        { cause: error },
      );
    }
    throw new Error(
      `cannot connect to NATS at ${options.url}: ${error.message}. Is nats-server running with JetStream (-js)? Set NATS_URL.`,
      { cause: error },
    );
  });
  options.log.info({ server: nc.getServer(), user: options.user }, 'connected to NATS');
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'ping' || status.type === 'staleConnection') continue;
      options.log.warn({ status: status.type, server: nc.getServer() }, 'NATS connection status');
    }
  })();
  return nc;
}

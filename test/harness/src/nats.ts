// A NATS namespace per test file: every subject and stream the kit declares is prefixed with
// it, so test files share one server without their streams' subjects overlapping.
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export interface TestNamespace {
  /** Prefix for subjects (`<ns>.sensor.…`) and streams (`<ns>_SENSOR`). */
  namespace: string;
  /** Deletes every stream created under the namespace. */
  cleanup(): Promise<void>;
}

export function createTestNamespace(natsUrl: string, label = 'test'): TestNamespace {
  const namespace = `t${label
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 12)}${randomBytes(3).toString('hex')}`;
  return {
    namespace,
    cleanup: async () => {
      const nc = await connect({ servers: natsUrl });
      try {
        const jsm = await jetstreamManager(nc);
        for await (const stream of jsm.streams.list()) {
          if (stream.config.name.startsWith(`${namespace}_`))
            await jsm.streams.delete(stream.config.name);
        }
      } finally {
        await nc.close();
      }
    },
  };
}

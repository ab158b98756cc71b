// A bus on the test's own NATS namespace, built from the kit's public API.
import { connect } from '@nats-io/transport-node';
import { Bus, createLogger } from '@slimstad/kit';
import { createTestNamespace, type TestNamespace } from '@slimstad/test-harness';
import { inject } from 'vitest';

export interface BusFixture {
  bus: Bus;
  ns: TestNamespace;
  close(): Promise<void>;
}

export async function openBus(label: string): Promise<BusFixture> {
  const natsUrl = inject('natsUrl');
  const ns = createTestNamespace(natsUrl, label);
  const nc = await connect({ servers: natsUrl });
  const bus = await Bus.create(nc, {
    namespace: ns.namespace,
    log: createLogger('ingest-test', 'silent'),
  });
  return {
    bus,
    ns,
    close: async () => {
      await bus.drain();
      await ns.cleanup();
    },
  };
}

// main.ts as a real process in the local city (no region): it starts with the demo policy,
// serves its API, and refuses to start on an invalid policy naming each problem.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { sensorStreams } from '@slimstad/contracts';
import { Bus, createLogger } from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  type ServiceProcess,
  startService,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { tempDir } from '../../../deploy/local/lib/test-support.js';
import { repoRoot } from '../src/region-files.js';

let db: TestDatabase;
let ns: TestNamespace;
const dir = tempDir('federation-process');
const services: ServiceProcess[] = [];
const env = () => ({
  SERVICE_NAME: 'federation',
  DATABASE_URL: db.url,
  NATS_URL: inject('natsUrl'),
  NATS_NAMESPACE: ns.namespace,
  AUTH_JWT_KEY: 'federation-process-secret-0123456789abcdef',
  GRPC_PORT: '0',
  OPS_PORT: '0',
  LISTEN_HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  FEDERATION_CITY: 'demo',
});

beforeAll(async () => {
  db = await createTestDatabase(inject('databaseUrl'), 'federation_process');
  ns = createTestNamespace(inject('natsUrl'), 'fedproc');
  const nc = await connect({ servers: inject('natsUrl') });
  const bus = await Bus.create(nc, { namespace: ns.namespace, log: createLogger('t', 'silent') });
  await bus.declareStreams(...sensorStreams); // as ingest does before
  await nc.drain();
});

afterAll(async () => {
  for (const s of services) await s.stop();
  await ns.cleanup();
  await db.drop();
  dir.remove();
});

it('starts in the local city with the demo policy and serves its API', async () => {
  const service = startService(repoRoot, 'services/federation/src/main.ts', {
    ...env(),
    FEDERATION_POLICY_FILE: path.join(repoRoot, 'deploy/federation/demo.policy.yaml'),
  });
  services.push(service);
  const ready = await service.logLine('federation ready', 60_000);
  expect(ready).toMatchObject({ city: 'demo', region: '(none)' });
  expect(await service.logLine('gRPC serving')).toHaveProperty('port');
}, 90_000);

it('refuses to start on an invalid policy, naming each problem', async () => {
  const file = path.join(dir.dir, 'bad.policy.yaml');
  writeFileSync(file, 'city: demo\nshares:\n  - name: x\n    granularity: raw\n');
  const service = startService(repoRoot, 'services/federation/src/main.ts', {
    ...env(),
    FEDERATION_POLICY_FILE: file,
  });
  services.push(service);
  expect(await service.exited).toBe(1);
  expect(service.output.join('\n')).toContain('shares.0 (x): metrics: name at least one metric');
}, 90_000);

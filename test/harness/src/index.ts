// Dev-only harness for tests against real PostgreSQL and NATS. Never imported by production code.

export { freePort, histogramSummary, percentile, sleep } from './bench.js';
export { dockerAnswers } from './docker.js';
export { eventually } from './eventually.js';
export {
  DEFAULT_DATABASE_URL,
  DEFAULT_NATS_URL,
  type Infrastructure,
  resolveInfrastructure,
} from './infrastructure.js';
export { createTestNamespace, type TestNamespace } from './nats.js';
export { createTestDatabase, type TestDatabase } from './postgres.js';
export { type ServiceProcess, startService } from './service-process.js';

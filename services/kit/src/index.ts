// @slimstad/kit: the parts every Slimstad service is wired from.
export * from './bus/bus.js';
export { connectNats } from './bus/connection.js';
export * from './bus/decision.js';
export * as busHeaders from './bus/headers.js';
export { Namespace } from './bus/namespace.js';
export * from './config.js';
export * from './db/database.js';
export * from './db/migrate.js';
export * from './errors.js';
export * from './grpc/index.js';
export * from './health.js';
export * from './log.js';
export * from './ops/ops-server.js';
export * from './runtime.js';
export * from './shutdown.js';
export * from './telemetry/metrics.js';
export * from './telemetry/propagation.js';
export * from './telemetry/tracing.js';

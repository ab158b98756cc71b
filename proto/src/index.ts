// @slimstad/contracts: event and stream contracts (subjects ↔ protobuf messages) and the
// location of the .proto sources. Generated message types are imported from
// `@slimstad/contracts/gen/<path of the .proto without extension>`, e.g.
// `@slimstad/contracts/gen/slimstad/sensor/v1/reading`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alertingEvents, alertingStreams } from './alerting.js';
import { bollardEvents, bollardStreams } from './bollards.js';
import { DeadLetterStream } from './bus.js';
import type { EventContract, StreamContract } from './contract.js';
import { federationEvents, federationStreams } from './federation.js';
import { ingestEvents, ingestStreams } from './ingest.js';
import { lightingEvents, lightingStreams } from './lighting.js';
import { sensorEvents, sensorStreams } from './sensor.js';
import { wasteEvents, wasteStreams } from './waste.js';

export * from './alerting.js';
export * from './bollards.js';
export * from './bus.js';
export * from './contract.js';
export * from './federation.js';
export * from './ingest.js';
export * from './lighting.js';
export * from './sensor.js';
export * from './tokens.js';
export * from './waste.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Absolute path of the package directory holding the .proto files (`proto/`), whether this
 * module runs from `src/` (sources) or `dist/src/` (build output). Use it as the include
 * directory when loading `protoFiles`, e.g. for gRPC server reflection.
 */
export const protoRoot: string =
  path.basename(path.dirname(here)) === 'dist'
    ? path.resolve(here, '..', '..')
    : path.resolve(here, '..');

/** Slimstad's .proto files, relative to `protoRoot` (a test keeps this list complete). */
export const protoFiles: readonly string[] = [
  'slimstad/alerting/v1/alerting.proto',
  'slimstad/alerting/v1/alerting_service.proto',
  'slimstad/alerting/v1/events.proto',
  'slimstad/bollards/v1/bollards.proto',
  'slimstad/bollards/v1/bollards_service.proto',
  'slimstad/bollards/v1/control.proto',
  'slimstad/common/v1/common.proto',
  'slimstad/federation/v1/federation.proto',
  'slimstad/federation/v1/federation_service.proto',
  'slimstad/lighting/v1/control.proto',
  'slimstad/lighting/v1/lighting.proto',
  'slimstad/lighting/v1/lighting_service.proto',
  'slimstad/sensor/v1/device.proto',
  'slimstad/sensor/v1/ingest_service.proto',
  'slimstad/sensor/v1/reading.proto',
  'slimstad/sensor/v1/registry_service.proto',
  'slimstad/waste/v1/events.proto',
  'slimstad/waste/v1/waste.proto',
  'slimstad/waste/v1/waste_service.proto',
];

/** Every stream of the contract, including the dead-letter stream. */
export const allStreams: readonly StreamContract[] = [
  DeadLetterStream,
  ...sensorStreams,
  ...ingestStreams,
  ...lightingStreams,
  ...bollardStreams,
  ...wasteStreams,
  ...federationStreams,
  ...alertingStreams,
];

/** Every event of the contract. */
export const allEvents: readonly EventContract<unknown>[] = [
  ...sensorEvents,
  ...ingestEvents,
  ...lightingEvents,
  ...bollardEvents,
  ...wasteEvents,
  ...federationEvents,
  ...alertingEvents,
];

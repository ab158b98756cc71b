// Ingest's intake on the bus: where trusted adapters (and ingest's own edges — MQTT, HTTP
// webhooks, gRPC) put readings before validation. A bounded stream that refuses new messages
// when full, so a slow or absent database turns into back-pressure at the edges, never loss.

import { protobufPackage as sensorPackage } from '../gen/slimstad/sensor/v1/device.js';
import { Reading, ReadingBatch } from '../gen/slimstad/sensor/v1/reading.js';
import { defineEvent, type EventContract, type StreamContract } from './contract.js';

/** Readings waiting for validation and storage: `ingest.intake.reading.<source>` and `ingest.intake.batch.<source>`. */
export const IngestIntakeStream: StreamContract = {
  name: 'INGEST_INTAKE',
  subjects: ['ingest.intake.>'],
  description:
    'Readings submitted to ingest, before validation: ingest.intake.{reading,batch}.<source>.',
  maxAgeSeconds: 7 * 24 * 60 * 60,
  duplicateWindowSeconds: 600,
  // 2 GiB of buffered readings: hours of a city's traffic while Postgres is away.
  maxBytes: 2 * 1024 ** 3,
  discard: 'new',
};

/** One reading submitted by a trusted adapter. `Nats-Msg-Id`: `<device>:<metric>:<observed ms>` or the adapter's own id. */
export const ReadingSubmitted: EventContract<Reading, 'source'> = defineEvent({
  messageType: `${sensorPackage}.Reading`,
  codec: Reading,
  template: 'ingest.intake.reading.{source}',
  stream: IngestIntakeStream,
});

/** Several readings submitted at once; the high-rate path. `Nats-Msg-Id`: the batch id. */
export const ReadingBatchSubmitted: EventContract<ReadingBatch, 'source'> = defineEvent({
  messageType: `${sensorPackage}.ReadingBatch`,
  codec: ReadingBatch,
  template: 'ingest.intake.batch.{source}',
  stream: IngestIntakeStream,
});

export const ingestStreams: readonly StreamContract[] = [IngestIntakeStream];
export const ingestEvents: readonly EventContract<unknown>[] = [
  ReadingSubmitted as EventContract<unknown>,
  ReadingBatchSubmitted as EventContract<unknown>,
];

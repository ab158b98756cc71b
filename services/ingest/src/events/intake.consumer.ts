// The durable consumers of the intake stream: single readings and batches both go through
// the reading pipeline; a message is acked only after its readings are stored and published.
import { ReadingBatchSubmitted, ReadingSubmitted } from '@slimstad/contracts';
import { ack, type Bus, type DeliveryContext, type RunningConsumer, retry } from '@slimstad/kit';
import type { ReadingPipeline } from './reading-pipeline.js';

const intakeRef = (d: DeliveryContext) => `intake:${d.streamSequence}`;
const sourceOf = (d: DeliveryContext) => d.subject.split('.').at(-1) ?? 'unknown';

export async function consumeIntake(
  bus: Bus,
  pipeline: ReadingPipeline,
  ackWaitMs = 30_000,
): Promise<RunningConsumer[]> {
  const onFailure = (error: unknown) =>
    retry(`storing readings failed: ${(error as Error).message}`);
  return Promise.all([
    bus.consume({
      event: ReadingSubmitted,
      durable: 'ingest--intake-readings',
      // Many small messages wait together for one flush.
      concurrency: 512,
      maxDeliveries: 20,
      ackWaitMs,
      backoff: { initialMs: 1_000, maxMs: 30_000 },
      handle: (reading, d) =>
        pipeline
          .submit({
            intakeRef: intakeRef(d),
            source: sourceOf(d),
            shape: 'single',
            readings: [reading],
          })
          .then(ack, onFailure),
    }),
    bus.consume({
      event: ReadingBatchSubmitted,
      durable: 'ingest--intake-batches',
      concurrency: 128,
      maxDeliveries: 20,
      ackWaitMs,
      backoff: { initialMs: 1_000, maxMs: 30_000 },
      handle: (batch, d) =>
        pipeline
          .submit({
            intakeRef: intakeRef(d),
            source: batch.source || sourceOf(d),
            shape: 'batch',
            readings: batch.readings,
          })
          .then(ack, onFailure),
    }),
  ]);
}

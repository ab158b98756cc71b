// Readings as ingest records them (one per message or in batches) into rule evaluation. New
// durables start at new readings: alerting judges the present, not a week of backlog.
import { ReadingBatchRecorded, ReadingRecorded } from '@slimstad/contracts';
import { ack, type Bus, type RunningConsumer } from '@slimstad/kit';
import type { RuleEngine } from '../engine/evaluation.js';

export async function consumeReadings(bus: Bus, engine: RuleEngine): Promise<RunningConsumer[]> {
  return [
    await bus.consume({
      event: ReadingRecorded,
      durable: 'alerting--readings',
      startAt: 'new',
      // Evaluation runs in delivery order as each handler starts; acknowledgements overlap.
      concurrency: 16,
      handle: async (reading) => {
        await engine.onReadings([reading]);
        return ack();
      },
    }),
    await bus.consume({
      event: ReadingBatchRecorded,
      durable: 'alerting--reading-batches',
      startAt: 'new',
      concurrency: 8,
      handle: async (batch) => {
        await engine.onReadings(batch.readings);
        return ack();
      },
    }),
  ];
}

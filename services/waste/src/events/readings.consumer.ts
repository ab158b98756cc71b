// Bin fill readings from ingest: single readings on `sensor.reading.bin_fill.*` and batched
// ones on `sensor.batch.>` (LoRaWAN uplinks arrive so), from which bin_fill readings are
// picked. Unlike presence detections, a fill reading stays useful when late (it still teaches
// the model), so the durables start at the beginning of the stream; stale readings are
// ignored by the model, which makes redelivery harmless. A failed write is retried.
import { deviceTypeToken, ReadingBatchRecorded, ReadingRecorded } from '@slimstad/contracts';
import type { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { ack, type Bus, type RunningConsumer } from '@slimstad/kit';
import type { FillReadingInput, WasteEngine } from '../waste-engine.js';

export const BIN_FILL = 'bin_fill';

export function fillReadingOf(reading: Reading): FillReadingInput {
  return {
    deviceId: reading.deviceId,
    metric: reading.metric,
    unit: reading.unit,
    value: reading.value,
    observedAt: (reading.observedAt ?? reading.receivedAt ?? new Date()).getTime(),
  };
}

export async function consumeReadings(bus: Bus, engine: WasteEngine): Promise<RunningConsumer[]> {
  const singles = await bus.consume({
    event: ReadingRecorded,
    durable: 'waste--fill-readings',
    subjectFilter: `sensor.reading.${BIN_FILL}.*`,
    concurrency: 8,
    async handle(reading) {
      await engine.onReading(fillReadingOf(reading));
      return ack();
    },
  });
  const batches = await bus.consume({
    event: ReadingBatchRecorded,
    durable: 'waste--fill-batches',
    concurrency: 2,
    async handle(batch) {
      // Readings of one bin in a batch are in order; the engine serialises each bin.
      await Promise.all(
        batch.readings
          .filter((r) => deviceTypeToken(r.deviceType) === BIN_FILL)
          .map((r) => engine.onReading(fillReadingOf(r))),
      );
      return ack();
    },
  });
  return [singles, batches];
}

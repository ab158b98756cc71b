// Detections from ingest: presence sensors and pedestrian and bike counters. Single readings
// come on `sensor.reading.<type>.*`, one durable consumer per type; readings that arrived in
// batches (LoRaWAN uplinks through MQTT or webhooks, gateways pushing over gRPC) come on
// `sensor.batch.>`, from which the detector types are picked (and lamp controllers' metering,
// handed on as feedback). Every consumer starts at new
// readings (a detection from before the service started lights nobody's way), and every
// message is acked: a detection is worth acting on now or never, so there is nothing to retry.
import { deviceTypeToken, ReadingBatchRecorded, ReadingRecorded } from '@slimstad/contracts';
import type { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { ack, type Bus, type RunningConsumer } from '@slimstad/kit';
import type { LightingEngine } from '../control/lighting-engine.js';
import type { TravelMode } from '../domain/model.js';

/** Who a reading saw: counters say it by their type; presence sensors by a channel or metric naming bikes. */
export function travelModeOf(
  typeToken: string,
  reading: Pick<Reading, 'metric' | 'channel'>,
): TravelMode {
  if (typeToken === 'bike_counter') return 'cyclist';
  const hint = `${reading.metric} ${reading.channel ?? ''}`.toLowerCase();
  return /bike|bicycle|cycl/.test(hint) ? 'cyclist' : 'pedestrian';
}

export const DETECTOR_TYPES = ['presence', 'pedestrian_counter', 'bike_counter'] as const;

export async function consumeDetections(
  bus: Bus,
  engine: LightingEngine,
): Promise<RunningConsumer[]> {
  const detectorTypes = new Set<string>(DETECTOR_TYPES);
  const batches = await bus.consume({
    event: ReadingBatchRecorded,
    durable: 'lighting--batches',
    startAt: 'new',
    concurrency: 4,
    maxDeliveries: 2,
    async handle(batch) {
      const received = Date.now();
      for (const reading of batch.readings) {
        const type = deviceTypeToken(reading.deviceType);
        if (detectorTypes.has(type))
          await engine.onDetection(reading, travelModeOf(type, reading), received);
        else if (type === 'lamp_controller') await engine.onControllerReading(reading);
      }
      return ack();
    },
  });
  const singles = await Promise.all(
    DETECTOR_TYPES.map((type) =>
      bus.consume({
        event: ReadingRecorded,
        durable: `lighting--detections-${type.replace(/_/g, '-')}`,
        subjectFilter: `sensor.reading.${type}.*`,
        startAt: 'new',
        concurrency: 16,
        maxDeliveries: 2,
        async handle(reading) {
          await engine.onDetection(reading, travelModeOf(type, reading), Date.now());
          return ack();
        },
      }),
    ),
  );
  return [batches, ...singles];
}

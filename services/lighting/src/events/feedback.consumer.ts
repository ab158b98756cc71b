// What lamp controllers tell the service: acknowledgements of commands and feedback (level,
// power, failure flags) on the lighting subjects, and the metering of controllers that report
// through ingest as `lamp_controller` devices (single readings here; in batches with the
// detections). Handled in order per consumer; the engine is idempotent for repeats.
import { LampAcknowledged, LampFeedbackReported, ReadingRecorded } from '@slimstad/contracts';
import { ack, type Bus, type RunningConsumer } from '@slimstad/kit';
import type { LightingEngine } from '../control/lighting-engine.js';

export async function consumeFeedback(
  bus: Bus,
  engine: LightingEngine,
): Promise<RunningConsumer[]> {
  return Promise.all([
    bus.consume({
      event: LampAcknowledged,
      durable: 'lighting--acks',
      // Acknowledgements of commands sent before a restart still settle those commands.
      concurrency: 8,
      async handle(message) {
        await engine.onAck(message);
        return ack();
      },
    }),
    bus.consume({
      event: LampFeedbackReported,
      durable: 'lighting--feedback',
      concurrency: 8,
      async handle(feedback) {
        await engine.onFeedback(feedback);
        return ack();
      },
    }),
    bus.consume({
      event: ReadingRecorded,
      durable: 'lighting--controller-readings',
      subjectFilter: 'sensor.reading.lamp_controller.*',
      startAt: 'new',
      concurrency: 4,
      async handle(reading) {
        await engine.onControllerReading(reading);
        return ack();
      },
    }),
  ]);
}

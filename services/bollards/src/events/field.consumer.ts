// What the field tells the service: access requests from reader gateways, and controllers'
// acknowledgements and status reports. Handled concurrently: the control is synchronous, and
// reports carry the controller's time so a late one cannot undo a newer one. A message is acked
// only once its work is committed; a failed commit is retried; a message that can never be acted
// on (a malformed hash, an unknown source) is dead-lettered with its reason, never dropped.
import { AccessRequested, BollardAcknowledged, BollardReported } from '@slimstad/contracts';
import { ack, type Bus, deadLetter, type RunningConsumer } from '@slimstad/kit';
import { type BollardsEngine, FieldMessageError } from '../control/bollards-engine.js';

async function settle(work: () => Promise<unknown>) {
  try {
    await work();
    return ack();
  } catch (error) {
    if (error instanceof FieldMessageError) return deadLetter(error.message);
    throw error;
  }
}

export async function consumeField(bus: Bus, engine: BollardsEngine): Promise<RunningConsumer[]> {
  const consumers = await Promise.all([
    bus.consume({
      event: AccessRequested,
      durable: 'bollards--requests',
      // Requests from before a restart are still decided (too old ones are refused, recorded).
      concurrency: 2048,
      backoff: { initialMs: 200, maxMs: 5_000 },
      handle: (message) => settle(() => engine.onRequest(message, Date.now())),
    }),
    bus.consume({
      event: BollardAcknowledged,
      durable: 'bollards--acks',
      concurrency: 64,
      // Idempotent (per-bollard sequences): a lost ack costs one harmless redelivery, not a
      // round trip per message.
      confirmAcks: false,
      backoff: { initialMs: 200, maxMs: 5_000 },
      handle: (message) => settle(() => engine.onAck(message)),
    }),
    bus.consume({
      event: BollardReported,
      durable: 'bollards--reports',
      concurrency: 64,
      // Idempotent (reports carry the controller's time; a late one cannot undo a newer one).
      confirmAcks: false,
      backoff: { initialMs: 200, maxMs: 5_000 },
      handle: (message, ctx) => settle(() => engine.onReport(message, ctx.streamSequence)),
    }),
  ]);
  // Raises wait until the reports are read up to the moment they came due.
  const reports = consumers[2];
  engine.watchReports(() => reports.position());
  return consumers;
}

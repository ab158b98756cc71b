// Keeps every ReadingRejected event — from the edges and from the reading pipeline — in the
// quarantine table. Rejections travel through JetStream first, so none is lost while
// Postgres is away.
import { ReadingRejected } from '@slimstad/contracts';
import { ack, type Bus, type RunningConsumer } from '@slimstad/kit';
import type { Kysely } from 'kysely';
import type { IngestDatabase } from '../store/db.js';
import { quarantine } from '../store/quarantine.repository.js';

export function consumeRejections(bus: Bus, db: Kysely<IngestDatabase>): Promise<RunningConsumer> {
  return bus.consume({
    event: ReadingRejected,
    durable: 'ingest--quarantine',
    concurrency: 32,
    maxDeliveries: 20,
    backoff: { initialMs: 1_000, maxMs: 30_000 },
    handle: async (rejection) => {
      await quarantine(db, rejection);
      return ack();
    },
  });
}

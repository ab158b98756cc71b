// The transactional outbox of the registry's DeviceChanged events (see the kit's bus/outbox.ts).
import { createOutboxTable } from '@slimstad/kit';
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await createOutboxTable(db);
}

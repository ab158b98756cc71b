// The quarantine: every refused reading, with its reason, kept for operators to inspect and
// replay once the registry (or the device) is fixed.
import type { ReadingRejected } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { Reading, rejectionReasonToJSON } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { Kysely } from 'kysely';
import type { IngestDatabase } from './db.js';
import type { QuarantineStatus } from './reading.table.js';

/** Keeps a rejection; a repeated one (same id) is stored once. */
export async function quarantine(
  db: Kysely<IngestDatabase>,
  rejection: ReadingRejected,
): Promise<void> {
  await db
    .insertInto('quarantine')
    .values({
      id: rejection.quarantineId,
      reason: rejectionReasonToJSON(rejection.reason),
      detail: rejection.detail,
      source: rejection.source,
      device_id: rejection.deviceId || null,
      payload: rejection.payload.length > 0 ? Buffer.from(rejection.payload) : null,
      reading: rejection.reading ? JSON.stringify(Reading.toJSON(rejection.reading)) : null,
      received_at: rejection.receivedAt ?? new Date(),
      replayed_at: null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export interface QuarantineFilter {
  reason?: string;
  deviceId?: string;
  source?: string;
  status?: QuarantineStatus;
  receivedFrom?: Date;
  receivedBefore?: Date;
  limit: number;
  /** Keyset: rows older than this (received_at, id), newest first. */
  before?: { receivedAt: Date; id: string };
}

/** Quarantined readings matching the filter, newest first. */
export function listQuarantine(db: Kysely<IngestDatabase>, filter: QuarantineFilter) {
  let query = db.selectFrom('quarantine').selectAll();
  if (filter.reason) query = query.where('reason', '=', filter.reason);
  if (filter.deviceId) query = query.where('device_id', '=', filter.deviceId);
  if (filter.source) query = query.where('source', '=', filter.source);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.receivedFrom) query = query.where('received_at', '>=', filter.receivedFrom);
  if (filter.receivedBefore) query = query.where('received_at', '<', filter.receivedBefore);
  if (filter.before) {
    const { receivedAt, id } = filter.before;
    query = query.where((eb) =>
      eb.or([
        eb('received_at', '<', receivedAt),
        eb.and([eb('received_at', '=', receivedAt), eb('id', '<', id)]),
      ]),
    );
  }
  return query.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

export function quarantineByIds(db: Kysely<IngestDatabase>, ids: readonly string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('quarantine').selectAll().where('id', 'in', ids).execute();
}

export async function countReplayAttempt(
  db: Kysely<IngestDatabase>,
  ids: readonly string[],
  at: Date,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('quarantine')
    .set((eb) => ({ replayed_at: at, replay_count: eb('replay_count', '+', 1) }))
    .where('id', 'in', ids)
    .execute();
}

export async function markReplayed(
  db: Kysely<IngestDatabase>,
  ids: readonly string[],
  at: Date,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('quarantine')
    .set((eb) => ({
      status: 'replayed',
      replayed_at: at,
      replay_count: eb('replay_count', '+', 1),
    }))
    .where('id', 'in', ids)
    .execute();
}

// Stores accepted readings in batches: COPY into a session-temporary staging table (the
// fastest way into PostgreSQL), then one INSERT … SELECT into the partitioned table that
// skips what is already there. A reading counts as stored for the intake message that
// delivered it, so a redelivered message (after a crash between commit and ack) finds its
// readings stored and republishes them, while a true duplicate from the device is dropped.
import type { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { IngestDatabase } from './db.js';
import type { Classification } from './reading.table.js';

export interface StagedReading {
  /** Position in the flush, used to report back which rows were stored. */
  ord: number;
  classification: Classification;
  /** Normalized reading (canonical unit, received_at set). */
  reading: Reading;
  intakeRef: string;
}

/**
 * How a flush reaches the staging table: COPY (fast, the default) or multi-row INSERT, for
 * servers that cannot take COPY FROM STDIN (the embedded PGlite fallback of the local city).
 */
export type BulkWrite = 'copy' | 'insert';

export interface StoreResult {
  /** Rows stored by their own intake message (now, or by an earlier attempt of it). */
  stored: Set<number>;
  /** Rows already stored from another delivery (same device, metric and time or sequence). */
  duplicates: Set<number>;
}

const STAGING_COLUMNS =
  'ord, classification, device_id, metric, observed_at, value, unit, sequence, received_at, source, channel, intake_ref';

// COPY text format: backslash, tab, newline and carriage return must be escaped; \N is NULL.
const escapeCopyText = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

function copyLine(row: StagedReading): string {
  const r = row.reading;
  return `${[
    row.ord,
    row.classification,
    escapeCopyText(r.deviceId),
    escapeCopyText(r.metric),
    r.observedAt!.toISOString(),
    r.value,
    escapeCopyText(r.unit),
    r.sequence.toString(),
    r.receivedAt!.toISOString(),
    escapeCopyText(r.source ?? ''),
    r.channel === undefined ? '\\N' : escapeCopyText(r.channel),
    escapeCopyText(row.intakeRef),
  ].join('\t')}\n`;
}

/** Marks rows that repeat an earlier row of the same flush (same time, or same sequence). */
function inBatchDuplicates(rows: readonly StagedReading[]): Set<number> {
  const seen = new Set<string>();
  const duplicates = new Set<number>();
  for (const row of rows) {
    const r = row.reading;
    const byTime = `t|${r.deviceId}|${r.metric}|${r.observedAt!.getTime()}`;
    const bySequence = r.sequence > 0n ? `s|${r.deviceId}|${r.metric}|${r.sequence}` : undefined;
    if (seen.has(byTime) || (bySequence && seen.has(bySequence))) {
      duplicates.add(row.ord);
      continue;
    }
    seen.add(byTime);
    if (bySequence) seen.add(bySequence);
  }
  return duplicates;
}

async function copyInto(client: pg.PoolClient, rows: readonly StagedReading[]): Promise<void> {
  const stream = client.query(copyFrom(`copy reading_staging (${STAGING_COLUMNS}) from stdin`));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  // Write in chunks of ~1,000 lines: fewer, larger writes are what make COPY fast.
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows
      .slice(i, i + 1000)
      .map(copyLine)
      .join('');
    if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
  }
  stream.end();
  await done;
}

// 12 parameters a row: 2,000 rows stay well under PostgreSQL's 65,535 parameters a statement.
const INSERT_CHUNK = 2_000;

async function insertInto(client: pg.PoolClient, rows: readonly StagedReading[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => {
      const r = row.reading;
      const at = values.length;
      values.push(
        row.ord,
        row.classification,
        r.deviceId,
        r.metric,
        r.observedAt,
        r.value,
        r.unit,
        r.sequence.toString(),
        r.receivedAt,
        r.source ?? '',
        r.channel ?? null,
        row.intakeRef,
      );
      return `(${Array.from({ length: 12 }, (_, k) => `$${at + k + 1}`).join(', ')})`;
    });
    await client.query(
      `insert into reading_staging (${STAGING_COLUMNS}) values ${tuples.join(', ')}`,
      values,
    );
  }
}

export async function storeReadings(
  pool: pg.Pool,
  rows: readonly StagedReading[],
  bulkWrite: BulkWrite = 'copy',
): Promise<StoreResult> {
  const duplicates = inBatchDuplicates(rows);
  const candidates = rows.filter((r) => !duplicates.has(r.ord));
  const stored = new Set<number>();
  if (candidates.length === 0) return { stored, duplicates };

  const client = await pool.connect();
  // A connection cut while checked out (a failover, a terminated backend) emits 'error' on the
  // client (the kit's pool keeps that from crashing the process); the failing query rejects,
  // and the broken client is released with its error, so the pool discards it.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('begin');
    await client.query(`
      create temp table if not exists reading_staging (
        ord integer, classification text, device_id text, metric text, observed_at timestamptz,
        value double precision, unit text, sequence bigint, received_at timestamptz,
        source text, channel text, intake_ref text
      ) on commit delete rows`);
    if (bulkWrite === 'copy') await copyInto(client, candidates);
    else await insertInto(client, candidates);

    // The same device message seen before under another intake message (same sequence, observed
    // within the hour: copies of one uplink arrive seconds apart, while a counter that restarts
    // after a device rejoin repeats old sequences much later, and those are new readings). Only
    // rows at or below the highest sequence stored so far can be such repeats; counters grow,
    // so that is usually none, and the lookup stays an index probe per suspect row instead of
    // a join against the whole table.
    const suspects = await client.query<{ ord: number }>(`
      select s.ord from reading_staging s
      join latest_reading l on l.device_id = s.device_id and l.metric = s.metric
      where s.sequence > 0 and s.sequence <= l.max_sequence`);
    const sequenceDuplicates =
      suspects.rows.length === 0
        ? { rows: [] as { ord: number }[], rowCount: 0 }
        : await client.query<{ ord: number }>(
            `
      delete from reading_staging s
      where s.ord = any($1::int[]) and exists (
        select 1 from reading r
        where r.device_id = s.device_id and r.metric = s.metric and r.sequence = s.sequence
          and r.intake_ref <> s.intake_ref
          and r.observed_at between s.observed_at - interval '1 hour' and s.observed_at + interval '1 hour')
      returning s.ord`,
            [suspects.rows.map((r) => r.ord)],
          );
    for (const { ord } of sequenceDuplicates.rows) duplicates.add(ord);

    const inserted = await client.query(`
      insert into reading (classification, device_id, metric, observed_at, value, unit, sequence, received_at, source, channel, intake_ref)
      select classification, device_id, metric, observed_at, value, unit, sequence, received_at, source, channel, intake_ref
      from reading_staging
      on conflict do nothing`);
    const staged = candidates.length - sequenceDuplicates.rowCount!;
    if (inserted.rowCount === staged) {
      for (const row of candidates) if (!duplicates.has(row.ord)) stored.add(row.ord);
    } else {
      // Some rows were there already: ours from an earlier attempt, or someone else's.
      const ours = await client.query<{ ord: number }>(`
        select s.ord from reading_staging s join reading r
          on r.classification = s.classification and r.device_id = s.device_id
          and r.metric = s.metric and r.observed_at = s.observed_at and r.intake_ref = s.intake_ref`);
      for (const { ord } of ours.rows) stored.add(ord);
      for (const row of candidates) if (!stored.has(row.ord)) duplicates.add(row.ord);
    }

    await client.query(`
      insert into latest_reading (device_id, metric, value, unit, observed_at, received_at, max_sequence)
      select distinct on (device_id, metric) device_id, metric, value, unit, observed_at, received_at,
        max(sequence) over (partition by device_id, metric)
      from reading_staging order by device_id, metric, observed_at desc
      on conflict (device_id, metric) do update
        set value = case when latest_reading.observed_at < excluded.observed_at
                      then excluded.value else latest_reading.value end,
            unit = case when latest_reading.observed_at < excluded.observed_at
                      then excluded.unit else latest_reading.unit end,
            received_at = case when latest_reading.observed_at < excluded.observed_at
                      then excluded.received_at else latest_reading.received_at end,
            observed_at = greatest(latest_reading.observed_at, excluded.observed_at),
            max_sequence = greatest(latest_reading.max_sequence, excluded.max_sequence)
        where latest_reading.observed_at < excluded.observed_at
           or latest_reading.max_sequence < excluded.max_sequence`);
    await client.query('commit');
    return { stored, duplicates };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** Latest value of every metric of the given devices. */
export function latestReadings(db: Kysely<IngestDatabase>, deviceIds: readonly string[]) {
  if (deviceIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('latest_reading')
    .selectAll()
    .where('device_id', 'in', deviceIds)
    .orderBy('device_id')
    .orderBy('metric')
    .execute();
}

/** Readings of one device metric in [from, to), averaged (and min/max/count) per bucket. */
export async function downsampledReadings(
  db: Kysely<IngestDatabase>,
  query: { deviceId: string; metric: string; from: Date; to: Date; bucketSeconds: number },
) {
  const { rows } = await sql<{
    bucket: Date;
    avg: number;
    min: number;
    max: number;
    count: bigint;
  }>`
    select to_timestamp(floor(extract(epoch from observed_at) / ${query.bucketSeconds}) * ${query.bucketSeconds}) as bucket,
           avg(value) as avg, min(value) as min, max(value) as max, count(*) as count
    from reading
    where device_id = ${query.deviceId} and metric = ${query.metric}
      and observed_at >= ${query.from} and observed_at < ${query.to}
    group by 1 order by 1`.execute(db);
  return rows;
}

// The reading path after intake: validate, rate-limit, store in batches, then publish. Many
// intake messages share one database flush (group commit): each handler waits until the
// flush holding its readings is committed and the resulting events are published, and only
// then acks. A failed flush fails every waiting handler, so their messages are redelivered.
//
// Flushes run in parallel lanes, one database connection each, so PostgreSQL works on one
// flush while Node prepares the next. A device always maps to the same lane: concurrent
// transactions never touch the same device's rows, which keeps sequence deduplication exact
// and the latest-value upsert free of deadlocks.
import { createHash } from 'node:crypto';
import {
  ReadingBatchRecorded,
  ReadingRecorded,
  ReadingRejected,
  rejectionReasonToken,
} from '@slimstad/contracts';
import { type Reading, RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { Bus, Logger, Metrics } from '@slimstad/kit';
import type pg from 'pg';
import type { DeviceDirectory } from '../domain/device.js';
import { classificationName } from '../domain/partitions.js';
import type { RateLimiter } from '../domain/rate-limiter.js';
import { type ReadingLimits, validateReading } from '../domain/reading-rules.js';
import { type BulkWrite, type StagedReading, storeReadings } from '../store/reading.repository.js';
import type { Classification } from '../store/reading.table.js';

export interface Submission {
  /** `<stream>:<sequence>` of the intake message: stable across redeliveries. */
  intakeRef: string;
  source: string;
  /** Single readings are published one by one; batches stay batches on the wire. */
  shape: 'single' | 'batch';
  readings: Reading[];
}

export interface SubmissionOutcome {
  stored: number;
  duplicates: number;
  rejected: number;
}

export interface PipelineOptions {
  pool: pg.Pool;
  bus: Bus;
  directory: DeviceDirectory;
  limits: ReadingLimits;
  rateLimiter: RateLimiter;
  maxRows: number;
  maxDelayMs: number;
  /** Parallel flush lanes (database connections). Default 2. */
  lanes?: number;
  /** COPY (default) or multi-row INSERT, for servers without COPY FROM STDIN. */
  bulkWrite?: BulkWrite;
  log: Logger;
  metrics: Metrics;
  clock?: () => Date;
  /** Told about each submission's stored readings before it is acknowledged (liveness). */
  onStored?: (readings: Reading[]) => Promise<void>;
}

/** A stable quarantine id for reading `index` of an intake message. */
export const quarantineIdFor = (intakeRef: string, index: number) =>
  createHash('sha256').update(`${intakeRef}#${index}`).digest('hex').slice(0, 32);

type Accepted = {
  index: number;
  reading: Reading;
  typeToken: string;
  classification: Classification;
};
type Refused = { index: number; reading: Reading; reason: RejectionReason; detail: string };

/** One submission's readings for one lane, waiting for that lane's next flush. */
interface Part {
  intakeRef: string;
  rows: Accepted[];
  resolve(stored: Accepted[]): void;
  reject(error: unknown): void;
}

/** The lane of a device: a stable hash, so a device's rows are never in two flushes at once. */
export function laneOf(deviceId: string, lanes: number): number {
  let hash = 2166136261;
  for (let i = 0; i < deviceId.length; i++)
    hash = Math.imul(hash ^ deviceId.charCodeAt(i), 16777619);
  return (hash >>> 0) % lanes;
}

/** A queue of parts flushed one flush at a time (group commit). */
class FlushLane {
  private queue: Part[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly maxRows: number,
    private readonly maxDelayMs: number,
    private readonly store: (parts: Part[]) => Promise<void>,
  ) {}

  enqueue(intakeRef: string, rows: Accepted[]): Promise<Accepted[]> {
    return new Promise<Accepted[]>((resolve, reject) => {
      this.queue.push({ intakeRef, rows, resolve, reject });
      this.queuedRows += rows.length;
      if (this.queuedRows >= this.maxRows) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.maxDelayMs);
    });
  }

  kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) return; // the running flush picks the queue up when it ends
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const parts: Part[] = [];
      let rows = 0;
      while (
        this.queue.length > 0 &&
        (parts.length === 0 || rows + this.queue[0]!.rows.length <= this.maxRows)
      ) {
        const next = this.queue.shift()!;
        rows += next.rows.length;
        parts.push(next);
      }
      this.queuedRows -= rows;
      await this.store(parts);
    }
  }

  async drain(): Promise<void> {
    this.kick();
    while (this.flushing) await this.flushing;
  }
}

export class ReadingPipeline {
  private readonly lanes: FlushLane[];
  private readonly clock: () => Date;
  private readonly counters;

  constructor(private readonly options: PipelineOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.lanes = Array.from(
      { length: Math.max(1, options.lanes ?? 2) },
      () => new FlushLane(options.maxRows, options.maxDelayMs, (parts) => this.flush(parts)),
    );
    const m = options.metrics;
    this.counters = {
      accepted: m.counter('readings_stored_total', 'Readings stored and published.', ['source']),
      duplicates: m.counter(
        'readings_duplicate_total',
        'Readings dropped as duplicates of stored ones.',
        ['source'],
      ),
      rejected: m.counter(
        'readings_rejected_total',
        'Readings refused, by reason (kept in quarantine).',
        ['reason'],
      ),
      flushRows: m.histogram(
        'flush_rows',
        'Readings per database flush.',
        [],
        [1, 10, 100, 1000, 5000, 10000, 20000, 50000],
      ),
      flushSeconds: m.histogram(
        'flush_duration_seconds',
        'Time to store one flush.',
        [],
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ),
    };
  }

  /** Validates now; resolves once the accepted readings are stored and every event is published. */
  async submit(submission: Submission): Promise<SubmissionOutcome> {
    const receivedAt = this.clock();
    const accepted: Accepted[] = [];
    const rejected: Refused[] = [];
    submission.readings.forEach((raw, index) => {
      const reading = { ...raw, source: raw.source ?? submission.source };
      const verdict = validateReading(
        reading,
        this.options.directory.byId(reading.deviceId),
        receivedAt,
        this.options.limits,
      );
      if (!verdict.ok) {
        rejected.push({ index, reading, reason: verdict.reason, detail: verdict.detail });
      } else if (!this.options.rateLimiter.take(verdict.device.id, receivedAt.getTime())) {
        rejected.push({
          index,
          reading,
          reason: RejectionReason.REJECTION_REASON_RATE_LIMITED,
          detail: `device ${verdict.device.id} exceeded its rate limit`,
        });
      } else {
        accepted.push({
          index,
          reading: verdict.reading,
          typeToken: verdict.device.typeToken,
          classification: classificationName(verdict.device.classification),
        });
      }
    });

    const byLane = new Map<number, Accepted[]>();
    for (const a of accepted) {
      const lane = laneOf(a.reading.deviceId, this.lanes.length);
      byLane.set(lane, [...(byLane.get(lane) ?? []), a]);
    }
    const parts = await Promise.all(
      [...byLane].map(([lane, rows]) => this.lanes[lane]!.enqueue(submission.intakeRef, rows)),
    );
    // Events keep the submission's order and shape, whichever lanes stored its readings.
    const stored = parts.flat().sort((a, b) => a.index - b.index);
    await this.publish(submission, stored, rejected);
    await this.options.onStored?.(stored.map((s) => s.reading));

    const duplicates = accepted.length - stored.length;
    const source = submission.source;
    this.counters.accepted.inc({ source }, stored.length);
    if (duplicates) this.counters.duplicates.inc({ source }, duplicates);
    for (const r of rejected)
      this.counters.rejected.inc({ reason: rejectionReasonToken(r.reason) });
    return { stored: stored.length, duplicates, rejected: rejected.length };
  }

  /** Stores one lane's flush; each part learns which of its rows were stored (not duplicates). */
  private async flush(parts: Part[]): Promise<void> {
    const started = performance.now();
    try {
      const staged: StagedReading[] = [];
      const owners: { part: Part; row: Accepted }[] = [];
      for (const part of parts) {
        for (const row of part.rows) {
          staged.push({
            ord: staged.length,
            classification: row.classification,
            reading: row.reading,
            intakeRef: part.intakeRef,
          });
          owners.push({ part, row });
        }
      }
      const { stored } = await storeReadings(this.options.pool, staged, this.options.bulkWrite);
      const storedBy = new Map<Part, Accepted[]>();
      for (const ord of stored) {
        const owner = owners[ord]!;
        storedBy.set(owner.part, [...(storedBy.get(owner.part) ?? []), owner.row]);
      }
      this.counters.flushRows.observe(staged.length);
      this.counters.flushSeconds.observe((performance.now() - started) / 1000);
      for (const part of parts) part.resolve(storedBy.get(part) ?? []);
    } catch (error) {
      this.options.log.warn(
        { err: error, messages: parts.length },
        'flush failed; the messages will be redelivered',
      );
      for (const part of parts) part.reject(error);
    }
  }

  private async publish(
    submission: Submission,
    stored: Accepted[],
    rejected: Refused[],
  ): Promise<void> {
    const { bus } = this.options;
    const { intakeRef, source, shape } = submission;
    const publications: Promise<unknown>[] = [];
    if (stored.length > 0 && shape === 'single') {
      for (const s of stored) {
        publications.push(
          bus.publish(
            ReadingRecorded,
            { type: s.typeToken, device: s.reading.deviceId },
            s.reading,
            { msgId: `r:${intakeRef}:${s.index}` },
          ),
        );
      }
    } else if (stored.length > 0) {
      publications.push(
        bus.publish(
          ReadingBatchRecorded,
          { source },
          { source, batchId: intakeRef, readings: stored.map((s) => s.reading) },
          { msgId: `b:${intakeRef}` },
        ),
      );
    }
    for (const r of rejected) {
      const quarantineId = quarantineIdFor(intakeRef, r.index);
      publications.push(
        bus.publish(
          ReadingRejected,
          { reason: rejectionReasonToken(r.reason) },
          {
            quarantineId,
            reason: r.reason,
            detail: r.detail,
            source,
            deviceId: r.reading.deviceId,
            payload: Buffer.alloc(0),
            receivedAt: this.clock(),
            reading: r.reading,
          },
          { msgId: `rejected:${quarantineId}` },
        ),
      );
    }
    await Promise.all(publications);
  }

  /** Flushes whatever is queued (shutdown). */
  async drain(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.drain()));
  }
}

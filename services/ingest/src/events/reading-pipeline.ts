// The reading path after intake: validate, rate-limit, store in batches, then publish. Many
// intake messages share one database flush (group commit): each handler waits until the
// flush holding its readings is committed and the resulting events are published, and only
// then acks. A failed flush fails every waiting handler, so their messages are redelivered.
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
import { type StagedReading, storeReadings } from '../store/reading.repository.js';
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

interface Pending {
  submission: Submission;
  accepted: {
    index: number;
    reading: Reading;
    typeToken: string;
    classification: Classification;
  }[];
  rejected: { index: number; reading: Reading; reason: RejectionReason; detail: string }[];
  resolve(outcome: SubmissionOutcome): void;
  reject(error: unknown): void;
}

export interface PipelineOptions {
  pool: pg.Pool;
  bus: Bus;
  directory: DeviceDirectory;
  limits: ReadingLimits;
  rateLimiter: RateLimiter;
  maxRows: number;
  maxDelayMs: number;
  log: Logger;
  metrics: Metrics;
  clock?: () => Date;
  /** Told about every flush's stored readings before the flush is acknowledged (liveness). */
  onStored?: (readings: Reading[]) => Promise<void>;
}

/** A stable quarantine id for reading `index` of an intake message. */
export const quarantineIdFor = (intakeRef: string, index: number) =>
  createHash('sha256').update(`${intakeRef}#${index}`).digest('hex').slice(0, 32);

export class ReadingPipeline {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly clock: () => Date;
  private readonly counters;

  constructor(private readonly options: PipelineOptions) {
    this.clock = options.clock ?? (() => new Date());
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
        'Time to store and publish one flush.',
        [],
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ),
    };
  }

  /** Validates now; resolves once the accepted readings are stored and every event is published. */
  submit(submission: Submission): Promise<SubmissionOutcome> {
    const receivedAt = this.clock();
    const pending = { submission, accepted: [], rejected: [] } as unknown as Pending;
    submission.readings.forEach((raw, index) => {
      const reading = { ...raw, source: raw.source ?? submission.source };
      const verdict = validateReading(
        reading,
        this.options.directory.byId(reading.deviceId),
        receivedAt,
        this.options.limits,
      );
      if (!verdict.ok) {
        pending.rejected.push({ index, reading, reason: verdict.reason, detail: verdict.detail });
      } else if (!this.options.rateLimiter.take(verdict.device.id, receivedAt.getTime())) {
        pending.rejected.push({
          index,
          reading,
          reason: RejectionReason.REJECTION_REASON_RATE_LIMITED,
          detail: `device ${verdict.device.id} exceeded its rate limit`,
        });
      } else {
        pending.accepted.push({
          index,
          reading: verdict.reading,
          typeToken: verdict.device.typeToken,
          classification: classificationName(verdict.device.classification),
        });
      }
    });
    return new Promise<SubmissionOutcome>((resolve, reject) => {
      pending.resolve = resolve;
      pending.reject = reject;
      this.queue.push(pending);
      this.queuedRows += pending.accepted.length;
      if (this.queuedRows >= this.options.maxRows) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.options.maxDelayMs);
    });
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) return; // the running flush picks the queue up when it ends
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      let rows = 0;
      while (
        this.queue.length > 0 &&
        (batch.length === 0 || rows + this.queue[0]!.accepted.length <= this.options.maxRows)
      ) {
        const next = this.queue.shift()!;
        rows += next.accepted.length;
        batch.push(next);
      }
      this.queuedRows -= rows;
      await this.flush(batch);
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    const started = performance.now();
    try {
      const staged: StagedReading[] = [];
      const owners: { pending: Pending; accepted: Pending['accepted'][number] }[] = [];
      for (const pending of batch) {
        for (const accepted of pending.accepted) {
          staged.push({
            ord: staged.length,
            classification: accepted.classification,
            reading: accepted.reading,
            intakeRef: pending.submission.intakeRef,
          });
          owners.push({ pending, accepted });
        }
      }
      const { stored } = await storeReadings(this.options.pool, staged);
      const storedBy = new Map<Pending, Pending['accepted']>();
      for (const ord of stored) {
        const owner = owners[ord]!;
        storedBy.set(owner.pending, [...(storedBy.get(owner.pending) ?? []), owner.accepted]);
      }
      await Promise.all(batch.map((pending) => this.publish(pending, storedBy.get(pending) ?? [])));
      await this.options.onStored?.([...stored].map((ord) => owners[ord]!.accepted.reading));
      for (const pending of batch) {
        const storedCount = storedBy.get(pending)?.length ?? 0;
        const duplicates = pending.accepted.length - storedCount;
        const source = pending.submission.source;
        this.counters.accepted.inc({ source }, storedCount);
        if (duplicates) this.counters.duplicates.inc({ source }, duplicates);
        for (const r of pending.rejected)
          this.counters.rejected.inc({ reason: rejectionReasonToken(r.reason) });
        pending.resolve({ stored: storedCount, duplicates, rejected: pending.rejected.length });
      }
      this.counters.flushRows.observe(staged.length);
      this.counters.flushSeconds.observe((performance.now() - started) / 1000);
    } catch (error) {
      this.options.log.warn(
        { err: error, messages: batch.length },
        'flush failed; the messages will be redelivered',
      );
      for (const pending of batch) pending.reject(error);
    }
  }

  private async publish(pending: Pending, stored: Pending['accepted']): Promise<void> {
    const { bus } = this.options;
    const { intakeRef, source, shape } = pending.submission;
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
    for (const r of pending.rejected) {
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
    this.kick();
    while (this.flushing) await this.flushing;
  }
}

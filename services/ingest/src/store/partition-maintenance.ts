// Keeps the reading table's partitions ahead of time and drops those past retention, at
// start-up and then hourly. Creating two days ahead means midnight never finds a reading
// without a partition; creating back to the oldest acceptable day covers late data.
import type { Logger } from '@slimstad/kit';
import type { Kysely } from 'kysely';
import { CLASSIFICATIONS, maxAgeFor } from '../domain/partitions.js';
import { dropExpiredPartitions, ensurePartitions } from './partitions.repository.js';
import type { Classification } from './reading.table.js';

const DAY_MS = 86_400_000;

export class PartitionMaintenance<DB> {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly options: {
      maxAgeMs: number;
      retentionDays: Record<Classification, number>;
      log: Logger;
      clock?: () => Date;
    },
  ) {}

  async run(): Promise<{ created: string[]; dropped: string[] }> {
    const now = (this.options.clock ?? (() => new Date()))();
    const db = this.db as unknown as Kysely<unknown>;
    const created: string[] = [];
    for (const classification of CLASSIFICATIONS) {
      const { maxAgeMs, retentionDays } = this.options;
      const oldest = new Date(now.getTime() - maxAgeFor(classification, maxAgeMs, retentionDays));
      const ahead = new Date(now.getTime() + 2 * DAY_MS);
      created.push(...(await ensurePartitions(db, oldest, ahead, [classification])));
    }
    const dropped = await dropExpiredPartitions(db, this.options.retentionDays, now);
    if (created.length || dropped.length)
      this.options.log.info({ created: created.length, dropped }, 'reading partitions maintained');
    return { created, dropped };
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.run().catch((error) =>
        this.options.log.warn({ err: error }, 'partition maintenance failed; retrying next round'),
      );
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

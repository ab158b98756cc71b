// Which daily partitions the reading table needs, and which retention lets go. Pure: the
// store turns these names into `create table … partition of …` and `drop table`.

import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import type { Classification } from '../store/reading.table.js';

export const CLASSIFICATIONS: readonly Classification[] = ['public', 'internal', 'personal'];
const DAY_MS = 86_400_000;

/** The partition family of a device's data classification (unset counts as internal). */
export function classificationName(classification: DataClassification): Classification {
  if (classification === DataClassification.DATA_CLASSIFICATION_PUBLIC) return 'public';
  if (classification === DataClassification.DATA_CLASSIFICATION_PERSONAL) return 'personal';
  return 'internal';
}

/**
 * How old a reading of this classification may be: the global lateness bound, but never past
 * the retention, whose partitions are gone (a personal-data reading older than its retention
 * would otherwise have nowhere to go).
 */
export function maxAgeFor(
  classification: Classification,
  maxAgeMs: number,
  retentionDays: Record<Classification, number>,
): number {
  return Math.min(maxAgeMs, retentionDays[classification] * DAY_MS);
}

/** `reading_public_20261123`: one partition per classification and UTC day. */
export function partitionName(classification: Classification, day: Date): string {
  return `reading_${classification}_${day.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** UTC midnights from the day of `from` to the day of `to`, inclusive. */
export function daysBetween(from: Date, to: Date): Date[] {
  const start = Math.floor(from.getTime() / DAY_MS) * DAY_MS;
  const days: Date[] = [];
  for (let t = start; t <= to.getTime(); t += DAY_MS) days.push(new Date(t));
  return days;
}

/** The day a partition covers, parsed back from its name; undefined for other tables. */
export function partitionDay(
  name: string,
): { classification: Classification; day: Date } | undefined {
  const match = /^reading_(public|internal|personal)_(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!match) return undefined;
  return {
    classification: match[1] as Classification,
    day: new Date(`${match[2]}-${match[3]}-${match[4]}T00:00:00Z`),
  };
}

/**
 * Partitions wholly older than their classification's retention: a partition covering day D
 * goes once D + 1 day ≤ now − retention days, so no row younger than the retention is lost.
 */
export function expiredPartitions(
  names: readonly string[],
  retentionDays: Record<Classification, number>,
  now: Date,
): string[] {
  return names.filter((name) => {
    const parsed = partitionDay(name);
    if (!parsed) return false;
    const end = parsed.day.getTime() + DAY_MS;
    return end <= now.getTime() - retentionDays[parsed.classification] * DAY_MS;
  });
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { daysBetween, expiredPartitions, partitionDay, partitionName } from './partitions.js';

describe('reading partitions', () => {
  it('names a partition per classification and UTC day, and parses it back', () => {
    const name = partitionName('personal', new Date('2026-11-23T22:59:00Z'));
    expect(name).toBe('reading_personal_20261123');
    expect(partitionDay(name)).toEqual({
      classification: 'personal',
      day: new Date('2026-11-23T00:00:00Z'),
    });
    expect(partitionDay('reading_sequence')).toBeUndefined();
  });

  it('lists every day between two instants', () => {
    expect(
      daysBetween(new Date('2026-11-22T23:00:00Z'), new Date('2026-11-24T01:00:00Z')).map((d) =>
        d.toISOString().slice(0, 10),
      ),
    ).toEqual(['2026-11-22', '2026-11-23', '2026-11-24']);
  });

  it('drops a partition only when all of its day is past the retention of its classification', () => {
    const now = new Date('2026-12-31T12:00:00Z');
    const names = [
      'reading_personal_20261130',
      'reading_personal_20261201',
      'reading_public_20261130',
      'latest_reading',
    ];
    expect(expiredPartitions(names, { public: 730, internal: 365, personal: 30 }, now)).toEqual([
      'reading_personal_20261130',
    ]);
  });

  it('never drops a partition that still holds a row younger than the retention (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2026-01-01'), max: new Date('2028-01-01'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 800 }),
        fc.integer({ min: 1, max: 800 }),
        (now, daysAgo, retention) => {
          const day = new Date(now.getTime() - daysAgo * 86_400_000);
          const name = partitionName('public', day);
          const dropped =
            expiredPartitions([name], { public: retention, internal: 1, personal: 1 }, now)
              .length === 1;
          const newestRowInIt = partitionDay(name)!.day.getTime() + 86_400_000 - 1;
          if (dropped) expect(newestRowInIt).toBeLessThan(now.getTime() - retention * 86_400_000);
        },
      ),
    );
  });
});

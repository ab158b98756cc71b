// Recorded readings for dry runs, from ingest's gRPC range query (QueryReadings, downsampled
// buckets): alerting never reads ingest's tables.
import { IngestServiceClient } from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import { createClient, promisifyUnary } from '@slimstad/kit';
import type { FetchReadings } from '../api/ports.js';

export function ingestReadings(
  address: string,
  token: string,
): { fetch: FetchReadings; close(): void } {
  const client = createClient(IngestServiceClient, address, { token, deadlineMs: 30_000 });
  const query = promisifyUnary(client, client.queryReadings);
  return {
    fetch: async ({ deviceId, metric, start, end, bucketMs }) => {
      const { buckets } = await query({
        deviceId,
        metric,
        startTime: start,
        endTime: end,
        bucket: { seconds: BigInt(Math.ceil(bucketMs / 1000)), nanos: 0 },
      });
      return buckets.map((b) => ({
        time: b.startTime?.getTime() ?? 0,
        avg: b.avg,
        min: b.min,
        max: b.max,
        count: Number(b.count),
      }));
    },
    close: () => client.close(),
  };
}

// The IngestService gRPC API: the streaming entry point (from the edges module), the
// quarantine (list and replay), and queries over stored readings.
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import {
  type IngestServiceServer,
  IngestServiceService,
  type QuarantineFilter as QuarantineFilterMessage,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import {
  Reading,
  type RejectionReason,
  rejectionReasonFromJSON,
  rejectionReasonToJSON,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { defineService, invalidArgument, type Logger, type ServiceHandlers } from '@slimstad/kit';
import type { Kysely, Selectable } from 'kysely';
import type { DeviceDirectory } from '../domain/device.js';
import { type ReadingLimits, validateReading } from '../domain/reading-rules.js';
import type { IntakePublisher } from '../events/intake.publisher.js';
import type { IngestDatabase } from '../store/db.js';
import {
  countReplayAttempt,
  listQuarantine,
  markReplayed,
  type QuarantineFilter,
  quarantineByIds,
} from '../store/quarantine.repository.js';
import { downsampledReadings, latestReadings } from '../store/reading.repository.js';
import type { QuarantineRow as QuarantineTable } from '../store/reading.table.js';

type QuarantineRow = Selectable<QuarantineTable>;

type Handlers = ServiceHandlers<typeof IngestServiceService>;

export interface IngestApiDeps {
  db: Kysely<IngestDatabase>;
  directory: DeviceDirectory;
  intake: IntakePublisher;
  limits: ReadingLimits;
  log: Logger;
  /** The PushReadings stream handler and its roles, provided by the edges. */
  pushReadings: Handlers['pushReadings'];
  /** Turns a raw edge payload kept in quarantine back into readings, when the source has a parser. */
  reparse?: (
    source: string,
    payload: Uint8Array,
    context?: { deviceId?: string; reason?: string },
  ) => Reading[] | undefined;
  clock?: () => Date;
}

const MAX_PAGE = 500;
const MAX_REPLAY = 10_000;
const encodeToken = (row: { received_at: Date; id: string }) =>
  Buffer.from(`${row.received_at.toISOString()}|${row.id}`).toString('base64url');
function decodeToken(token: string): QuarantineFilter['before'] {
  if (!token) return undefined;
  const [at, id] = Buffer.from(token, 'base64url').toString().split('|');
  const receivedAt = new Date(at ?? '');
  if (!id || Number.isNaN(receivedAt.getTime())) {
    throw invalidArgument('bad page token', [
      { field: 'page.page_token', description: 'is not a token this API issued' },
    ]);
  }
  return { receivedAt, id };
}

function toFilter(filter: QuarantineFilterMessage | undefined): Omit<QuarantineFilter, 'limit'> {
  return {
    reason: filter?.reason ? rejectionReasonToJSON(filter.reason) : undefined,
    deviceId: filter?.deviceId || undefined,
    source: filter?.source || undefined,
    receivedFrom: filter?.received?.startTime,
    receivedBefore: filter?.received?.endTime,
  };
}

function toMessage(row: QuarantineRow) {
  return {
    id: row.id,
    reason: rejectionReasonFromJSON(row.reason),
    detail: row.detail,
    source: row.source,
    deviceId: row.device_id ?? '',
    payload: row.payload ?? Buffer.alloc(0),
    receivedAt: row.received_at,
    reading: row.reading ? Reading.fromJSON(row.reading) : undefined,
    replayCount: row.replay_count,
    lastReplayedAt: row.replayed_at ?? undefined,
  };
}

export function ingestService(deps: IngestApiDeps) {
  const now = deps.clock ?? (() => new Date());

  /** The readings a quarantine entry stands for: the parsed reading, or its raw payload re-parsed. */
  const readingsOf = (row: QuarantineRow): Reading[] | undefined => {
    if (row.reading) return [Reading.fromJSON(row.reading)];
    // The edge parsers re-parse only what a fixed registry can cure (unknown device,
    // malformed); a payload refused for its secret never becomes readings.
    if (row.payload && deps.reparse) {
      return deps.reparse(row.source, row.payload, {
        deviceId: row.device_id ?? undefined,
        reason: row.reason,
      });
    }
    return undefined;
  };

  const handlers: Handlers = {
    pushReadings: deps.pushReadings,

    listQuarantine: {
      roles: ['viewer'],
      handle: async (request) => {
        const pageSize = Math.min(request.page?.pageSize || 100, MAX_PAGE);
        const rows = await listQuarantine(deps.db, {
          ...toFilter(request.filter),
          status: 'quarantined',
          limit: pageSize + 1,
          before: decodeToken(request.page?.pageToken ?? ''),
        });
        const page = rows.slice(0, pageSize);
        const last = page.at(-1);
        return {
          entries: page.map(toMessage),
          page: {
            nextPageToken: rows.length > pageSize && last ? encodeToken(last) : '',
            totalSize: 0,
          },
        };
      },
    },

    replayQuarantine: {
      roles: ['operator'],
      handle: async (request, ctx) => {
        const selection = request.selection;
        if (!selection)
          throw invalidArgument('choose what to replay', [
            { field: 'selection', description: 'set ids or filter' },
          ]);
        const rows =
          selection.$case === 'ids'
            ? await quarantineByIds(deps.db, selection.value.ids)
            : await listQuarantine(deps.db, {
                ...toFilter(selection.value),
                status: 'quarantined',
                limit: MAX_REPLAY,
              });
        const notFound = selection.$case === 'ids' ? selection.value.ids.length - rows.length : 0;
        const at = now();
        const passing: { row: QuarantineRow; readings: Reading[] }[] = [];
        const failing: QuarantineRow[] = [];
        for (const row of rows) {
          if (row.status !== 'quarantined') continue;
          const readings = readingsOf(row);
          const ok =
            readings?.length &&
            readings.every(
              (r) => validateReading(r, deps.directory.byId(r.deviceId), at, deps.limits).ok,
            );
          if (ok) passing.push({ row, readings });
          else failing.push(row);
        }
        if (!request.dryRun) {
          for (const { row, readings } of passing) {
            // Back through intake: the pipeline validates and stores them like any reading.
            await deps.intake.submit('replay', `${row.id}-${row.replay_count + 1}`, readings);
          }
          await markReplayed(
            deps.db,
            passing.map((p) => p.row.id),
            at,
          );
          await countReplayAttempt(
            deps.db,
            failing.map((r) => r.id),
            at,
          );
          ctx.log.info(
            {
              operator: ctx.principal.subject,
              replayed: passing.length,
              stillRejected: failing.length,
            },
            'quarantine replayed',
          );
        }
        return {
          matchedCount: passing.length + failing.length,
          acceptedCount: passing.length,
          stillRejectedCount: failing.length,
          notFoundCount: notFound,
        };
      },
    },

    getLatestReadings: {
      roles: ['viewer'],
      handle: async (request) => {
        const byType = request.deviceType !== DeviceType.DEVICE_TYPE_UNSPECIFIED;
        if (request.deviceIds.length === 0 && !request.zone && !byType) {
          throw invalidArgument('select devices', [
            { field: 'device_ids', description: 'set device_ids, zone or device_type' },
          ]);
        }
        const ids = new Set(request.deviceIds);
        if (request.zone || byType) {
          for (const d of deps.directory.all()) {
            if (
              (!request.zone || d.zone === request.zone) &&
              (!byType || d.type === request.deviceType)
            )
              ids.add(d.id);
          }
        }
        const rows = await latestReadings(deps.db, [...ids]);
        return {
          readings: rows.map((r) => {
            const device = deps.directory.byId(r.device_id);
            return {
              deviceId: r.device_id,
              metric: r.metric,
              value: r.value,
              unit: r.unit,
              observedAt: r.observed_at,
              receivedAt: r.received_at,
              zone: device?.zone ?? '',
              deviceType: device?.type ?? DeviceType.DEVICE_TYPE_UNSPECIFIED,
            };
          }),
        };
      },
    },

    queryReadings: {
      roles: ['viewer'],
      handle: async (request) => {
        const violations = [];
        const bucketSeconds = Number(request.bucket?.seconds ?? 0n);
        if (!request.deviceId) violations.push({ field: 'device_id', description: 'is required' });
        if (!request.metric) violations.push({ field: 'metric', description: 'is required' });
        if (!request.startTime || !request.endTime || request.endTime <= request.startTime) {
          violations.push({ field: 'end_time', description: 'must be after start_time' });
        } else if (request.endTime.getTime() - request.startTime.getTime() > 31 * 86_400_000) {
          violations.push({ field: 'end_time', description: 'the range may span at most 31 days' });
        } else if (bucketSeconds < 1) {
          violations.push({ field: 'bucket', description: 'must be at least 1 s' });
        } else if (
          (request.endTime.getTime() - request.startTime.getTime()) / 1000 / bucketSeconds >
          10_000
        ) {
          violations.push({
            field: 'bucket',
            description: 'too small for the range: at most 10,000 buckets',
          });
        }
        if (violations.length > 0) throw invalidArgument('invalid reading query', violations);
        const buckets = await downsampledReadings(deps.db, {
          deviceId: request.deviceId,
          metric: request.metric,
          from: request.startTime!,
          to: request.endTime!,
          bucketSeconds,
        });
        const unit = deps.directory.byId(request.deviceId)?.metrics.get(request.metric)?.unit ?? '';
        return {
          unit,
          buckets: buckets.map((b) => ({
            startTime: b.bucket,
            avg: b.avg,
            min: b.min,
            max: b.max,
            count: BigInt(b.count),
          })),
        };
      },
    },
  };
  return defineService(IngestServiceService, handlers);
}

// Re-exported for the tests: what a rejection reason looks like in the quarantine table.
export const reasonName = (reason: RejectionReason) => rejectionReasonToJSON(reason);
export type { IngestServiceServer };

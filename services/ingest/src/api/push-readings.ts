// IngestService.PushReadings: the gRPC edge for adapters. Each request message is answered,
// in order, with one result per reading once the outcome is durable:
//
// - `accepted` means "durably received": the reading is stored in the intake stream
//   (JetStream). Full validation — metric declared by the device, unit, range, timestamps,
//   rate — happens afterwards in the intake consumer; a reading refused there lands in the
//   quarantine with its reason (IngestService.ListQuarantine), like any other rejection.
// - `accepted: false` is a structural refusal found here (unknown device, missing metric or
//   observed_at, a value that is not a finite number); it is already in the quarantine,
//   under `quarantine_id`.
//
// Up to `maxInFlight` requests of a stream are worked on at once and answered in request
// order; beyond that the handler stops reading, and gRPC flow control holds the client back.
// When the intake cannot take the readings the stream ends with RESOURCE_EXHAUSTED (intake
// full) or UNAVAILABLE; every answered request is durable, the unanswered ones are to be sent
// again — the batch id is derived from their content, so a resent request is stored once.
import type {
  IngestServiceService,
  PushReadingResult,
  PushReadingsRequest,
  PushReadingsResponse,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import { Reading, RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import {
  AppError,
  type CallContext,
  type HandlerOf,
  type Logger,
  type MethodSpec,
} from '@slimstad/kit';
import type { DeviceDirectory } from '../domain/device.js';
import { hashId, type Intake } from '../edges/common.js';
import { IntakeFullError } from '../events/intake.publisher.js';

type PushReadingsMethod = IngestServiceService['pushReadings'];

/** Roles allowed to push readings (declared by whoever composes the service). */
export const pushReadingsRoles = ['operator'] as const;

/** `Reading.source` (when the client leaves it empty) and the intake subject token. */
export const PUSH_READINGS_SOURCE = 'grpc';

/** Readings per request message (ingest_service.proto). */
export const MAX_READINGS_PER_REQUEST = 1000;

export interface PushReadingsDeps {
  directory: DeviceDirectory;
  intake: Intake;
  log: Logger;
  /** Requests of one stream worked on at once. Default 16. */
  maxInFlight?: number;
}

type Check = { ok: true } | { ok: false; reason: RejectionReason; detail: string };

/** The structural checks of the gRPC edge; the intake consumer validates the rest. */
function check(reading: Reading, index: number, directory: DeviceDirectory): Check {
  const at = `readings[${index}]`;
  const malformed = (detail: string): Check => ({
    ok: false,
    reason: RejectionReason.REJECTION_REASON_MALFORMED,
    detail: `${at}.${detail}`,
  });
  if (!reading.deviceId) return malformed('device_id: required');
  if (!directory.byId(reading.deviceId)) {
    return {
      ok: false,
      reason: RejectionReason.REJECTION_REASON_UNKNOWN_DEVICE,
      detail: `${at}: no device ${reading.deviceId} in the registry`,
    };
  }
  if (!reading.metric) return malformed('metric: required');
  if (!Number.isFinite(reading.value)) {
    // NaN and ±Infinity are out of any range (RejectionReason.OUT_OF_RANGE, reading.proto).
    return {
      ok: false,
      reason: RejectionReason.REJECTION_REASON_OUT_OF_RANGE,
      detail: `${at}.value: ${reading.value} is not a finite number`,
    };
  }
  if (!reading.observedAt || Number.isNaN(reading.observedAt.getTime()))
    return malformed('observed_at: required');
  return { ok: true };
}

const NEVER = new Promise<never>(() => {});

/**
 * The `handle` of IngestService.PushReadings for defineService.
 *
 * @example
 * defineService(IngestServiceService, {
 *   pushReadings: { roles: pushReadingsRoles, handle: pushReadingsHandler({ directory, intake, log }) },
 *   // …
 * });
 */
export function pushReadingsHandler(deps: PushReadingsDeps): HandlerOf<PushReadingsMethod> {
  const maxInFlight = deps.maxInFlight ?? 16;

  async function answer(
    request: PushReadingsRequest,
    requestIndex: bigint,
    ctx: CallContext,
  ): Promise<PushReadingsResponse> {
    if (request.readings.length > MAX_READINGS_PER_REQUEST) {
      throw new AppError(
        'INVALID_ARGUMENT',
        `request ${requestIndex} carries ${request.readings.length} readings; send at most ${MAX_READINGS_PER_REQUEST} per message`,
        [{ field: 'readings', description: `at most ${MAX_READINGS_PER_REQUEST} per message` }],
      );
    }
    const results: PushReadingResult[] = [];
    const accepted: Reading[] = [];
    const rejections: Promise<unknown>[] = [];
    request.readings.forEach((raw, index) => {
      // received_at and device_type are the server's to set (ingest_service.proto).
      const reading = Reading.fromPartial({
        ...raw,
        receivedAt: undefined,
        deviceType: undefined,
        source: raw.source || PUSH_READINGS_SOURCE,
      });
      const verdict = check(reading, index, deps.directory);
      const result: PushReadingResult = {
        index,
        accepted: verdict.ok,
        rejectionReason: verdict.ok ? RejectionReason.REJECTION_REASON_UNSPECIFIED : verdict.reason,
        detail: verdict.ok ? '' : verdict.detail,
        quarantineId: '',
      };
      results.push(result);
      if (verdict.ok) {
        accepted.push(reading);
        return;
      }
      rejections.push(
        deps.intake
          .reject({
            reason: verdict.reason,
            detail: verdict.detail,
            source: PUSH_READINGS_SOURCE,
            deviceId: reading.deviceId || undefined,
            reading,
          })
          .then((quarantineId) => {
            result.quarantineId = quarantineId;
          }),
      );
    });
    // The caller and its reference scope the id; the content makes a reused reference safe.
    const batchId = hashId(
      ctx.principal.subject,
      request.clientRef,
      ...accepted.map((r) => Reading.encode(r).finish()),
    );
    try {
      await Promise.all([
        ...rejections,
        accepted.length > 0
          ? deps.intake.submit(PUSH_READINGS_SOURCE, batchId, accepted)
          : Promise.resolve(),
      ]);
    } catch (error) {
      if (error instanceof IntakeFullError) {
        throw new AppError(
          'RESOURCE_EXHAUSTED',
          `ingest intake is full; send the unanswered requests again in ${error.retryAfterSeconds} s`,
        );
      }
      ctx.log.error({ err: error }, 'could not store pushed readings');
      throw new AppError(
        'UNAVAILABLE',
        'the readings could not be stored; send the unanswered requests again',
        [],
        { cause: error },
      );
    }
    return {
      clientRef: request.clientRef,
      requestIndex,
      results,
      acceptedCount: accepted.length,
      rejectedCount: results.length - accepted.length,
    };
  }

  return async function* handle(requests, ctx) {
    const iterator = requests[Symbol.asyncIterator]();
    const pending: Promise<PushReadingsResponse>[] = [];
    let nextRequest: Promise<IteratorResult<PushReadingsRequest>> | undefined;
    let ended = false;
    let requestIndex = 0n;
    for (;;) {
      if (!ended && !nextRequest && pending.length < maxInFlight) nextRequest = iterator.next();
      const head = pending[0];
      if (!head && !nextRequest) return;
      // Answer the oldest request as soon as it is durable, while still reading new ones.
      const step = await Promise.race([
        head ? head.then((response) => ({ response })) : NEVER,
        nextRequest ? nextRequest.then((request) => ({ request })) : NEVER,
      ]);
      if ('response' in step) {
        pending.shift();
        yield step.response;
      } else {
        nextRequest = undefined;
        if (step.request.done) {
          ended = true;
        } else {
          const response = answer(step.request.value, requestIndex++, ctx);
          response.catch(() => undefined); // surfaces in order, when it reaches the head
          pending.push(response);
        }
      }
    }
  };
}

/** The method entry for defineService: roles and handler. */
export function pushReadingsMethod(deps: PushReadingsDeps): MethodSpec<PushReadingsMethod> {
  return { roles: pushReadingsRoles, handle: pushReadingsHandler(deps) };
}

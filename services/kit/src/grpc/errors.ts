// The one place where errors become gRPC statuses. AppError keeps its code and message and its
// field violations travel as a google.rpc.Status in the `grpc-status-details-bin` trailer (the
// rich error model of https://grpc.io/docs/guides/error/, packing google.rpc.BadRequest in a
// google.protobuf.Any); a zod error is INVALID_ARGUMENT; anything else is INTERNAL with a
// generic message, because its text may carry internals (SQL, hosts, stack traces).
import { Metadata, status as Status, type StatusObject } from '@grpc/grpc-js';
import { BadRequest } from '@slimstad/contracts/gen/google/rpc/error_details';
import { Status as RpcStatus } from '@slimstad/contracts/gen/google/rpc/status';
import { AppError, type ErrorCode, type FieldViolation } from '../errors.js';

export { Status };

/** The trailer that carries a serialized google.rpc.Status. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';

/** A status code's canonical name (`UNAUTHENTICATED`), used in metric labels and messages. */
export function statusName(code: number): string {
  return Status[code] ?? `CODE_${code}`;
}

/** The grpc-js status number for one of the platform's error code names. */
export function statusCode(code: ErrorCode): Status {
  return Status[code];
}

/** A status ready for grpc-js: `callback(status)` or `call.emit('error', status)`. */
export interface GrpcFailure extends StatusObject {
  /** Only for the server's log: the original error, never sent to the client. */
  cause?: unknown;
}

/** Serializes a google.rpc.Status carrying a BadRequest with the violations. */
export function encodeStatusDetails(
  code: number,
  message: string,
  violations: readonly FieldViolation[],
): Buffer {
  const details =
    violations.length === 0
      ? []
      : [
          {
            typeUrl: BAD_REQUEST_TYPE_URL,
            value: Buffer.from(
              BadRequest.encode({
                fieldViolations: violations.map((v) => ({
                  field: v.field,
                  description: v.description,
                  reason: '',
                })),
              }).finish(),
            ),
          },
        ];
  return Buffer.from(RpcStatus.encode({ code, message, details }).finish());
}

function failure(
  code: Status,
  details: string,
  violations: readonly FieldViolation[] = [],
): GrpcFailure {
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, encodeStatusDetails(code, details, violations));
  return { code, details, metadata };
}

/** Recognises a zod error (v3 or v4) without depending on the zod instance that threw it. */
function zodIssues(
  error: unknown,
): { path: readonly PropertyKey[]; message: string }[] | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { name?: unknown; issues?: unknown };
  if (candidate.name !== 'ZodError' || !Array.isArray(candidate.issues)) return undefined;
  return candidate.issues as { path: readonly PropertyKey[]; message: string }[];
}

/** Formats a zod path as a protobuf field path: `location.latitude`, `tags[2]`. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * Maps what a handler threw to the status the client receives. For an unexpected error the
 * result keeps it in `cause` so the caller can log it (with the trace id) before it vanishes
 * behind the generic message; `reference` (the trace id) lets an operator find that log line.
 */
export function toGrpcFailure(error: unknown, reference?: string): GrpcFailure {
  if (error instanceof AppError) {
    return failure(statusCode(error.code), error.message, error.violations);
  }
  const issues = zodIssues(error);
  if (issues) {
    const violations = issues.map((issue) => ({
      field: fieldPath(issue.path),
      description: issue.message,
    }));
    return failure(Status.INVALID_ARGUMENT, 'invalid request', violations);
  }
  const suffix = reference ? ` (trace ${reference})` : '';
  return { ...failure(Status.INTERNAL, `internal error${suffix}`), cause: error };
}

/** What a client can learn from a failed call's trailers. */
export interface ErrorDetails {
  code: number;
  message: string;
  violations: FieldViolation[];
}

/**
 * Decodes `grpc-status-details-bin` from a failed call's metadata (e.g. `serviceError.metadata`).
 * Returns undefined when the trailer is absent or unreadable.
 */
export function decodeErrorDetails(metadata: Metadata | undefined): ErrorDetails | undefined {
  const raw = metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!raw || typeof raw === 'string') return undefined;
  try {
    const status = RpcStatus.decode(raw);
    const violations: FieldViolation[] = [];
    for (const detail of status.details) {
      if (detail.typeUrl !== BAD_REQUEST_TYPE_URL) continue;
      for (const v of BadRequest.decode(detail.value).fieldViolations) {
        violations.push({ field: v.field, description: v.description });
      }
    }
    return { code: status.code, message: status.message, violations };
  } catch {
    return undefined;
  }
}

/** Type guard for the errors grpc-js clients reject with. */
export function isServiceError(
  error: unknown,
): error is Error & { code: number; details: string; metadata: Metadata } {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'number' &&
    typeof (error as { details?: unknown }).details === 'string'
  );
}

// Errors that carry a reason an operator or a client can act on. Handlers throw these; the
// gRPC layer maps them to status codes (and only there), consumers map them to decisions.

/** The gRPC canonical codes the platform uses, by name. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'ABORTED'
  | 'INTERNAL';

/** One thing wrong with one field of a request, e.g. `{ field: 'location.latitude', description: 'must be within [-90, 90]' }`. */
export interface FieldViolation {
  field: string;
  description: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly violations: readonly FieldViolation[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const invalidArgument = (message: string, violations: FieldViolation[] = []) =>
  new AppError('INVALID_ARGUMENT', message, violations);
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const alreadyExists = (what: string) =>
  new AppError('ALREADY_EXISTS', `${what} already exists`);
export const failedPrecondition = (message: string) => new AppError('FAILED_PRECONDITION', message);
export const permissionDenied = (message: string) => new AppError('PERMISSION_DENIED', message);
export const unauthenticated = (message: string) => new AppError('UNAUTHENTICATED', message);

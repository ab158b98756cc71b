// Every failure becomes one clear line on stderr (plus the field violations, one per line)
// that says what went wrong and what to do next, and a non-zero exit code.
import { decodeErrorDetails, isServiceError, Status, statusName } from '@slimstad/kit/grpc/index';

/** Exit codes: 1 when the call or the service failed, 2 when the command line was wrong. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure the CLI detected itself, with the message to print as is. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface ErrorContext {
  /** The address the command called. */
  api: string;
  /** The environment variable that sets that address (default: SLIMSTAD_API). */
  env?: string;
  timeoutMs: number;
}

/** The text to print for an error (without the trailing newline). */
export function describeError(error: unknown, context: ErrorContext): string {
  if (error instanceof CliError) return `slimstad: ${error.message}`;
  if (!isServiceError(error))
    return `slimstad: ${error instanceof Error ? error.message : String(error)}`;

  const code = statusName(error.code);
  const details = decodeErrorDetails(error.metadata);
  const message = details?.message || error.details;
  switch (error.code) {
    case Status.UNAVAILABLE:
      return `slimstad: cannot reach ${context.api} (UNAVAILABLE) — is the service running? set --api or ${context.env ?? 'SLIMSTAD_API'}`;
    case Status.DEADLINE_EXCEEDED:
      return `slimstad: ${context.api} did not answer within ${context.timeoutMs} ms (DEADLINE_EXCEEDED) — raise --timeout or check the service`;
    case Status.UNIMPLEMENTED:
      return `slimstad: ${context.api} does not serve this API (UNIMPLEMENTED) — does --api point at the right service?`;
    case Status.UNAUTHENTICATED:
      return `slimstad: not authenticated: ${message} (UNAUTHENTICATED) — pass --token or set SLIMSTAD_TOKEN (development: slimstad token create)`;
    case Status.PERMISSION_DENIED:
      return `slimstad: permission denied: ${message} (PERMISSION_DENIED) — ask an administrator for a token with that role`;
    default: {
      const violations = details?.violations ?? [];
      const lines = violations.map((v) => `  - ${v.field || '(request)'}: ${v.description}`);
      return [`slimstad: ${message} (${code})`, ...lines].join('\n');
    }
  }
}

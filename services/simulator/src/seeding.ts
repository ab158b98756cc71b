// Calls that seed a demo layout into a service (lighting, bollards): each retried while the
// service is briefly UNAVAILABLE (it may be restarting), any other refusal an error naming
// what was being seeded, the step and the service's reason — and, when the token was refused,
// the role it needs.
import type * as grpc from '@grpc/grpc-js';
import { Status } from '@slimstad/kit';
import { explain, sleep } from './registry.js';

export const codeOf = (error: unknown) => (error as Partial<grpc.ServiceError>).code;

export type SeedCall = <T>(step: string, run: () => Promise<T>) => Promise<T>;

export function seedCaller(options: {
  /** What is seeded, e.g. `the lighting layout`. */
  what: string;
  /** The roles the token needs, for the hint on PERMISSION_DENIED and UNAUTHENTICATED. */
  roles: string;
  attempts?: number;
  signal?: AbortSignal;
}): SeedCall {
  const attempts = options.attempts ?? 10;
  return async (step, run) => {
    for (let attempt = 1; ; attempt++) {
      if (options.signal?.aborted) throw new Error(`stopped while seeding ${options.what}`);
      try {
        return await run();
      } catch (error) {
        const code = codeOf(error);
        if (code === Status.UNAVAILABLE && attempt < attempts) {
          await sleep(Math.min(500 * attempt, 5_000), options.signal);
          continue;
        }
        const hint =
          code === Status.PERMISSION_DENIED || code === Status.UNAUTHENTICATED
            ? ` (seeding ${options.what} needs a token with the ${options.roles})`
            : '';
        throw Object.assign(
          new Error(`seeding ${options.what}: ${step}: ${explain(error)}${hint}`),
          { code },
        );
      }
    }
  };
}

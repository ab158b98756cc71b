// Reading a demo file that is JSON checked by a zod schema (the lighting layout, the bollards):
// every problem named by its path in the file, so the operator can fix them all at once.
import { isTimeZone } from '@slimstad/kit';
import { z } from 'zod';

export function parseJsonFile<T>(
  text: string,
  schema: z.ZodType<T>,
  fail: (problems: string[]) => Error,
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail([`not JSON: ${(error as Error).message}`]);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw fail(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`),
    );
  }
  return result.data;
}

/** An id that is a single NATS subject token (it appears in subjects). */
export const tokenId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters from A-Z a-z 0-9 _ - (a NATS token)');

export const geoPoint = z.strictObject({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
});

export const timeZone = z
  .string()
  .refine(isTimeZone, 'must be an IANA time zone such as Europe/Brussels');

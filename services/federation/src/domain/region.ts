// The region description (deploy/region.yaml): the cities that federate through one hub, and
// where each city's sharing policy lives. Pure validation; the files are read by the caller.
import { z } from 'zod';
import { CITY_ID, type Policy, PolicyError, parsePolicy } from './policy.js';

export interface Region {
  readonly region: string;
  readonly cities: readonly { id: string; policyFile: string }[];
}

const regionSchema = z.strictObject({
  region: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'must be lower-case letters, digits and -'),
  cities: z
    .array(
      z.strictObject({
        id: z.string().regex(CITY_ID, 'must be a city id (lower-case letters, digits and _)'),
        policy: z.string().min(1, 'must name the policy file (relative to the region file)'),
      }),
    )
    .min(2, 'a region federates at least two cities'),
});

/** The ids that cannot be cities: they are the hub's own names. */
const RESERVED = new Set(['hub', 'city', 'sys']);

export function parseRegion(document: unknown, source: string): Region {
  const parsed = regionSchema.safeParse(document);
  if (!parsed.success) {
    throw new PolicyError(
      source,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`),
    );
  }
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const [i, c] of parsed.data.cities.entries()) {
    if (ids.has(c.id)) problems.push(`cities.${i}: ${c.id} is listed twice`);
    if (RESERVED.has(c.id)) problems.push(`cities.${i}: ${c.id} is reserved`);
    ids.add(c.id);
  }
  if (problems.length) throw new PolicyError(source, problems);
  return {
    region: parsed.data.region,
    cities: parsed.data.cities.map((c) => ({ id: c.id, policyFile: c.policy })),
  };
}

/** Validates every city's policy against the region; all problems of all files at once. */
export function policiesOf(
  region: Region,
  read: (policyFile: string) => { document: unknown; source: string },
): Map<string, Policy> {
  const ids = region.cities.map((c) => c.id);
  const policies = new Map<string, Policy>();
  const problems: string[] = [];
  for (const city of region.cities) {
    const { document, source } = read(city.policyFile);
    try {
      const policy = parsePolicy(document, source, { neighbours: ids });
      if (policy.city !== city.id) {
        problems.push(`${source}: city: is ${policy.city}, but the region lists it for ${city.id}`);
      }
      policies.set(city.id, policy);
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      problems.push(...error.problems.map((p) => `${source}: ${p}`));
    }
  }
  if (problems.length) throw new PolicyError('region', problems);
  return policies;
}

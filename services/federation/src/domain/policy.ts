// A municipality's sharing policy: which of its live streams go to which neighbours, and at
// what granularity. Pure: parsing, validation with one clear message per problem, and the
// rules that decide what of a reading may leave the city.
import { z } from 'zod';

/** A city id: one lower-case NATS token, also its JetStream domain and (upper-cased) account. */
export const CITY_ID = /^[a-z][a-z0-9_]{0,31}$/;
const STREAM_NAME = /^[a-z][a-z0-9_]{0,47}$/;
const METRIC = /^[A-Za-z0-9_-]+$/;

export type Granularity = 'raw' | 'aggregated' | 'alerts';
export type AggregateBy = 'zone' | 'station';
export type AggregateFn = 'avg' | 'sum' | 'count' | 'min' | 'max';
/** As on the Device in the registry (slimstad.common.v1.DataClassification). */
export type Classification = 'public' | 'internal' | 'personal';

export interface Share {
  /** One token; the stream is published on `share.<name>.<key>`. */
  readonly name: string;
  readonly granularity: Granularity;
  /** The reading metrics it is derived from (empty for alerts). */
  readonly metrics: readonly string[];
  readonly aggregate?: { by: AggregateBy; fn: AggregateFn; windowSeconds: number };
  /** Neighbours (city ids) it goes to; empty: derived here, sent to nobody. */
  readonly to: readonly string[];
}

export interface Policy {
  readonly city: string;
  readonly shares: readonly Share[];
}

const duration = z
  .string()
  .regex(/^\d+(s|m|h)$/, 'must be a duration such as 15m, 900s or 1h')
  .transform((s) => {
    const n = Number(s.slice(0, -1));
    return n * ({ s: 1, m: 60, h: 3600 } as const)[s.slice(-1) as 's' | 'm' | 'h'];
  })
  .refine((s) => s >= 60 && s <= 24 * 3600, 'must be between 1m and 24h');

const shareSchema = z.strictObject({
  name: z.string().regex(STREAM_NAME, 'must be lower-case letters, digits and _ (one token)'),
  granularity: z.enum(['raw', 'aggregated', 'alerts']),
  metrics: z.array(z.string().regex(METRIC, 'must be one token')).optional(),
  aggregate: z
    .strictObject({
      by: z.enum(['zone', 'station']),
      function: z.enum(['avg', 'sum', 'count', 'min', 'max']),
      window: duration,
    })
    .optional(),
  to: z.array(z.string().regex(CITY_ID, 'must be a city id')).default([]),
});

const policySchema = z.strictObject({
  city: z.string().regex(CITY_ID, 'must be a city id (lower-case letters, digits and _)'),
  shares: z.array(shareSchema).default([]),
});

/** A policy that failed validation; `problems` has one line per problem, each naming its place. */
export class PolicyError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: invalid sharing policy:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PolicyError';
  }
}

/**
 * Validates a parsed policy document. `neighbours` are the other cities of the region (when
 * known): sharing with a city outside the region is refused.
 */
export function parsePolicy(
  document: unknown,
  source: string,
  options: { neighbours?: readonly string[] } = {},
): Policy {
  const parsed = policySchema.safeParse(document);
  if (!parsed.success) {
    throw new PolicyError(
      source,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`),
    );
  }
  const { city, shares } = parsed.data;
  const problems: string[] = [];
  const names = new Set<string>();
  let alerts = 0;
  const result: Share[] = shares.map((s, i) => {
    const at = `shares.${i} (${s.name})`;
    if (names.has(s.name)) problems.push(`${at}: name is used twice`);
    names.add(s.name);
    const metrics = s.metrics ?? [];
    if (s.granularity === 'alerts') {
      alerts++;
      if (s.name !== 'alert') {
        problems.push(
          `${at}: public alerts are shared on share.alert.cap: name this share "alert"`,
        );
      }
      if (metrics.length || s.aggregate) {
        problems.push(`${at}: an alerts share takes no metrics and no aggregate`);
      }
    } else {
      if (s.name === 'alert') problems.push(`${at}: "alert" is reserved for public alerts`);
      if (metrics.length === 0) problems.push(`${at}: metrics: name at least one metric`);
      if (s.granularity === 'aggregated' && !s.aggregate) {
        problems.push(
          `${at}: aggregate: required for granularity aggregated (by, function, window)`,
        );
      }
      if (s.granularity === 'raw' && s.aggregate) {
        problems.push(`${at}: aggregate: only for granularity aggregated`);
      }
    }
    for (const to of new Set(s.to)) {
      if (to === city) problems.push(`${at}: to: ${city} is this city itself`);
      else if (options.neighbours && !options.neighbours.includes(to)) {
        problems.push(`${at}: to: ${to} is not a city of the region`);
      }
    }
    if (new Set(s.to).size !== s.to.length) problems.push(`${at}: to: a neighbour is listed twice`);
    return {
      name: s.name,
      granularity: s.granularity,
      metrics,
      ...(s.aggregate
        ? {
            aggregate: {
              by: s.aggregate.by,
              fn: s.aggregate.function,
              windowSeconds: s.aggregate.window,
            },
          }
        : {}),
      to: [...s.to],
    };
  });
  if (alerts > 1) problems.push('shares: at most one alerts share');
  if (problems.length) throw new PolicyError(source, problems);
  return { city, shares: result };
}

/** The subject pattern a share is published on inside the city. */
export function shareSubject(share: Share): string {
  return share.granularity === 'alerts' ? 'share.alert.cap' : `share.${share.name}.>`;
}

/** Shares that go to `neighbour`. */
export function sharesTo(policy: Policy, neighbour: string): Share[] {
  return policy.shares.filter((s) => s.to.includes(neighbour));
}

/** Every neighbour the policy shares with. */
export function neighboursOf(policy: Policy): string[] {
  return [...new Set(policy.shares.flatMap((s) => s.to))].sort();
}

/** Why a reading does not leave the city, or undefined when it may (at this granularity). */
export type Withheld = 'personal' | 'internal_not_aggregated' | 'unknown_device' | 'no_zone';

/**
 * The classification rule: personal data never leaves; internal data leaves only aggregated;
 * a device the registry has not (yet) described is treated as personal — fail closed.
 */
export function mayLeave(
  share: Share,
  device: { classification: Classification; zone: string } | undefined,
): Withheld | undefined {
  if (!device) return 'unknown_device';
  if (device.classification === 'personal') return 'personal';
  if (share.granularity === 'raw' && device.classification !== 'public') {
    return 'internal_not_aggregated';
  }
  if (share.aggregate?.by === 'zone' && !device.zone) return 'no_zone';
  return undefined;
}

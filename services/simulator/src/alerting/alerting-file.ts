// The demo city's alerting as a file (demo/alerting.json): the rules a municipality starts with
// and the resource points its public warnings name (sandbag distribution along the Zenne).
// Each rule is the JSON of slimstad.alerting.v1.Rule — what `slimstad alerts rules get` prints
// and `rules apply -f` reads, durations as `{ "seconds": n }` — and each point that of
// ResourcePoint, checked strictly
// here (a misspelt field is a problem, not a silently dropped setting) and against the device
// file (a rule over readings must select a demo device that reports its metric, or it would
// never fire). The simulator seeds both into the alerting service. Reading and checking is pure.
import { fileURLToPath } from 'node:url';
import { ResourcePoint, Rule } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { z } from 'zod';
import type { SimDevice } from '../domain/devices.js';
import { geoPoint, parseJsonFile, timeZone, tokenId } from '../json-file.js';

/** The demo city's alert rules and resource points, committed with the package. */
export const DEMO_ALERTING_FILE = fileURLToPath(
  new URL('../../demo/alerting.json', import.meta.url),
);

/** A google.protobuf.Duration as the CLI's rule files write it, e.g. `{ "seconds": 1200 }`. */
const duration = z.strictObject({
  seconds: z.number().int().min(0),
  nanos: z.number().int().min(0).max(999_999_999).optional(),
});
const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a label name');
const labels = z.record(labelName, z.string());
const metric = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a metric name such as "flow"');
const text = z.string().trim().min(1);
const hour = z.number().int().min(0).max(23);

/** CAP 1.2 §3.2.2 enumerations (the service refuses anything else when it builds a message). */
const CAP_CATEGORIES = [
  'Geo',
  'Met',
  'Safety',
  'Security',
  'Rescue',
  'Fire',
  'Health',
  'Env',
  'Transport',
  'Infra',
  'CBRNE',
  'Other',
] as const;
const CAP_URGENCIES = ['Immediate', 'Expected', 'Future', 'Past', 'Unknown'] as const;
const CAP_CERTAINTIES = ['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'] as const;

const CONDITIONS = [
  'threshold',
  'rateOfChange',
  'absence',
  'nightFlow',
  'baseline',
  'event',
] as const;

const rule = z
  .strictObject({
    id: tokenId,
    name: text,
    enabled: z.boolean(),
    severity: z.enum(['SEVERITY_INFO', 'SEVERITY_WARNING', 'SEVERITY_CRITICAL']),
    scope: labels.default({}),
    labels: labels.default({}),
    annotations: z.record(z.string(), z.string()).default({}),
    threshold: z
      .strictObject({
        metric,
        comparison: z.enum(['COMPARISON_ABOVE', 'COMPARISON_BELOW']),
        value: z.number(),
        for: duration.optional(),
        clearValue: z.number().optional(),
      })
      .optional(),
    rateOfChange: z
      .strictObject({
        metric,
        delta: z.number().refine((d) => d !== 0, 'must not be 0 (positive: rise, negative: fall)'),
        window: duration,
      })
      .optional(),
    absence: z.strictObject({ factor: z.number().min(1) }).optional(),
    nightFlow: z
      .strictObject({
        metric,
        startHour: hour,
        endHour: hour,
        threshold: z.number().min(0),
        nights: z.number().int().min(1),
        timeZone,
      })
      .optional(),
    baseline: z
      .strictObject({
        metric,
        factor: z.number().gt(1),
        minWeeks: z.number().int().min(1),
        timeZone,
      })
      .optional(),
    event: z
      .strictObject({
        subject: text,
        resolveSubject: z.string().optional(),
        resolveAfter: duration.optional(),
      })
      .optional(),
    escalateAfter: duration.optional(),
    publicWarning: z
      .strictObject({
        event: text,
        category: z.enum(CAP_CATEGORIES),
        urgency: z.enum(CAP_URGENCIES),
        certainty: z.enum(CAP_CERTAINTIES),
        headline: text,
        description: text,
        instruction: z.string().optional(),
        areaDesc: text,
        polygon: z.array(geoPoint).optional(),
        circle: z
          .strictObject({ center: geoPoint, radiusKm: z.number().positive().max(500) })
          .optional(),
        resourceKind: tokenId.optional(),
        resourceCount: z.number().int().min(1).max(10).optional(),
      })
      .optional(),
  })
  .superRefine((r, ctx) => {
    const set = CONDITIONS.filter((c) => r[c] !== undefined);
    if (set.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `needs exactly one condition of ${CONDITIONS.join(', ')}${set.length ? ` (has ${set.join(', ')})` : ''}`,
      });
  });

const resourcePoint = z.strictObject({
  id: tokenId,
  kind: tokenId,
  name: text,
  location: geoPoint,
  address: z.string().default(''),
  zone: z.string().default(''),
  note: z.string().default(''),
});

export const alertingFileSchema = z.strictObject({
  $comment: z.string().optional(),
  rules: z.array(rule),
  resourcePoints: z.array(resourcePoint).default([]),
});

export type AlertingFile = z.infer<typeof alertingFileSchema>;
export type FileRule = AlertingFile['rules'][number];
export type FileResourcePoint = AlertingFile['resourcePoints'][number];

/** The file cannot be used; the message lists every problem. */
export class AlertingFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`cannot use the alerting file:\n  - ${problems.join('\n  - ')}`);
    this.name = 'AlertingFileError';
  }
}

/** The labels a device's series carry in alerting (what a rule's scope selects). */
function seriesLabels(d: SimDevice): Record<string, string> {
  return { ...d.labels, device: d.id, device_type: d.type, zone: d.zone };
}

/** The metric a rule reads from readings, if it reads readings. */
const metricOf = (r: FileRule): string | undefined =>
  (r.threshold ?? r.rateOfChange ?? r.nightFlow ?? r.baseline)?.metric;

/**
 * Problems the schema cannot see: duplicate ids, open polygons, a public warning naming a kind
 * of resource point the file has none of, and — given the device file — rules over readings
 * that select no device reporting their metric (`department` is the registry's, not known here).
 */
export function alertingFileProblems(file: AlertingFile, devices?: readonly SimDevice[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  file.rules.forEach((r, i) => {
    const where = `rules.${i} (${r.id})`;
    if (ids.has(r.id)) problems.push(`${where}: id appears twice`);
    ids.add(r.id);
    const pw = r.publicWarning;
    if (pw) {
      const ring = pw.polygon ?? [];
      if (ring.length === 0 && !pw.circle)
        problems.push(`${where}: publicWarning needs a polygon or a circle (the warning's area)`);
      if (ring.length > 0) {
        const [first, last] = [ring[0], ring.at(-1)];
        if (
          ring.length < 4 ||
          first?.latitude !== last?.latitude ||
          first?.longitude !== last?.longitude
        )
          problems.push(
            `${where}: publicWarning.polygon must have at least 4 points, the first repeated last (CAP 1.2 §3.2.4)`,
          );
      }
      if (pw.resourceKind && !file.resourcePoints.some((p) => p.kind === pw.resourceKind))
        problems.push(
          `${where}: publicWarning.resourceKind ${pw.resourceKind}: no resource point of that kind in the file`,
        );
    }
    if (!devices || r.event || 'department' in r.scope) return;
    const selected = devices.filter((d) => {
      const l = seriesLabels(d);
      return Object.entries(r.scope).every(([k, v]) => l[k] === v);
    });
    const m = metricOf(r);
    if (selected.length === 0)
      problems.push(`${where}: scope ${JSON.stringify(r.scope)} selects no device of the file`);
    else if (m && !selected.some((d) => d.metrics.some((x) => x.name === m)))
      problems.push(
        `${where}: no device the scope selects reports ${m} (they report ${[...new Set(selected.flatMap((d) => d.metrics.map((x) => x.name)))].join(', ')})`,
      );
  });
  const points = new Set<string>();
  file.resourcePoints.forEach((p, i) => {
    if (points.has(p.id)) problems.push(`resourcePoints.${i} (${p.id}): id appears twice`);
    points.add(p.id);
  });
  return problems;
}

/**
 * Parses and checks the file's text — with `devices`, also against the device file (its rules
 * must select devices); throws AlertingFileError naming each problem.
 */
export function parseAlertingFile(text: string, devices?: readonly SimDevice[]): AlertingFile {
  const file = parseJsonFile(text, alertingFileSchema, (p) => new AlertingFileError(p));
  const problems = alertingFileProblems(file, devices);
  if (problems.length > 0) throw new AlertingFileError(problems);
  return file;
}

/** Parses the file and checks it against the device file. */
export const loadAlertingFile = (text: string, devices: readonly SimDevice[]): AlertingFile =>
  parseAlertingFile(text, devices);

/** The rule as AlertingService takes it (CreateRule). */
export const ruleMessage = (r: FileRule): Rule => Rule.fromJSON(r);

/** The point as AlertingService takes it (PutResourcePoint). */
export const resourcePointMessage = (p: FileResourcePoint): ResourcePoint =>
  ResourcePoint.fromJSON(p);

/** JSON with every object's keys sorted, so two encodings of one rule compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** Whether the stored rule says what the file says (version, author and time aside). */
export function sameRule(stored: Rule, wanted: Rule): boolean {
  const spec = (r: Rule) =>
    canonical(Rule.toJSON({ ...r, version: 0n, updatedBy: '', updateTime: undefined }));
  return spec(stored) === spec(wanted);
}

/** Whether the stored point is the file's. */
export function sameResourcePoint(stored: ResourcePoint, wanted: ResourcePoint): boolean {
  return canonical(ResourcePoint.toJSON(stored)) === canonical(ResourcePoint.toJSON(wanted));
}

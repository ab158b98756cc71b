// Bench profiles: a zone, its lamps and path graph, its lighting profile and one night of
// people walking and cycling through it, as a JSON file the benchmark replays (format in
// README.md beside this file). Loading validates everything the replay relies on — known lamp
// ids, symmetric neighbours, routes along the paths, start times inside the replay window —
// and names the field and index of every problem.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const percent = z.number().int().min(0).max(100);
const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be letters, digits, "-" or "_" (a subject token)');
const instant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 date-time, e.g. 2026-11-23T16:30:00Z',
});
const geoPoint = z.strictObject({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
});
const levelSet = z.strictObject({ baseLevel: percent, presenceLevel: percent });
const lookAhead = z.strictObject({
  distanceMeters: z.number().nonnegative(),
  speedMetersPerSecond: z.number().positive(),
});

const lampSchema = z.strictObject({
  id,
  location: geoPoint,
  ratedPowerWatts: z.number().positive(),
  minLevel: percent,
  neighbours: z.array(id),
  detectors: z.array(id),
  /** This lamp's sensors see this far (e.g. a gate sensor watching the approach); default: the file's. */
  detectionRangeMeters: z.number().positive().optional(),
});

const passerSchema = z.strictObject({
  id,
  start: instant,
  mode: z.enum(['pedestrian', 'cyclist']),
  speedMps: z.number().positive().max(30),
  route: z.array(id).min(1),
});

const benchProfileSchema = z
  .strictObject({
    name: z.string().min(1),
    zone: z.strictObject({
      id,
      name: z.string().min(1),
      kind: z.enum(['park', 'street', 'square']),
      location: geoPoint,
      timeZone: z.string().min(1),
    }),
    profile: z.strictObject({
      duskOffsetMinutes: z.number().int(),
      dawnOffsetMinutes: z.number().int(),
      weekday: levelSet,
      weekend: levelSet.optional(),
      holdSeconds: z.number().nonnegative(),
      rampUpSeconds: z.number().nonnegative(),
      rampDownSeconds: z.number().nonnegative(),
      pedestrian: lookAhead,
      cyclist: lookAhead,
      fallbackLevel: percent,
    }),
    replay: z.strictObject({ start: instant, end: instant }),
    detectionRangeMeters: z.number().positive(),
    litWithinMeters: z.number().nonnegative(),
    lamps: z.array(lampSchema).min(1),
    passers: z.array(passerSchema),
  })
  .superRefine((file, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });

    try {
      new Intl.DateTimeFormat('en', { timeZone: file.zone.timeZone });
    } catch {
      issue(['zone', 'timeZone'], `unknown IANA time zone ${file.zone.timeZone}`);
    }

    const lamps = new Map<string, { index: number; neighbours: Set<string> }>();
    file.lamps.forEach((lamp, i) => {
      if (lamps.has(lamp.id)) issue(['lamps', i, 'id'], `duplicate lamp id ${lamp.id}`);
      else lamps.set(lamp.id, { index: i, neighbours: new Set(lamp.neighbours) });
    });
    file.lamps.forEach((lamp, i) => {
      const seen = new Set<string>();
      lamp.neighbours.forEach((other, j) => {
        const path = ['lamps', i, 'neighbours', j];
        const neighbour = lamps.get(other);
        if (other === lamp.id) issue(path, `${lamp.id} lists itself as a neighbour`);
        else if (seen.has(other)) issue(path, `${lamp.id} lists ${other} twice`);
        else if (!neighbour) issue(path, `unknown lamp ${other}`);
        else if (!neighbour.neighbours.has(lamp.id)) {
          issue(
            path,
            `${lamp.id} lists ${other} as a neighbour but ${other} (lamps[${neighbour.index}]) does not list ${lamp.id}`,
          );
        }
        seen.add(other);
      });
      const detectors = new Set<string>();
      lamp.detectors.forEach((detector, j) => {
        if (detectors.has(detector)) {
          issue(['lamps', i, 'detectors', j], `${lamp.id} lists detector ${detector} twice`);
        }
        detectors.add(detector);
      });
    });

    const startMs = Date.parse(file.replay.start);
    const endMs = Date.parse(file.replay.end);
    if (!(startMs < endMs)) {
      issue(['replay', 'end'], `must be after replay.start (${file.replay.start})`);
    }
    const passers = new Set<string>();
    file.passers.forEach((passer, i) => {
      if (passers.has(passer.id)) issue(['passers', i, 'id'], `duplicate passer id ${passer.id}`);
      passers.add(passer.id);
      const at = Date.parse(passer.start);
      if (at < startMs || at >= endMs) {
        issue(
          ['passers', i, 'start'],
          `${passer.start} is outside the replay window [${file.replay.start}, ${file.replay.end})`,
        );
      }
      passer.route.forEach((lampId, k) => {
        const path = ['passers', i, 'route', k];
        const lamp = lamps.get(lampId);
        if (!lamp) {
          issue(path, `unknown lamp ${lampId}`);
          return;
        }
        const previous = k > 0 ? passer.route[k - 1] : undefined;
        if (previous !== undefined && lamps.has(previous) && !lamp.neighbours.has(previous)) {
          issue(path, `${previous} → ${lampId} is not a path: the lamps are not neighbours`);
        }
      });
    });
  });

/** A bench profile as the file holds it (times ISO 8601, distances metres, power watts). */
export type BenchProfile = z.output<typeof benchProfileSchema>;
export type BenchLamp = BenchProfile['lamps'][number];
export type BenchPasser = BenchProfile['passers'][number];

export class BenchProfileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    const shown = problems.slice(0, 20).map((p) => `  - ${p}`);
    if (problems.length > shown.length)
      shown.push(`  … and ${problems.length - shown.length} more`);
    super(`${source}: not a valid bench profile:\n${shown.join('\n')}`);
    this.name = 'BenchProfileError';
  }
}

/** `lamps[3].neighbours[1]` from zod's path. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(file)';
}

/** Validates parsed JSON; `source` names it in errors (a file path). */
export function parseBenchProfile(data: unknown, source = 'bench profile'): BenchProfile {
  const result = benchProfileSchema.safeParse(data);
  if (result.success) return result.data;
  throw new BenchProfileError(
    source,
    result.error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`),
  );
}

/** Reads and validates a bench profile file; throws BenchProfileError naming each problem. */
export function loadBenchProfile(path: string): BenchProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BenchProfileError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BenchProfileError(path, [`not JSON: ${(error as Error).message}`]);
  }
  return parseBenchProfile(data, path);
}

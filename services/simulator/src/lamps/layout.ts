// The demo town's street lighting as a file (demo/lighting.json): zones with their lighting
// profile, and lamps along the paths. The simulator seeds it into the lighting service and
// plays its lamp controllers. The file is proto3 JSON where it can be — `lamps` is what
// `slimstad lighting lamps import --file` reads, a zone's `profile` what `slimstad lighting
// profile set --file` reads — with a zone's kind as `park`, `street` or `square` and a
// curfew's nights as `all`, `weekday` or `weekend`. Reading and checking it is pure.
import { fileURLToPath } from 'node:url';
import type { Duration } from '@slimstad/contracts/gen/google/protobuf/duration';
import {
  Lamp,
  LightingProfile,
  NightKind,
  Zone,
  ZoneKind,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { z } from 'zod';
import type { SimDevice } from '../domain/devices.js';
import { geoPoint, parseJsonFile, timeZone, tokenId } from '../json-file.js';
import type { LampSpec } from './lamp-fleet.js';

/** The demo town's lighting layout, committed with the package. */
export const DEMO_LIGHTING_FILE = fileURLToPath(
  new URL('../../demo/lighting.json', import.meta.url),
);

/** Device types whose readings the lighting service takes as detections. */
export const DETECTOR_TYPES = ['presence', 'pedestrian_counter', 'bike_counter'] as const;

const id = tokenId;
const percent = z.number().int().min(0).max(100);
const duration = z
  .string()
  .regex(/^\d+(\.\d{1,9})?s$/, 'must be a proto3 JSON duration such as "30s" or "1.5s"');
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:MM');
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const levelSet = z.strictObject({ baseLevel: percent, presenceLevel: percent });
const lookAhead = z.strictObject({
  distanceMeters: z.number().min(0).max(1000),
  speedMetersPerSecond: z.number().positive().max(20),
});
const curfew = z.strictObject({
  startLocalTime: localTime,
  endLocalTime: localTime,
  level: percent,
  nights: z.enum(['all', 'weekday', 'weekend']).default('all'),
  exceptDates: z.array(date).default([]),
  exceptLampIds: z.array(id).default([]),
});
const profile = z.strictObject({
  duskOffsetMinutes: z.number().int().min(-120).max(120).default(0),
  dawnOffsetMinutes: z.number().int().min(-120).max(120).default(0),
  weekday: levelSet,
  weekend: levelSet.optional(),
  hold: duration,
  rampUp: duration,
  rampDown: duration,
  pedestrian: lookAhead,
  cyclist: lookAhead,
  curfews: z.array(curfew).default([]),
  fallbackLevel: percent,
});
const zone = z.strictObject({
  id,
  name: z.string().trim().min(1),
  kind: z.enum(['park', 'street', 'square']),
  location: geoPoint,
  timeZone,
  profile,
});
const lamp = z.strictObject({
  id,
  zoneId: id,
  name: z.string().trim().min(1),
  location: geoPoint,
  ratedPowerWatts: z.number().positive().max(5000),
  minLevel: percent,
  controllerId: id,
  neighbourIds: z.array(id).default([]),
  detectorIds: z.array(id).default([]),
});

export const lightingLayoutSchema = z.strictObject({
  /** Free text for the reader. */
  $comment: z.union([z.string(), z.array(z.string())]).optional(),
  zones: z.array(zone).min(1),
  lamps: z.array(lamp).min(1),
});

export type LightingLayout = z.infer<typeof lightingLayoutSchema>;
export type LayoutZone = LightingLayout['zones'][number];
export type LayoutLamp = LightingLayout['lamps'][number];
export type LayoutProfile = LayoutZone['profile'];

/** The layout cannot be used; the message lists every problem. */
export class LightingLayoutError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`cannot use the lighting layout:\n  - ${problems.join('\n  - ')}`);
    this.name = 'LightingLayoutError';
  }
}

/** Reads a layout file's text; throws LightingLayoutError naming each bad field. */
export function parseLightingLayout(text: string): LightingLayout {
  return parseJsonFile(text, lightingLayoutSchema, (problems) => new LightingLayoutError(problems));
}

/** Minutes since the evening's noon: times before 12:00 are the morning after. */
const nightMinute = (hhmm: string) => {
  const [h = 0, m = 0] = hhmm.split(':').map(Number);
  return ((h + 12) % 24) * 60 + m;
};

/** Seconds of a proto3 JSON duration (`"1.5s"` → 1.5). */
export const durationSeconds = (text: string): number => Number(text.slice(0, -1));

/** The lamps of one zone's path graph that `from` reaches along the neighbour edges. */
export function reachable(lamps: readonly LayoutLamp[], from: string): Set<string> {
  const edges = new Map<string, Set<string>>(lamps.map((l) => [l.id, new Set<string>()]));
  for (const l of lamps) {
    for (const n of l.neighbourIds) {
      if (!edges.has(n)) continue;
      edges.get(l.id)?.add(n);
      edges.get(n)?.add(l.id);
    }
  }
  const seen = new Set([from]);
  const queue = [from];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const n of edges.get(next) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}

/**
 * Every reason the layout would not work in the demo town: duplicate ids, a lamp in an unknown
 * zone, a neighbour that does not exist or lies in another zone, a detector that is not a
 * detecting device of the device file, a profile level a lamp cannot show (between 0 and its
 * minimum), a curfew exception naming another zone's lamp, a zone whose paths fall apart.
 * The lighting service would refuse most of these one call at a time; here they come at once.
 */
export function layoutProblems(
  layout: LightingLayout,
  devices: readonly Pick<SimDevice, 'id' | 'type'>[],
): string[] {
  const problems: string[] = [];
  const duplicates = (ids: string[], what: string) => {
    const seen = new Set<string>();
    for (const x of ids) {
      if (seen.has(x)) problems.push(`${what} ${x} is listed twice`);
      seen.add(x);
    }
  };
  duplicates(
    layout.zones.map((z) => z.id),
    'zone',
  );
  duplicates(
    layout.lamps.map((l) => l.id),
    'lamp',
  );
  duplicates(
    layout.lamps.map((l) => l.controllerId),
    'controller',
  );

  const zones = new Map(layout.zones.map((z) => [z.id, z]));
  const lamps = new Map(layout.lamps.map((l) => [l.id, l]));
  const deviceTypes = new Map(devices.map((d) => [d.id, d.type]));
  for (const l of layout.lamps) {
    const where = `lamp ${l.id}`;
    if (!zones.has(l.zoneId)) problems.push(`${where}: zone ${l.zoneId} is not in the layout`);
    if (new Set(l.neighbourIds).size !== l.neighbourIds.length)
      problems.push(`${where}: lists a neighbour twice`);
    for (const n of l.neighbourIds) {
      const other = lamps.get(n);
      if (n === l.id) problems.push(`${where}: is its own neighbour`);
      else if (!other) problems.push(`${where}: neighbour ${n} is not in the layout`);
      else if (other.zoneId !== l.zoneId)
        problems.push(`${where}: neighbour ${n} is in zone ${other.zoneId}, not ${l.zoneId}`);
    }
    for (const d of l.detectorIds) {
      const type = deviceTypes.get(d);
      if (type === undefined)
        problems.push(`${where}: detector ${d} is not a device of the device file`);
      else if (!(DETECTOR_TYPES as readonly string[]).includes(type))
        problems.push(
          `${where}: detector ${d} is a ${type}, not one of ${DETECTOR_TYPES.join(', ')}`,
        );
    }
  }

  for (const z of layout.zones) {
    const where = `zone ${z.id}`;
    const zoneLamps = layout.lamps.filter((l) => l.zoneId === z.id);
    if (zoneLamps.length === 0) {
      problems.push(`${where}: has no lamps`);
      continue;
    }
    const p = z.profile;
    const levels: [string, number][] = [
      ['weekday.baseLevel', p.weekday.baseLevel],
      ['weekday.presenceLevel', p.weekday.presenceLevel],
      ['fallbackLevel', p.fallbackLevel],
      ...(p.weekend
        ? ([
            ['weekend.baseLevel', p.weekend.baseLevel],
            ['weekend.presenceLevel', p.weekend.presenceLevel],
          ] as [string, number][])
        : []),
      ...p.curfews.map((c, i): [string, number] => [`curfews[${i}].level`, c.level]),
    ];
    for (const [field, level] of levels) {
      if (level === 0) continue;
      for (const l of zoneLamps) {
        if (level < l.minLevel)
          problems.push(
            `${where}: profile ${field} ${level} % is below the minimum level ${l.minLevel} % of lamp ${l.id}`,
          );
      }
    }
    for (const [name, set] of [
      ['weekday', p.weekday],
      ['weekend', p.weekend],
    ] as const) {
      if (!set) continue;
      if (set.presenceLevel === 0) problems.push(`${where}: profile ${name}.presenceLevel is 0`);
      if (set.presenceLevel < set.baseLevel)
        problems.push(`${where}: profile ${name}.presenceLevel is below its baseLevel`);
    }
    if (p.fallbackLevel < p.weekday.baseLevel)
      problems.push(`${where}: profile fallbackLevel is below weekday.baseLevel`);
    const hold = durationSeconds(p.hold);
    if (hold < 1 || hold > 1800) problems.push(`${where}: profile hold must be 1s-1800s`);
    if (durationSeconds(p.rampUp) > 10) problems.push(`${where}: profile rampUp must be ≤ 10s`);
    if (durationSeconds(p.rampDown) > 600)
      problems.push(`${where}: profile rampDown must be ≤ 600s`);
    if (durationSeconds(p.rampDown) < durationSeconds(p.rampUp))
      problems.push(`${where}: profile rampDown must not be shorter than rampUp`);
    if (p.cyclist.distanceMeters < p.pedestrian.distanceMeters)
      problems.push(`${where}: profile cyclist look-ahead is shorter than the pedestrian one`);
    p.curfews.forEach((c, i) => {
      if (nightMinute(c.endLocalTime) <= nightMinute(c.startLocalTime))
        problems.push(
          `${where}: curfews[${i}] ends (${c.endLocalTime}) before it starts (${c.startLocalTime}) in the same night`,
        );
      for (const x of c.exceptLampIds) {
        if (lamps.get(x)?.zoneId !== z.id)
          problems.push(`${where}: curfews[${i}].exceptLampIds names ${x}, not a lamp of the zone`);
      }
    });
    const first = zoneLamps[0]!;
    const reached = reachable(zoneLamps, first.id);
    const cut = zoneLamps.filter((l) => !reached.has(l.id)).map((l) => l.id);
    if (cut.length > 0)
      problems.push(`${where}: lamps ${cut.join(', ')} are not on a path from ${first.id}`);
  }
  return problems;
}

/** Parses and checks a layout against the device file; throws LightingLayoutError. */
export function loadLightingLayout(
  text: string,
  devices: readonly Pick<SimDevice, 'id' | 'type'>[],
): LightingLayout {
  const layout = parseLightingLayout(text);
  const problems = layoutProblems(layout, devices);
  if (problems.length > 0) throw new LightingLayoutError(problems);
  return layout;
}

const KINDS = {
  park: ZoneKind.ZONE_KIND_PARK,
  street: ZoneKind.ZONE_KIND_STREET,
  square: ZoneKind.ZONE_KIND_SQUARE,
} as const;

const NIGHTS = {
  all: NightKind.NIGHT_KIND_UNSPECIFIED,
  weekday: NightKind.NIGHT_KIND_WEEKDAY,
  weekend: NightKind.NIGHT_KIND_WEEKEND,
} as const;

/** A proto3 JSON duration (`"1.5s"`) as a Duration. */
export function toDuration(text: string): Duration {
  const [whole = '0', fraction = ''] = text.slice(0, -1).split('.');
  return { seconds: BigInt(whole), nanos: Number(fraction.padEnd(9, '0')) };
}

/** The zone as LightingService takes it (CreateZone, UpdateZone). */
export function zoneMessage(z: LayoutZone): Zone {
  return Zone.fromPartial({
    id: z.id,
    name: z.name,
    kind: KINDS[z.kind],
    location: { latitude: z.location.latitude, longitude: z.location.longitude },
    timeZone: z.timeZone,
  });
}

/** The lamp as LightingService takes it (CreateLamp, UpdateLamp). */
export function lampMessage(l: LayoutLamp): Lamp {
  return Lamp.fromPartial({
    id: l.id,
    zoneId: l.zoneId,
    name: l.name,
    location: { latitude: l.location.latitude, longitude: l.location.longitude },
    ratedPowerWatts: l.ratedPowerWatts,
    minLevel: l.minLevel,
    controllerId: l.controllerId,
    neighbourIds: [...l.neighbourIds],
    detectorIds: [...l.detectorIds],
  });
}

/** The zone's profile as LightingService takes it (SetProfile; version 0: none set yet). */
export function profileMessage(z: LayoutZone): LightingProfile {
  const p = z.profile;
  return LightingProfile.fromPartial({
    zoneId: z.id,
    duskOffsetMinutes: p.duskOffsetMinutes,
    dawnOffsetMinutes: p.dawnOffsetMinutes,
    weekday: { ...p.weekday },
    weekend: p.weekend && { ...p.weekend },
    hold: toDuration(p.hold),
    rampUp: toDuration(p.rampUp),
    rampDown: toDuration(p.rampDown),
    pedestrian: { ...p.pedestrian },
    cyclist: { ...p.cyclist },
    curfews: p.curfews.map((c) => ({
      startLocalTime: c.startLocalTime,
      endLocalTime: c.endLocalTime,
      level: c.level,
      nights: NIGHTS[c.nights],
      exceptDates: [...c.exceptDates],
      exceptLampIds: [...c.exceptLampIds],
    })),
    fallbackLevel: p.fallbackLevel,
  });
}

/** The simulated controllers of the layout's lamps, falling back at their zone's level. */
export function lampFleetSpecs(layout: LightingLayout): LampSpec[] {
  const fallback = new Map(layout.zones.map((z) => [z.id, z.profile.fallbackLevel]));
  return layout.lamps.map((l) => ({
    lampId: l.id,
    zoneId: l.zoneId,
    controllerId: l.controllerId,
    ratedPowerWatts: l.ratedPowerWatts,
    location: { latitude: l.location.latitude, longitude: l.location.longitude },
    fallbackLevel: fallback.get(l.zoneId),
  }));
}

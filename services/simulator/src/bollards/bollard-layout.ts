// The demo city's bollards as a file (demo/bollards.json): access zones, the bollards at their
// entries, the permits of businesses and residents, and the rates at which vehicles arrive.
// The simulator seeds zones, bollards and permits into the bollards service and plays the
// bollards' controllers and the traffic. Reading and checking it is pure.
import { fileURLToPath } from 'node:url';
import {
  AccessZone,
  Bollard,
  CredentialKind,
  FailMode,
  Permit,
  VehicleClass,
  type Weekday,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { z } from 'zod';
import { geoPoint, parseJsonFile, timeZone, tokenId } from '../json-file.js';
import type { BollardSpec } from './bollard-fleet.js';

/** The demo city's bollards, committed with the package. */
export const DEMO_BOLLARDS_FILE = fileURLToPath(
  new URL('../../demo/bollards.json', import.meta.url),
);

const id = tokenId;
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a local time HH:MM');

const VEHICLE_CLASSES = {
  resident: VehicleClass.VEHICLE_CLASS_RESIDENT,
  delivery: VehicleClass.VEHICLE_CLASS_DELIVERY,
  taxi: VehicleClass.VEHICLE_CLASS_TAXI,
  public_service: VehicleClass.VEHICLE_CLASS_PUBLIC_SERVICE,
  event: VehicleClass.VEHICLE_CLASS_EVENT,
} as const;

export const bollardLayoutSchema = z.strictObject({
  $comment: z.string().optional(),
  zones: z
    .array(z.strictObject({ id, name: z.string().trim().min(1), timeZone }))
    .min(1, 'at least one zone'),
  bollards: z.array(
    z.strictObject({
      id,
      zoneId: id,
      name: z.string().trim().min(1),
      location: geoPoint,
      failMode: z.enum(['safe', 'secure']).default('safe'),
    }),
  ),
  permits: z.array(
    z.strictObject({
      kind: z.enum(['plate', 'badge']),
      credential: z.string().trim().min(1),
      vehicleClass: z.enum(Object.keys(VEHICLE_CLASSES) as [keyof typeof VEHICLE_CLASSES]),
      zoneIds: z.array(id).min(1),
      /** ISO weekdays, 1 = Monday … 7 = Sunday; no windows: any time. */
      windows: z
        .array(
          z.strictObject({
            days: z.array(z.number().int().min(1).max(7)).min(1),
            from: hhmm,
            to: hhmm,
          }),
        )
        .default([]),
      reason: z.string().trim().min(1),
    }),
  ),
  traffic: z.strictObject({
    /** Delivery vans per hour and zone, Monday–Saturday around the morning window. */
    deliveriesPerHour: z.number().min(0).max(600),
    /** Residents (badges) per hour and zone, by day; a quarter of it at night. */
    residentsPerHour: z.number().min(0).max(600),
    /** Cars without a permit per hour and zone, 08:00–22:00: refused. */
    strangersPerHour: z.number().min(0).max(600),
    /** Fire engines per day over the whole city. */
    fireEnginesPerDay: z.number().min(0).max(100),
    /** The control room clears a zone's emergency mode this long (city clock) after the call. */
    emergencyClearAfterMinutes: z
      .number()
      .positive()
      .max(24 * 60),
    /** How long a vehicle stays on the loop while it crosses, real ms. */
    crossingMs: z.number().int().positive().max(120_000),
  }),
});

export type BollardLayout = z.infer<typeof bollardLayoutSchema>;
export type LayoutBollard = BollardLayout['bollards'][number];
export type LayoutPermit = BollardLayout['permits'][number];
export type Traffic = BollardLayout['traffic'];

/** The file cannot be used; the message lists every problem. */
export class BollardLayoutError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`cannot use the bollards file:\n  - ${problems.join('\n  - ')}`);
    this.name = 'BollardLayoutError';
  }
}

/** Problems the schema cannot see: duplicate ids, unknown zones, windows that end first. */
export function bollardLayoutProblems(layout: BollardLayout): string[] {
  const problems: string[] = [];
  const zones = new Set<string>();
  layout.zones.forEach((zone, i) => {
    if (zones.has(zone.id)) problems.push(`zones.${i}.id: ${zone.id} appears twice`);
    zones.add(zone.id);
  });
  const bollards = new Set<string>();
  layout.bollards.forEach((b, i) => {
    if (bollards.has(b.id)) problems.push(`bollards.${i}.id: ${b.id} appears twice`);
    bollards.add(b.id);
    if (!zones.has(b.zoneId)) problems.push(`bollards.${i}.zoneId: no zone ${b.zoneId}`);
  });
  const credentials = new Set<string>();
  layout.permits.forEach((p, i) => {
    const key = `${p.kind}:${p.credential}`;
    if (credentials.has(key)) problems.push(`permits.${i}.credential: ${p.credential} twice`);
    credentials.add(key);
    p.zoneIds.forEach((z, k) => {
      if (!zones.has(z)) problems.push(`permits.${i}.zoneIds.${k}: no zone ${z}`);
    });
    p.windows.forEach((w, k) => {
      if (w.from >= w.to) {
        problems.push(`permits.${i}.windows.${k}: ends (${w.to}) before it starts (${w.from})`);
      }
    });
  });
  for (const zone of zones) {
    if (!layout.bollards.some((b) => b.zoneId === zone))
      problems.push(`zone ${zone} has no bollard`);
  }
  return problems;
}

/** Parses and checks the file's text; throws BollardLayoutError naming each problem. */
export function parseBollardLayout(text: string): BollardLayout {
  const layout = parseJsonFile(
    text,
    bollardLayoutSchema,
    (problems) => new BollardLayoutError(problems),
  );
  const problems = bollardLayoutProblems(layout);
  if (problems.length > 0) throw new BollardLayoutError(problems);
  return layout;
}

/** The controller of a bollard, and the loop that guards it, are named after it. */
export const controllerOf = (bollardId: string) => `bc-${bollardId}`;
export const loopOf = (bollardId: string) => `loop-${bollardId}`;

export function zoneMessage(zone: BollardLayout['zones'][number]): AccessZone {
  return AccessZone.fromPartial({ id: zone.id, name: zone.name, timeZone: zone.timeZone });
}

export function bollardMessage(b: LayoutBollard): Bollard {
  return Bollard.fromPartial({
    id: b.id,
    zoneId: b.zoneId,
    name: b.name,
    location: b.location,
    controllerId: controllerOf(b.id),
    loopId: loopOf(b.id),
    failMode: b.failMode === 'secure' ? FailMode.FAIL_MODE_SECURE : FailMode.FAIL_MODE_SAFE,
  });
}

/** Permits are at most a year long (the service's rule): from a day ago, for 364 days. */
export function permitMessage(p: LayoutPermit, nowMs: number): Permit {
  const from = nowMs - 86_400_000;
  return Permit.fromPartial({
    credentialKind:
      p.kind === 'plate'
        ? CredentialKind.CREDENTIAL_KIND_PLATE
        : CredentialKind.CREDENTIAL_KIND_BADGE,
    credential: p.credential,
    vehicleClass: VEHICLE_CLASSES[p.vehicleClass],
    zoneIds: p.zoneIds,
    validFrom: new Date(from),
    validUntil: new Date(from + 364 * 86_400_000),
    windows: p.windows.map((w) => ({ days: w.days as Weekday[], from: w.from, to: w.to })),
    oneOff: false,
    reason: p.reason,
  });
}

/** The fleet's controllers for the file's bollards. */
export function bollardFleetSpecs(
  layout: BollardLayout,
  options: { failAfterMs?: number } = {},
): BollardSpec[] {
  return layout.bollards.map((b) => ({
    id: b.id,
    zoneId: b.zoneId,
    controllerId: controllerOf(b.id),
    failMode: b.failMode,
    ...(options.failAfterMs !== undefined ? { failAfterMs: options.failAfterMs } : {}),
  }));
}

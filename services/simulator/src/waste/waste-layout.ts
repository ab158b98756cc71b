// The demo city's waste collection as a file (demo/waste.json): the street bins that carry the
// demo's fill sensors (one bin per `bin_fill` device, its stream the device's `stream` label)
// and the collection vehicles with their depot and morning shift. The simulator seeds it into
// the waste service; the sensors themselves are devices of the device file and report through
// ingest like any other. Streams are written as operators write them (`residual`, `pmd`), daily
// times as `HH:MM`. Reading and checking it is pure.
import { fileURLToPath } from 'node:url';
import { Bin, Vehicle, WasteStream } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { greatCircleMeters } from '@slimstad/kit';
import { z } from 'zod';
import type { SimDevice } from '../domain/devices.js';
import { geoPoint, parseJsonFile } from '../json-file.js';

/** The demo city's bins and vehicles, committed with the package. */
export const DEMO_WASTE_FILE = fileURLToPath(new URL('../../demo/waste.json', import.meta.url));

/** The device type whose readings the waste service takes as fill levels. */
export const FILL_SENSOR_TYPE = 'bin_fill';

/** A bin may stand this far from the position its sensor is registered at. */
export const MAX_SENSOR_DISTANCE_M = 50;

export const STREAMS = {
  residual: WasteStream.WASTE_STREAM_RESIDUAL,
  paper: WasteStream.WASTE_STREAM_PAPER,
  glass: WasteStream.WASTE_STREAM_GLASS,
  pmd: WasteStream.WASTE_STREAM_PMD,
  organic: WasteStream.WASTE_STREAM_ORGANIC,
} as const;
export type StreamName = keyof typeof STREAMS;
const streamName = z.enum(Object.keys(STREAMS) as [StreamName, ...StreamName[]]);

/** The waste service's id rule: lower-case letters, digits and '-'. */
const id = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'must be 1-63 lower-case letters, digits or "-", starting with a letter or digit',
  );
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a local time HH:MM');
const window = z.strictObject({ from: hhmm, to: hhmm });

export const wasteLayoutSchema = z.strictObject({
  /** Free text for the reader. */
  $comment: z.union([z.string(), z.array(z.string())]).optional(),
  bins: z
    .array(
      z.strictObject({
        id,
        /** The fill sensor's registry id; default: the bin's id. */
        deviceId: z.string().min(1).optional(),
        name: z.string().trim().min(1),
        stream: streamName,
        volumeLitres: z.number().positive().max(50_000),
        location: geoPoint,
        /** When it may be emptied, local time; soft: late at a penalty, hard: never after. */
        accessWindow: window.extend({ soft: z.boolean() }).optional(),
      }),
    )
    .min(1, 'at least one bin'),
  vehicles: z
    .array(
      z.strictObject({
        id,
        name: z.string().trim().min(1),
        /** The streams it collects (at least one: the demo names them). */
        streams: z.array(streamName).min(1),
        capacityLitres: z.number().positive(),
        capacityKg: z.number().positive(),
        depot: geoPoint,
        /** Where it unloads during the shift; default: the depot. */
        unloadLocation: geoPoint.optional(),
        shift: window,
        /** Longest route; 0: the whole shift. */
        maxRouteMinutes: z.number().int().min(0).max(1440).default(0),
        serviceSeconds: z.number().int().min(1).max(3600),
        unloadSeconds: z.number().int().min(0).max(14_400),
      }),
    )
    .min(1, 'at least one vehicle'),
});

export type WasteLayout = z.infer<typeof wasteLayoutSchema>;
export type LayoutBin = WasteLayout['bins'][number];
export type LayoutVehicle = WasteLayout['vehicles'][number];

/** The file cannot be used; the message lists every problem. */
export class WasteLayoutError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`cannot use the waste file:\n  - ${problems.join('\n  - ')}`);
    this.name = 'WasteLayoutError';
  }
}

/** `HH:MM` → minutes after local midnight (`24:00` is 1440). */
export const minuteOf = (hhmm: string): number => {
  const [h = 0, m = 0] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

export const deviceOf = (bin: LayoutBin): string => bin.deviceId ?? bin.id;

/** Reads a waste file's text; throws WasteLayoutError naming each bad field. */
export function parseWasteLayout(text: string): WasteLayout {
  return parseJsonFile(text, wasteLayoutSchema, (problems) => new WasteLayoutError(problems));
}

/**
 * Every reason the file would not work in the demo city: duplicate ids or sensors, a bin whose
 * sensor is not a fill sensor of the device file, stands elsewhere or is labelled with another
 * stream, a window that ends before it starts, a stream no vehicle collects (its bins could
 * never be planned, and the service would call every one of them an overflow risk), a bin that
 * fits in no vehicle of its stream. The waste service would refuse some of these one call at a
 * time, and take the others silently; here they come at once.
 */
export function wasteLayoutProblems(
  layout: WasteLayout,
  devices: readonly Pick<SimDevice, 'id' | 'type' | 'latitude' | 'longitude' | 'labels'>[],
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
    layout.bins.map((b) => b.id),
    'bin',
  );
  duplicates(layout.bins.map(deviceOf), 'sensor');
  duplicates(
    layout.vehicles.map((v) => v.id),
    'vehicle',
  );

  const byId = new Map(devices.map((d) => [d.id, d]));
  for (const bin of layout.bins) {
    const where = `bin ${bin.id}`;
    const device = byId.get(deviceOf(bin));
    if (!device) {
      problems.push(`${where}: sensor ${deviceOf(bin)} is not a device of the device file`);
    } else if (device.type !== FILL_SENSOR_TYPE) {
      problems.push(
        `${where}: sensor ${device.id} is a ${device.type}, not a ${FILL_SENSOR_TYPE} sensor`,
      );
    } else {
      const label = device.labels?.stream;
      if (label !== undefined && label !== bin.stream)
        problems.push(
          `${where}: collects ${bin.stream}, but its sensor ${device.id} is labelled stream=${label}`,
        );
      const metres = greatCircleMeters(
        bin.location.latitude,
        bin.location.longitude,
        device.latitude,
        device.longitude,
      );
      if (metres > MAX_SENSOR_DISTANCE_M)
        problems.push(
          `${where}: stands ${Math.round(metres)} m from its sensor ${device.id} (at most ${MAX_SENSOR_DISTANCE_M})`,
        );
    }
    if (bin.accessWindow && minuteOf(bin.accessWindow.to) <= minuteOf(bin.accessWindow.from))
      problems.push(
        `${where}: its access window ends (${bin.accessWindow.to}) before it starts (${bin.accessWindow.from})`,
      );
    const fleet = layout.vehicles.filter((v) => v.streams.includes(bin.stream));
    if (fleet.length === 0) problems.push(`${where}: no vehicle collects ${bin.stream}`);
    else if (!fleet.some((v) => v.capacityLitres >= bin.volumeLitres))
      problems.push(
        `${where}: ${bin.volumeLitres} l fits in no vehicle that collects ${bin.stream} (largest ${Math.max(...fleet.map((v) => v.capacityLitres))} l)`,
      );
  }
  for (const v of layout.vehicles) {
    if (minuteOf(v.shift.to) <= minuteOf(v.shift.from))
      problems.push(
        `vehicle ${v.id}: its shift ends (${v.shift.to}) before it starts (${v.shift.from})`,
      );
    if (new Set(v.streams).size !== v.streams.length)
      problems.push(`vehicle ${v.id}: lists a stream twice`);
  }
  return problems;
}

/** Parses and checks the file against the device file; throws WasteLayoutError naming each problem. */
export function loadWasteLayout(
  text: string,
  devices: readonly Pick<SimDevice, 'id' | 'type' | 'latitude' | 'longitude' | 'labels'>[],
): WasteLayout {
  const layout = parseWasteLayout(text);
  const problems = wasteLayoutProblems(layout, devices);
  if (problems.length > 0) throw new WasteLayoutError(problems);
  return layout;
}

/** The bin as WasteService takes it (CreateBin, UpdateBin). */
export function binMessage(b: LayoutBin): Bin {
  return Bin.fromPartial({
    id: b.id,
    name: b.name,
    location: { latitude: b.location.latitude, longitude: b.location.longitude },
    volumeLitres: b.volumeLitres,
    stream: STREAMS[b.stream],
    deviceId: deviceOf(b),
    accessWindow: b.accessWindow && {
      startMinute: minuteOf(b.accessWindow.from),
      endMinute: minuteOf(b.accessWindow.to),
      soft: b.accessWindow.soft,
    },
  });
}

/** The vehicle as WasteService takes it (CreateVehicle, UpdateVehicle). */
export function vehicleMessage(v: LayoutVehicle): Vehicle {
  return Vehicle.fromPartial({
    id: v.id,
    name: v.name,
    streams: v.streams.map((s) => STREAMS[s]),
    capacityLitres: v.capacityLitres,
    capacityKg: v.capacityKg,
    depot: { latitude: v.depot.latitude, longitude: v.depot.longitude },
    unloadLocation: v.unloadLocation && {
      latitude: v.unloadLocation.latitude,
      longitude: v.unloadLocation.longitude,
    },
    shiftStartMinute: minuteOf(v.shift.from),
    shiftEndMinute: minuteOf(v.shift.to),
    maxRouteMinutes: v.maxRouteMinutes,
    serviceSeconds: v.serviceSeconds,
    unloadSeconds: v.unloadSeconds,
  });
}

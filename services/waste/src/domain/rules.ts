// Validation of bins and vehicles: every problem named with the field it concerns (snake_case
// paths as on the wire), so an operator can fix all of them in one go.
import type { FieldViolation } from '@slimstad/kit';
import {
  type AccessWindow,
  type BinSpec,
  type GeoPoint,
  type VehicleSpec,
  WASTE_STREAMS,
  type WasteStreamName,
} from './model.js';

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ID_RULE = 'must be 1-63 lower-case letters, digits or "-", starting with a letter or digit';

function geo(point: Partial<GeoPoint> | undefined, field: string, out: FieldViolation[]): void {
  if (!point) {
    out.push({ field, description: 'is required' });
    return;
  }
  const { latitude, longitude } = point;
  if (typeof latitude !== 'number' || !Number.isFinite(latitude) || latitude < -90 || latitude > 90)
    out.push({ field: `${field}.latitude`, description: 'must be within [-90, 90]' });
  if (
    typeof longitude !== 'number' ||
    !Number.isFinite(longitude) ||
    longitude < -180 ||
    longitude > 180
  )
    out.push({ field: `${field}.longitude`, description: 'must be within [-180, 180]' });
  if (latitude === 0 && longitude === 0)
    out.push({ field, description: 'is 0,0 (in the ocean): set the real location' });
}

const isStream = (s: unknown): s is WasteStreamName =>
  typeof s === 'string' && (WASTE_STREAMS as readonly string[]).includes(s);

function minuteRange(
  start: number | undefined,
  end: number | undefined,
  prefix: string,
  names: [string, string],
  out: FieldViolation[],
): void {
  if (start === undefined || !Number.isInteger(start) || start < 0 || start > 1439)
    out.push({ field: `${prefix}${names[0]}`, description: 'must be a minute of the day, 0-1439' });
  if (end === undefined || !Number.isInteger(end) || end < 1 || end > 1440)
    out.push({ field: `${prefix}${names[1]}`, description: 'must be a minute of the day, 1-1440' });
  else if (start !== undefined && end <= start)
    out.push({ field: `${prefix}${names[1]}`, description: `must be after ${names[0]}` });
}

export type BinInput = Partial<Omit<BinSpec, 'stream' | 'accessWindow'>> & {
  stream?: string;
  accessWindow?: Partial<AccessWindow>;
};

/** What is wrong with a bin; empty when it is valid. */
export function binViolations(bin: BinInput, prefix = 'bin.'): FieldViolation[] {
  const out: FieldViolation[] = [];
  if (!bin.id || !ID.test(bin.id)) out.push({ field: `${prefix}id`, description: ID_RULE });
  if (!bin.name?.trim()) out.push({ field: `${prefix}name`, description: 'is required' });
  geo(bin.location, `${prefix}location`, out);
  if (
    typeof bin.volumeLitres !== 'number' ||
    !Number.isFinite(bin.volumeLitres) ||
    bin.volumeLitres <= 0 ||
    bin.volumeLitres > 50_000
  )
    out.push({ field: `${prefix}volume_litres`, description: 'must be > 0 and at most 50000' });
  if (!isStream(bin.stream))
    out.push({
      field: `${prefix}stream`,
      description: `is required: one of ${WASTE_STREAMS.join(', ')}`,
    });
  if (!bin.deviceId || !/^[A-Za-z0-9._:-]{1,128}$/.test(bin.deviceId))
    out.push({ field: `${prefix}device_id`, description: 'must be a registry device id' });
  if (bin.accessWindow)
    minuteRange(
      bin.accessWindow.startMinute,
      bin.accessWindow.endMinute,
      `${prefix}access_window.`,
      ['start_minute', 'end_minute'],
      out,
    );
  return out;
}

export type VehicleInput = Partial<Omit<VehicleSpec, 'streams'>> & { streams?: string[] };

/** What is wrong with a vehicle; empty when it is valid. */
export function vehicleViolations(v: VehicleInput, prefix = 'vehicle.'): FieldViolation[] {
  const out: FieldViolation[] = [];
  if (!v.id || !ID.test(v.id)) out.push({ field: `${prefix}id`, description: ID_RULE });
  if (!v.name?.trim()) out.push({ field: `${prefix}name`, description: 'is required' });
  (v.streams ?? []).forEach((s, i) => {
    if (!isStream(s))
      out.push({
        field: `${prefix}streams[${i}]`,
        description: `must be one of ${WASTE_STREAMS.join(', ')}`,
      });
  });
  const positive = (value: number | undefined, field: string) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      out.push({ field: `${prefix}${field}`, description: 'must be > 0' });
  };
  positive(v.capacityLitres, 'capacity_litres');
  positive(v.capacityKg, 'capacity_kg');
  geo(v.depot, `${prefix}depot`, out);
  if (v.unloadLocation) geo(v.unloadLocation, `${prefix}unload_location`, out);
  minuteRange(
    v.shiftStartMinute,
    v.shiftEndMinute,
    prefix,
    ['shift_start_minute', 'shift_end_minute'],
    out,
  );
  if (
    v.maxRouteMinutes !== undefined &&
    (!Number.isInteger(v.maxRouteMinutes) || v.maxRouteMinutes < 0 || v.maxRouteMinutes > 1440)
  )
    out.push({ field: `${prefix}max_route_minutes`, description: 'must be 0-1440 (0: the shift)' });
  if (
    !Number.isInteger(v.serviceSeconds) ||
    (v.serviceSeconds ?? 0) <= 0 ||
    (v.serviceSeconds ?? 0) > 3600
  )
    out.push({ field: `${prefix}service_seconds`, description: 'must be 1-3600' });
  if (
    v.unloadSeconds !== undefined &&
    (!Number.isInteger(v.unloadSeconds) || v.unloadSeconds < 0 || v.unloadSeconds > 14_400)
  )
    out.push({ field: `${prefix}unload_seconds`, description: 'must be 0-14400' });
  return out;
}

// Validation of zones, bollards and permits before they are stored: every problem named by its
// field (proto snake_case paths), with what is wrong. Pure.
import { type FieldViolation, isTimeZone } from '@slimstad/kit';
import { type TimeWindow, VEHICLE_CLASSES, type VehicleClass } from './access.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const YEAR_MS = 366 * 86_400_000;
const ONE_OFF_MS = 7 * 86_400_000;

export interface PermitInput {
  identity: string;
  identityKind: 'plate' | 'badge' | undefined;
  vehicleClass: VehicleClass | undefined;
  zoneIds: readonly string[];
  validFromMs: number;
  validUntilMs: number;
  windows: readonly TimeWindow[];
  oneOff: boolean;
  reason: string;
}

function windowViolations(window: TimeWindow, field: string): FieldViolation[] {
  const problems: FieldViolation[] = [];
  if (window.days.length === 0)
    problems.push({ field: `${field}.days`, description: 'names no day' });
  window.days.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > 6) {
      problems.push({
        field: `${field}.days[${i}]`,
        description: 'must be a weekday, WEEKDAY_MONDAY to WEEKDAY_SUNDAY',
      });
    }
  });
  const from = HHMM.test(window.from);
  const to = HHMM.test(window.to);
  if (!from)
    problems.push({
      field: `${field}.from`,
      description: `must be HH:MM, not ${JSON.stringify(window.from)}`,
    });
  if (!to)
    problems.push({
      field: `${field}.to`,
      description: `must be HH:MM, not ${JSON.stringify(window.to)}`,
    });
  if (from && to && window.to <= window.from) {
    problems.push({
      field: `${field}.to`,
      description: `${window.to} is not after ${window.from}: split a window that crosses midnight in two`,
    });
  }
  return problems;
}

export function permitViolations(
  permit: PermitInput,
  knownZoneIds: ReadonlySet<string>,
): FieldViolation[] {
  const problems: FieldViolation[] = [];
  if (!permit.identity.trim())
    problems.push({
      field: 'permit.credential',
      description: 'is required: a number plate or badge id',
    });
  if (!permit.identityKind)
    problems.push({
      field: 'permit.credential_kind',
      description: 'is required: CREDENTIAL_KIND_PLATE or CREDENTIAL_KIND_BADGE',
    });
  if (!permit.vehicleClass || !VEHICLE_CLASSES.includes(permit.vehicleClass)) {
    problems.push({
      field: 'permit.vehicle_class',
      description: `is required: one of ${VEHICLE_CLASSES.join(', ')}`,
    });
  }
  if (permit.zoneIds.length === 0)
    problems.push({ field: 'permit.zone_ids', description: 'names no zone' });
  permit.zoneIds.forEach((id, i) => {
    if (!ID.test(id) || !knownZoneIds.has(id)) {
      problems.push({
        field: `permit.zone_ids[${i}]`,
        description: `zone ${JSON.stringify(id)} does not exist`,
      });
    }
  });
  if (!(permit.validUntilMs > permit.validFromMs)) {
    problems.push({ field: 'permit.valid_until', description: 'must be after valid_from' });
  } else if (permit.validUntilMs - permit.validFromMs > YEAR_MS) {
    problems.push({
      field: 'permit.valid_until',
      description: 'a permit lasts at most a year: renew it',
    });
  } else if (permit.oneOff && permit.validUntilMs - permit.validFromMs > ONE_OFF_MS) {
    problems.push({
      field: 'permit.valid_until',
      description: 'a one-off permit lasts at most 7 days',
    });
  }
  permit.windows.forEach((w, i) => {
    problems.push(...windowViolations(w, `permit.windows[${i}]`));
  });
  if (permit.vehicleClass === 'emergency' && permit.windows.length > 0) {
    problems.push({
      field: 'permit.windows',
      description: 'emergency vehicles are admitted at any time: no windows',
    });
  }
  if (!permit.reason.trim())
    problems.push({
      field: 'permit.reason',
      description: 'is required: say why, for the audit log',
    });
  return problems;
}

const token = (value: string | undefined, field: string, what: string): FieldViolation[] =>
  value && ID.test(value)
    ? []
    : [
        {
          field,
          description: `${what} must be 1-64 letters, digits, '-' or '_' (it appears in subjects), not ${JSON.stringify(value ?? '')}`,
        },
      ];

export function zoneViolations(zone: {
  id?: string;
  name?: string;
  timeZone?: string;
}): FieldViolation[] {
  const problems = token(zone.id, 'zone.id', 'the id');
  if (!zone.name?.trim()) problems.push({ field: 'zone.name', description: 'is required' });
  if (!zone.timeZone || !isTimeZone(zone.timeZone)) {
    problems.push({
      field: 'zone.time_zone',
      description: `must be an IANA time zone such as Europe/Brussels, not ${JSON.stringify(zone.timeZone ?? '')}`,
    });
  }
  return problems;
}

export function bollardViolations(bollard: {
  id?: string;
  zoneId?: string;
  name?: string;
  location?: { latitude: number; longitude: number };
  controllerId?: string;
  loopId?: string;
  failMode?: string;
}): FieldViolation[] {
  const problems = [
    ...token(bollard.id, 'bollard.id', 'the id'),
    ...token(bollard.zoneId, 'bollard.zone_id', 'the zone id'),
    ...token(bollard.controllerId, 'bollard.controller_id', 'the controller id'),
    ...token(bollard.loopId, 'bollard.loop_id', 'the loop id'),
  ];
  if (!bollard.name?.trim()) problems.push({ field: 'bollard.name', description: 'is required' });
  const at = bollard.location;
  if (!at) problems.push({ field: 'bollard.location', description: 'is required' });
  else {
    if (!(Math.abs(at.latitude) <= 90))
      problems.push({ field: 'bollard.location.latitude', description: 'must be -90 to 90' });
    if (!(Math.abs(at.longitude) <= 180))
      problems.push({ field: 'bollard.location.longitude', description: 'must be -180 to 180' });
    if (at.latitude === 0 && at.longitude === 0)
      problems.push({ field: 'bollard.location', description: 'is 0,0: set where it stands' });
  }
  if (bollard.failMode !== 'safe' && bollard.failMode !== 'secure') {
    problems.push({
      field: 'bollard.fail_mode',
      description:
        'is required: FAIL_MODE_SAFE (lowers on loss of power or service) or FAIL_MODE_SECURE (stays)',
    });
  }
  return problems;
}

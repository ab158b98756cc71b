// Validation of permits before they are stored: every problem named by its field (proto
// snake_case paths), with what is wrong. Pure.
import type { FieldViolation } from '@slimstad/kit';
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
        description: 'must be 0 (Sunday) to 6 (Saturday)',
      });
    }
  });
  const from = HHMM.test(window.from);
  const to = HHMM.test(window.to);
  if (!from)
    problems.push({
      field: `${field}.from_local_time`,
      description: `must be HH:MM, not ${JSON.stringify(window.from)}`,
    });
  if (!to)
    problems.push({
      field: `${field}.to_local_time`,
      description: `must be HH:MM, not ${JSON.stringify(window.to)}`,
    });
  if (from && to && window.to <= window.from) {
    problems.push({
      field: `${field}.to_local_time`,
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
      field: 'permit.identity',
      description: 'is required: a number plate or badge id',
    });
  if (!permit.identityKind)
    problems.push({
      field: 'permit.identity_kind',
      description: 'is required: IDENTITY_KIND_PLATE or IDENTITY_KIND_BADGE',
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

// Who may pass a bollard, and why: the decision of an access request from the permits in force,
// naming the rule that decided. Emergency vehicles are always admitted; a zone in emergency mode
// admits everyone (its bollards are down anyway); an operator may admit with a reason; anyone
// else needs a permit for the zone, valid now, inside one of its time windows. Pure: a dry run
// ("would this vehicle be admitted here now, and why?") is the same call without acting.
import { localTime } from '@slimstad/kit';

export type VehicleClass =
  | 'resident'
  | 'delivery'
  | 'taxi'
  | 'public_service'
  | 'emergency'
  | 'event';

export const VEHICLE_CLASSES: readonly VehicleClass[] = [
  'resident',
  'delivery',
  'taxi',
  'public_service',
  'emergency',
  'event',
];

/** A weekly window in local time: `days` 0 = Sunday … 6 = Saturday, `from` inclusive, `to` exclusive. */
export interface TimeWindow {
  days: readonly number[];
  /** `HH:MM`. */
  from: string;
  /** `HH:MM`, after `from` (windows do not cross midnight: split them). */
  to: string;
}

export interface Permit {
  id: string;
  /** Keyed hash of the plate or badge (see identity.ts). */
  identityHash: string;
  vehicleClass: VehicleClass;
  zoneIds: readonly string[];
  validFromMs: number;
  validUntilMs: number;
  /** Empty: any time while valid (e.g. residents). */
  windows: readonly TimeWindow[];
  /** A one-off permit (a removal, an event) is used up by its first admission. */
  oneOff: boolean;
  usedAtMs?: number;
  revokedAtMs?: number;
}

export type RequestSource = 'anpr' | 'badge' | 'intercom' | 'operator' | 'emergency_service';

export interface AccessRequest {
  zoneId: string;
  bollardId: string;
  source: RequestSource;
  at: number;
  /** Keyed hash of what was read (plate, badge); absent for an intercom call without either. */
  identityHash?: string;
  /** An emergency-service dispatch or a transponder identifies the vehicle as emergency. */
  emergency?: boolean;
  /** For operator requests: who and why (the API checks the role). */
  operator?: { subject: string; reason: string };
}

export interface AccessDecision {
  admit: boolean;
  /** The rule that decided, e.g. `emergency-vehicle`, `permit-window`, `outside-time-window`. */
  rule: string;
  /** Human-readable reason, without personal data. */
  detail: string;
  permitId?: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const minutes = (hhmm: string) => {
  const m = HHMM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
};
const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const describeWindow = (w: TimeWindow) =>
  `${w.days.map((d) => DAY_NAMES[d]).join(',')} ${w.from}-${w.to}`;

export function inWindow(window: TimeWindow, at: number, timeZone: string): boolean {
  const local = localTime(at, timeZone);
  return (
    window.days.includes(local.weekday) &&
    minutes(window.from) <= local.minuteOfDay &&
    local.minuteOfDay < minutes(window.to)
  );
}

/** Why one permit does or does not admit the request. */
function permitDecision(permit: Permit, request: AccessRequest, timeZone: string): AccessDecision {
  const deny = (rule: string, detail: string): AccessDecision => ({
    admit: false,
    rule,
    detail,
    permitId: permit.id,
  });
  if (permit.revokedAtMs !== undefined && permit.revokedAtMs <= request.at) {
    return deny('permit-revoked', `permit ${permit.id} was revoked`);
  }
  if (!permit.zoneIds.includes(request.zoneId)) {
    return deny(
      'permit-not-for-zone',
      `permit ${permit.id} is not valid in zone ${request.zoneId}`,
    );
  }
  if (request.at < permit.validFromMs) {
    return deny(
      'permit-not-yet-valid',
      `permit ${permit.id} is valid from ${new Date(permit.validFromMs).toISOString()}`,
    );
  }
  if (request.at >= permit.validUntilMs) {
    return deny(
      'permit-expired',
      `permit ${permit.id} expired at ${new Date(permit.validUntilMs).toISOString()}`,
    );
  }
  if (permit.oneOff && permit.usedAtMs !== undefined) {
    return deny(
      'permit-used',
      `one-off permit ${permit.id} was used at ${new Date(permit.usedAtMs).toISOString()}`,
    );
  }
  if (permit.windows.length > 0 && !permit.windows.some((w) => inWindow(w, request.at, timeZone))) {
    return deny(
      'outside-time-window',
      `permit ${permit.id} (${permit.vehicleClass}) admits ${permit.windows.map(describeWindow).join('; ')} only`,
    );
  }
  return {
    admit: true,
    rule: permit.windows.length > 0 ? 'permit-window' : 'permit',
    detail: `permit ${permit.id} (${permit.vehicleClass})`,
    permitId: permit.id,
  };
}

/** How close a refusal came to admitting: the one to report when several permits refuse. */
const REFUSAL_ORDER = [
  'outside-time-window',
  'permit-used',
  'permit-not-yet-valid',
  'permit-expired',
  'permit-not-for-zone',
  'permit-revoked',
];

export function decideAccess(
  request: AccessRequest,
  permits: readonly Permit[],
  zone: { timeZone: string; emergencyMode: boolean },
): AccessDecision {
  if (request.emergency || request.source === 'emergency_service') {
    return {
      admit: true,
      rule: 'emergency-vehicle',
      detail: 'emergency vehicles are always admitted',
    };
  }
  if (zone.emergencyMode) {
    return {
      admit: true,
      rule: 'zone-emergency-mode',
      detail: `zone ${request.zoneId} is in emergency mode`,
    };
  }
  if (request.source === 'operator') {
    if (!request.operator?.reason.trim()) {
      return {
        admit: false,
        rule: 'operator-reason-missing',
        detail: 'an operator admission needs a reason',
      };
    }
    return {
      admit: true,
      rule: 'operator',
      detail: `admitted by ${request.operator.subject}: ${request.operator.reason}`,
    };
  }
  if (!request.identityHash) {
    return { admit: false, rule: 'unidentified', detail: 'no plate or badge was read' };
  }
  const own = permits.filter((p) => p.identityHash === request.identityHash);
  if (own.length === 0)
    return { admit: false, rule: 'no-permit', detail: 'no permit for this vehicle or badge' };
  const decisions = own.map((p) => permitDecision(p, request, zone.timeZone));
  const admitted = decisions.find((d) => d.admit);
  if (admitted) return admitted;
  return decisions.sort(
    (a, b) => REFUSAL_ORDER.indexOf(a.rule) - REFUSAL_ORDER.indexOf(b.rule),
  )[0] as AccessDecision;
}

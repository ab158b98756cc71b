// The lighting domain's own shapes: what the pure rules decide on. The API maps them to and
// from the protobuf messages; times are ms since the epoch, levels whole percents.

export type ZoneKind = 'park' | 'street' | 'square';

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

export interface ZoneSpec {
  id: string;
  name: string;
  kind: ZoneKind;
  /** Reference point of the zone's astronomical clock. */
  location: GeoPoint;
  /** IANA time zone of the profile's local times. */
  timeZone: string;
}

export interface LampSpec {
  id: string;
  zoneId: string;
  name: string;
  location: GeoPoint;
  ratedPowerWatts: number;
  /** Lowest level the driver dims to; the lamp is off (0) or at least this. */
  minLevel: number;
  controllerId: string;
  /** Adjacent lamps along the paths (symmetric). */
  neighbourIds: readonly string[];
  /** Ingest device ids of the sensors detecting people at this lamp. */
  detectorIds: readonly string[];
}

export interface LevelSet {
  baseLevel: number;
  presenceLevel: number;
}

export interface LookAhead {
  distanceMeters: number;
  speedMetersPerSecond: number;
}

/** Which nights a curfew applies to; a night belongs to the local date of its evening. */
export type NightKind = 'all' | 'weekday' | 'weekend';

export interface CurfewRule {
  /** Local `HH:MM`; times before 12:00 are the morning after. */
  start: string;
  end: string;
  level: number;
  nights: NightKind;
  /** Evenings (`YYYY-MM-DD`) without the curfew. */
  exceptDates: readonly string[];
  /** Lamps that keep normal night behaviour during the curfew. */
  exceptLampIds: readonly string[];
}

export interface SpecialDateRule {
  /** Local date of the evening, `YYYY-MM-DD`. */
  date: string;
  level: number;
  name: string;
}

export interface EventRule {
  name: string;
  startMs: number;
  endMs: number;
  level: number;
}

export interface Profile {
  zoneId: string;
  duskOffsetMinutes: number;
  dawnOffsetMinutes: number;
  weekday: LevelSet;
  /** Friday and Saturday nights; undefined: as on weekdays. */
  weekend?: LevelSet;
  holdMs: number;
  rampUpMs: number;
  rampDownMs: number;
  pedestrian: LookAhead;
  cyclist: LookAhead;
  curfews: readonly CurfewRule[];
  specialDates: readonly SpecialDateRule[];
  events: readonly EventRule[];
  /** Level of the controllers' own night schedule when they lose the service. */
  fallbackLevel: number;
}

export interface OverrideRule {
  id: string;
  zoneId: string;
  /** Undefined: the whole zone. */
  lampId?: string;
  level: number;
  startMs: number;
  endMs: number;
  reason: string;
  createdBy: string;
  clearedAtMs?: number;
}

export type TravelMode = 'pedestrian' | 'cyclist';

/** What decided a lamp's target level (ControlSource on the wire). */
export type LevelSource = 'daylight' | 'schedule' | 'presence' | 'calendar' | 'curfew' | 'override';

/**
 * The profile a zone runs until an admin sets one: 20 % at night, full light for a minute
 * after a detection, 50 m ahead of walkers and 150 m ahead of cyclists, 50 % when cut off.
 */
export function defaultProfile(zoneId: string): Profile {
  return {
    zoneId,
    duskOffsetMinutes: 0,
    dawnOffsetMinutes: 0,
    weekday: { baseLevel: 20, presenceLevel: 100 },
    holdMs: 60_000,
    rampUpMs: 1_000,
    rampDownMs: 30_000,
    pedestrian: { distanceMeters: 50, speedMetersPerSecond: 1.4 },
    cyclist: { distanceMeters: 150, speedMetersPerSecond: 5.5 },
    curfews: [],
    specialDates: [],
    events: [],
    fallbackLevel: 50,
  };
}

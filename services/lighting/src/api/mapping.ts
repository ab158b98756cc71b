// Protobuf messages ↔ domain shapes. Missing nested messages become undefined here and are
// reported by the domain's validation with their field names.
import {
  type Curfew,
  type Lamp as LampMessage,
  type LampState,
  type LightingProfile,
  NightKind as NightKindEnum,
  type Override,
  ZoneKind,
  type Zone as ZoneMessage,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import type { LampView } from '../control/lighting-engine.js';
import { controlSource, duration, durationMs, failureReason, lampStatus } from '../control/wire.js';
import type {
  CurfewRule,
  LampSpec,
  NightKind,
  Profile,
  ZoneKind as ZoneKindName,
  ZoneSpec,
} from '../domain/model.js';
import type { StoredOverride } from '../store/override.repository.js';
import type { Versioned } from '../store/topology.repository.js';

const KINDS: Record<ZoneKindName, ZoneKind> = {
  park: ZoneKind.ZONE_KIND_PARK,
  street: ZoneKind.ZONE_KIND_STREET,
  square: ZoneKind.ZONE_KIND_SQUARE,
};
const kindName = (kind: ZoneKind): ZoneKindName | undefined =>
  (Object.entries(KINDS) as [ZoneKindName, ZoneKind][]).find(([, v]) => v === kind)?.[0];

export function zoneFromMessage(zone: ZoneMessage | undefined): Partial<ZoneSpec> {
  return {
    id: zone?.id ?? '',
    name: zone?.name ?? '',
    kind: zone ? kindName(zone.kind) : undefined,
    location: zone?.location && {
      latitude: zone.location.latitude,
      longitude: zone.location.longitude,
    },
    timeZone: zone?.timeZone || 'Europe/Brussels',
  };
}

export function zoneToMessage(zone: Versioned<ZoneSpec>): ZoneMessage {
  return {
    id: zone.value.id,
    name: zone.value.name,
    kind: KINDS[zone.value.kind],
    location: zone.value.location,
    timeZone: zone.value.timeZone,
    version: BigInt(zone.version),
    createTime: zone.createdAt,
    updateTime: zone.updatedAt,
  };
}

export function lampFromMessage(lamp: LampMessage | undefined): Partial<LampSpec> {
  return {
    id: lamp?.id ?? '',
    zoneId: lamp?.zoneId ?? '',
    name: lamp?.name || lamp?.id || '',
    location: lamp?.location && {
      latitude: lamp.location.latitude,
      longitude: lamp.location.longitude,
    },
    ratedPowerWatts: lamp?.ratedPowerWatts ?? 0,
    minLevel: lamp?.minLevel ?? 0,
    controllerId: lamp?.controllerId || lamp?.id || '',
    neighbourIds: lamp?.neighbourIds ?? [],
    detectorIds: lamp?.detectorIds ?? [],
  };
}

export function lampToMessage(lamp: Versioned<LampSpec>): LampMessage {
  return {
    ...lamp.value,
    neighbourIds: [...lamp.value.neighbourIds],
    detectorIds: [...lamp.value.detectorIds],
    version: BigInt(lamp.version),
    createTime: lamp.createdAt,
    updateTime: lamp.updatedAt,
  };
}

const NIGHTS: Record<NightKind, NightKindEnum> = {
  all: NightKindEnum.NIGHT_KIND_UNSPECIFIED,
  weekday: NightKindEnum.NIGHT_KIND_WEEKDAY,
  weekend: NightKindEnum.NIGHT_KIND_WEEKEND,
};

const curfewFromMessage = (c: Curfew): CurfewRule => ({
  start: c.startLocalTime,
  end: c.endLocalTime,
  level: c.level,
  nights:
    c.nights === NightKindEnum.NIGHT_KIND_WEEKDAY
      ? 'weekday'
      : c.nights === NightKindEnum.NIGHT_KIND_WEEKEND
        ? 'weekend'
        : 'all',
  exceptDates: [...c.exceptDates],
  exceptLampIds: [...c.exceptLampIds],
});

/** Missing required parts are returned as field names, for a clear INVALID_ARGUMENT. */
export function profileFromMessage(
  zoneId: string,
  p: LightingProfile,
): { profile: Profile; missing: string[] } {
  const missing: string[] = [];
  if (!p.weekday) missing.push('profile.weekday');
  if (!p.hold) missing.push('profile.hold');
  if (!p.pedestrian) missing.push('profile.pedestrian');
  if (!p.cyclist) missing.push('profile.cyclist');
  const lookAhead = (l: LightingProfile['pedestrian']) => ({
    distanceMeters: l?.distanceMeters ?? 0,
    speedMetersPerSecond: l?.speedMetersPerSecond ?? 0,
  });
  return {
    missing,
    profile: {
      zoneId,
      duskOffsetMinutes: p.duskOffsetMinutes,
      dawnOffsetMinutes: p.dawnOffsetMinutes,
      weekday: {
        baseLevel: p.weekday?.baseLevel ?? 0,
        presenceLevel: p.weekday?.presenceLevel ?? 0,
      },
      weekend: p.weekend && {
        baseLevel: p.weekend.baseLevel,
        presenceLevel: p.weekend.presenceLevel,
      },
      holdMs: durationMs(p.hold),
      rampUpMs: durationMs(p.rampUp),
      rampDownMs: durationMs(p.rampDown),
      pedestrian: lookAhead(p.pedestrian),
      cyclist: lookAhead(p.cyclist),
      curfews: p.curfews.map(curfewFromMessage),
      specialDates: p.specialDates.map((d) => ({ date: d.date, level: d.level, name: d.name })),
      events: p.events.map((e) => ({
        name: e.name,
        startMs: e.startTime?.getTime() ?? Number.NaN,
        endMs: e.endTime?.getTime() ?? Number.NaN,
        level: e.level,
      })),
      fallbackLevel: p.fallbackLevel,
    },
  };
}

export function profileToMessage(
  profile: Profile,
  meta: { version: number; updatedBy: string; updatedAt?: Date },
): LightingProfile {
  return {
    zoneId: profile.zoneId,
    duskOffsetMinutes: profile.duskOffsetMinutes,
    dawnOffsetMinutes: profile.dawnOffsetMinutes,
    weekday: { ...profile.weekday },
    weekend: profile.weekend && { ...profile.weekend },
    hold: duration(profile.holdMs),
    rampUp: duration(profile.rampUpMs),
    rampDown: duration(profile.rampDownMs),
    pedestrian: { ...profile.pedestrian },
    cyclist: { ...profile.cyclist },
    curfews: profile.curfews.map((c) => ({
      startLocalTime: c.start,
      endLocalTime: c.end,
      level: c.level,
      nights: NIGHTS[c.nights],
      exceptDates: [...c.exceptDates],
      exceptLampIds: [...c.exceptLampIds],
    })),
    specialDates: profile.specialDates.map((d) => ({ ...d })),
    events: profile.events.map((e) => ({
      name: e.name,
      startTime: new Date(e.startMs),
      endTime: new Date(e.endMs),
      level: e.level,
    })),
    fallbackLevel: profile.fallbackLevel,
    version: BigInt(meta.version),
    updatedBy: meta.updatedBy,
    updateTime: meta.updatedAt,
  };
}

export function overrideToMessage(o: StoredOverride): Override {
  return {
    id: o.id,
    zoneId: o.zoneId,
    lampId: o.lampId ?? '',
    level: o.level,
    startTime: new Date(o.startMs),
    endTime: new Date(o.endMs),
    reason: o.reason,
    createdBy: o.createdBy,
    clearTime: o.clearedAtMs === undefined ? undefined : new Date(o.clearedAtMs),
    clearedBy: o.clearedBy ?? '',
  };
}

export function lampStateToMessage(view: LampView, now: number): LampState {
  return {
    lampId: view.spec.id,
    zoneId: view.spec.zoneId,
    targetLevel: view.decision?.level ?? 0,
    source: view.decision ? controlSource(view.decision.source) : 0,
    commandedLevel: view.command?.level ?? 0,
    commandSequence: view.sequence,
    actualLevel: view.actualLevel ?? 0,
    acknowledged: view.command?.acknowledged ?? false,
    powerWatts: view.powerWatts ?? 0,
    status: lampStatus(view.health),
    failureReason: failureReason(view.health.reason),
    failureDetail: view.health.detail ?? '',
    presenceUntil:
      view.presenceUntil !== undefined && view.presenceUntil > now
        ? new Date(view.presenceUntil)
        : undefined,
    overrideId: view.decision?.overrideId ?? '',
    lastReportTime: view.lastReportAt === undefined ? undefined : new Date(view.lastReportAt),
  };
}

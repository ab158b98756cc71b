// The waste service's domain ↔ its protobuf messages (API responses and bus events).
import { enumFromToken, wasteStreamToken } from '@slimstad/contracts';
import {
  type AuditEntry,
  type BinFill,
  type Bin as BinMessage,
  type Plan as PlanMessage,
  type Vehicle as VehicleMessage,
  VisitStatus,
  WasteStream,
} from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import type { Selectable } from 'kysely';
import { estimateAt, type FillState, predictReach, type Slotter } from './domain/fill-model.js';
import type { WasteStreamName } from './domain/model.js';
import type { BinInput, VehicleInput } from './domain/rules.js';
import type { AuditRow } from './store/db.js';
import type { StoredPlan } from './store/plan.repository.js';
import type { StoredBin, StoredVehicle } from './store/topology.repository.js';

export const streamToWire = (s: WasteStreamName): WasteStream =>
  enumFromToken(WasteStream, 'WASTE_STREAM_', s) ?? WasteStream.WASTE_STREAM_UNSPECIFIED;

/** The stream's token, or undefined for UNSPECIFIED and unknown values. */
export const streamFromWire = (s: WasteStream): WasteStreamName | undefined =>
  s === WasteStream.WASTE_STREAM_UNSPECIFIED || WasteStream[s] === undefined
    ? undefined
    : (wasteStreamToken(s) as WasteStreamName);

export function binFromMessage(b: BinMessage | undefined): BinInput {
  return {
    id: b?.id,
    name: b?.name,
    location: b?.location && { latitude: b.location.latitude, longitude: b.location.longitude },
    volumeLitres: b?.volumeLitres,
    stream: b ? streamFromWire(b.stream) : undefined,
    deviceId: b?.deviceId || b?.id,
    accessWindow: b?.accessWindow && {
      startMinute: b.accessWindow.startMinute,
      endMinute: b.accessWindow.endMinute,
      soft: b.accessWindow.soft,
    },
  };
}

export function binToMessage(b: StoredBin): BinMessage {
  return {
    id: b.spec.id,
    name: b.spec.name,
    location: { ...b.spec.location },
    volumeLitres: b.spec.volumeLitres,
    stream: streamToWire(b.spec.stream),
    deviceId: b.spec.deviceId,
    accessWindow: b.spec.accessWindow && { ...b.spec.accessWindow },
    mustVisit: b.mustVisit,
    version: BigInt(b.version),
    createTime: b.createdAt,
  };
}

export function fillToMessage(
  bin: StoredBin,
  fill: FillState | undefined,
  now: number,
  threshold: number,
  slotOf: Slotter,
): BinFill {
  const at = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
  return {
    binId: bin.spec.id,
    stream: streamToWire(bin.spec.stream),
    measuredPercent: fill?.lastMeasured ?? 0,
    estimatedPercent: fill ? estimateAt(fill, now, slotOf) : 0,
    lastReadingTime: at(fill?.lastAt),
    ratePercentPerHour: fill?.base ?? 0,
    predictedThresholdTime: at(fill && predictReach(fill, threshold, now, slotOf)),
    predictedFullTime: at(fill && predictReach(fill, 100, now, slotOf)),
    lastEmptiedTime: at(fill?.lastEmptiedAt),
    overflowRisk: fill?.riskRaised ?? false,
    measuredKg: fill?.measuredKg,
  };
}

export function vehicleFromMessage(v: VehicleMessage | undefined): VehicleInput {
  return {
    id: v?.id,
    name: v?.name,
    streams: (v?.streams ?? []).map((s) => streamFromWire(s) ?? `unknown (${s})`),
    capacityLitres: v?.capacityLitres,
    capacityKg: v?.capacityKg,
    depot: v?.depot && { latitude: v.depot.latitude, longitude: v.depot.longitude },
    unloadLocation: v?.unloadLocation && {
      latitude: v.unloadLocation.latitude,
      longitude: v.unloadLocation.longitude,
    },
    shiftStartMinute: v?.shiftStartMinute,
    shiftEndMinute: v?.shiftEndMinute,
    maxRouteMinutes: v?.maxRouteMinutes ?? 0,
    serviceSeconds: v?.serviceSeconds,
    unloadSeconds: v?.unloadSeconds ?? 0,
  };
}

export function vehicleToMessage(v: StoredVehicle): VehicleMessage {
  const s = v.spec;
  return {
    id: s.id,
    name: s.name,
    streams: s.streams.map(streamToWire),
    capacityLitres: s.capacityLitres,
    capacityKg: s.capacityKg,
    depot: { ...s.depot },
    unloadLocation: s.unloadLocation && { ...s.unloadLocation },
    shiftStartMinute: s.shiftStartMinute,
    shiftEndMinute: s.shiftEndMinute,
    maxRouteMinutes: s.maxRouteMinutes,
    serviceSeconds: s.serviceSeconds,
    unloadSeconds: s.unloadSeconds,
    version: BigInt(v.version),
  };
}

const visitStatus = {
  planned: VisitStatus.VISIT_STATUS_PLANNED,
  emptied: VisitStatus.VISIT_STATUS_EMPTIED,
  replanned: VisitStatus.VISIT_STATUS_REPLANNED,
} as const;

export function planToMessage(p: StoredPlan): PlanMessage {
  return {
    id: p.id,
    stream: streamToWire(p.stream as WasteStreamName),
    shiftDate: p.shiftDate,
    distanceMeters: p.distanceMeters,
    matrixSource: p.matrixSource,
    replacesPlanId: p.replacesPlanId ?? '',
    createdBy: p.createdBy,
    createTime: p.createdAt,
    unassigned: p.unassigned.map((u) => ({ binId: u.binId, reason: u.reason })),
    routes: p.routes.map((r) => ({
      vehicleId: r.vehicleId,
      startTime: new Date(r.start),
      endTime: new Date(r.end),
      distanceMeters: r.distanceMeters,
      visits: r.visits.map((v) => ({
        sequence: v.sequence,
        binId: v.binId ?? '',
        unload: v.unload,
        arrivalTime: new Date(v.arrival),
        departureTime: new Date(v.departure),
        loadLitres: v.loadLitres,
        loadKg: v.loadKg,
        lateSeconds: v.lateSeconds,
        status: visitStatus[v.status],
        emptiedTime: v.emptiedAt === undefined ? undefined : new Date(v.emptiedAt),
      })),
    })),
  };
}

export function auditToMessage(row: Selectable<AuditRow>): AuditEntry {
  return {
    id: BigInt(row.id),
    time: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    detail: row.detail,
  };
}

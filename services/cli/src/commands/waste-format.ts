// How `slimstad waste …` lays out its results: bins with their fill, vehicles, due bins, plans
// and their visits, the audit; streams as tokens (`glass`), times as ISO 8601.
import {
  type AuditEntry,
  type Bin,
  type BinFill,
  type Plan,
  type Vehicle,
  VisitStatus,
  WasteStream,
} from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import type { DueBin } from '@slimstad/contracts/gen/slimstad/waste/v1/waste_service';
import type { Column } from '../output.js';
import { enumToken } from './device-args.js';
import { clockText } from './waste-args.js';

export const streamText = (s: WasteStream): string => enumToken(WasteStream, 'WASTE_STREAM_', s);
const pct = (n: number | undefined) => (n === undefined ? undefined : `${n.toFixed(0)} %`);
const km = (m: number) => `${(m / 1000).toFixed(1)} km`;

export interface BinRow {
  bin: Bin;
  fill?: BinFill;
}

export const BIN_COLUMNS: Column<BinRow>[] = [
  { header: 'id', value: (r) => r.bin.id },
  { header: 'stream', value: (r) => streamText(r.bin.stream) },
  { header: 'litres', value: (r) => r.bin.volumeLitres },
  { header: 'fill', value: (r) => pct(r.fill?.estimatedPercent) },
  {
    header: 'rate',
    value: (r) => (r.fill ? `${r.fill.ratePercentPerHour.toFixed(2)} %/h` : undefined),
  },
  { header: 'at threshold', value: (r) => r.fill?.predictedThresholdTime },
  { header: 'risk', value: (r) => (r.fill?.overflowRisk ? 'overflow' : '') },
  { header: 'must visit', value: (r) => (r.bin.mustVisit ? 'yes' : '') },
  {
    header: 'window',
    value: (r) =>
      r.bin.accessWindow &&
      `${clockText(r.bin.accessWindow.startMinute)}-${clockText(r.bin.accessWindow.endMinute)}${r.bin.accessWindow.soft ? ' (soft)' : ''}`,
  },
];

export const VEHICLE_COLUMNS: Column<Vehicle>[] = [
  { header: 'id', value: (v) => v.id },
  {
    header: 'streams',
    value: (v) => (v.streams.length ? v.streams.map(streamText).join(',') : 'all'),
  },
  { header: 'litres', value: (v) => v.capacityLitres },
  { header: 'kg', value: (v) => v.capacityKg },
  {
    header: 'shift',
    value: (v) => `${clockText(v.shiftStartMinute)}-${clockText(v.shiftEndMinute)}`,
  },
  { header: 'depot', value: (v) => v.depot && `${v.depot.latitude},${v.depot.longitude}` },
];

export const DUE_COLUMNS: Column<DueBin>[] = [
  { header: 'bin', value: (d) => d.binId },
  { header: 'reason', value: (d) => d.reason },
  { header: 'predicted', value: (d) => pct(d.predictedPercent) },
];

export const PLAN_COLUMNS: Column<Plan>[] = [
  { header: 'id', value: (p) => p.id },
  { header: 'stream', value: (p) => streamText(p.stream) },
  { header: 'shift', value: (p) => p.shiftDate },
  { header: 'routes', value: (p) => p.routes.length },
  {
    header: 'bins',
    value: (p) => p.routes.reduce((n, r) => n + r.visits.filter((v) => !v.unload).length, 0),
  },
  { header: 'unassigned', value: (p) => p.unassigned.length },
  { header: 'distance', value: (p) => km(p.distanceMeters) },
  { header: 'matrix', value: (p) => p.matrixSource },
];

export interface VisitRow {
  vehicleId: string;
  visit: Plan['routes'][number]['visits'][number];
}

const STATUS: Record<VisitStatus, string> = {
  [VisitStatus.VISIT_STATUS_UNSPECIFIED]: '',
  [VisitStatus.VISIT_STATUS_PLANNED]: 'planned',
  [VisitStatus.VISIT_STATUS_EMPTIED]: 'emptied',
  [VisitStatus.VISIT_STATUS_REPLANNED]: 'replanned',
  [VisitStatus.UNRECOGNIZED]: '?',
};

export const VISIT_COLUMNS: Column<VisitRow>[] = [
  { header: 'vehicle', value: (r) => r.vehicleId },
  { header: 'seq', value: (r) => r.visit.sequence },
  { header: 'stop', value: (r) => (r.visit.unload ? 'unload' : r.visit.binId) },
  { header: 'arrival', value: (r) => r.visit.arrivalTime },
  {
    header: 'load',
    value: (r) => `${r.visit.loadLitres.toFixed(0)} l / ${r.visit.loadKg.toFixed(0)} kg`,
  },
  { header: 'late', value: (r) => (r.visit.lateSeconds ? `${r.visit.lateSeconds} s` : '') },
  { header: 'status', value: (r) => (r.visit.unload ? '' : STATUS[r.visit.status]) },
];

export const visitRows = (plan: Plan): VisitRow[] =>
  plan.routes.flatMap((r) => r.visits.map((visit) => ({ vehicleId: r.vehicleId, visit })));

export const AUDIT_COLUMNS: Column<AuditEntry>[] = [
  { header: 'time', value: (e) => e.time },
  { header: 'actor', value: (e) => e.actor },
  { header: 'action', value: (e) => e.action },
  { header: 'target', value: (e) => e.target },
  { header: 'detail', value: (e) => e.detail },
];

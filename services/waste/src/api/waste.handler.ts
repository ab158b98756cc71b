// The WasteService gRPC API. Viewers read bins, fills, vehicles, due bins and plans; operators
// mark must-visit bins, plan and re-plan routes, confirm emptied bins and read the audit;
// admins set up bins and vehicles. Every change is validated with field-level reasons and
// written with its audit record in one transaction.
import { WasteServiceService } from '@slimstad/contracts/gen/slimstad/waste/v1/waste_service';
import {
  alreadyExists,
  defineService,
  type FieldViolation,
  invalidArgument,
  isDate,
  notFound,
  pageSize,
  pageTokens,
  type ServiceHandlers,
} from '@slimstad/kit';
import type { Kysely } from 'kysely';
import type { BinSpec, VehicleSpec, WasteStreamName } from '../domain/model.js';
import { binViolations, vehicleViolations } from '../domain/rules.js';
import { listAudit } from '../store/audit.repository.js';
import type { WasteDatabase } from '../store/db.js';
import { findPlan, listPlans } from '../store/plan.repository.js';
import {
  insertBin,
  insertVehicle,
  setMustVisit,
  updateBin,
  updateVehicle,
} from '../store/topology.repository.js';
import type { WasteEngine } from '../waste-engine.js';
import {
  auditToMessage,
  binFromMessage,
  binToMessage,
  fillToMessage,
  planToMessage,
  streamFromWire,
  vehicleFromMessage,
  vehicleToMessage,
} from '../wire.js';

type Handlers = ServiceHandlers<typeof WasteServiceService>;

const binPages = pageTokens('bin');
const vehiclePages = pageTokens('vehicle');
const planPages = pageTokens('plan');
const auditPages = pageTokens('audit');

function refuse(message: string, violations: FieldViolation[]): never {
  throw invalidArgument(
    `${message}: ${violations.map((v) => `${v.field} ${v.description}`).join('; ')}`,
    violations,
  );
}

const pgCode = (error: unknown) => (error as { code?: string }).code;

function requireStream(value: number, field = 'stream'): WasteStreamName {
  const stream = streamFromWire(value);
  if (!stream)
    refuse('a waste stream is required', [
      { field, description: 'is required: residual, paper, glass, pmd or organic' },
    ]);
  return stream;
}

export function wasteService(deps: {
  db: Kysely<WasteDatabase>;
  engine: WasteEngine;
  thresholdPercent: number;
}) {
  const { db, engine } = deps;
  const now = () => engine.now();

  const validBin = (message: Parameters<typeof binFromMessage>[0], exceptId?: string): BinSpec => {
    const input = binFromMessage(message);
    const violations = binViolations(input);
    const owner = input.deviceId ? engine.deviceTaken(input.deviceId, exceptId) : undefined;
    if (owner)
      violations.push({
        field: 'bin.device_id',
        description: `is already the sensor of bin ${owner}`,
      });
    if (violations.length > 0) refuse('invalid bin', violations);
    return input as BinSpec;
  };
  const validVehicle = (message: Parameters<typeof vehicleFromMessage>[0]): VehicleSpec => {
    const input = vehicleFromMessage(message);
    const violations = vehicleViolations(input);
    if (violations.length > 0) refuse('invalid vehicle', violations);
    return input as VehicleSpec;
  };
  const fillOf = (binId: string) => {
    const bin = engine.bin(binId);
    if (!bin) throw notFound(`bin ${binId}`);
    return fillToMessage(bin, engine.fill(binId), now(), deps.thresholdPercent, engine.slotOf);
  };
  const shiftDate = (date: string) => {
    if (!date) return engine.today();
    if (!isDate(date))
      refuse('invalid shift date', [
        { field: 'shift_date', description: 'must be a date YYYY-MM-DD' },
      ]);
    return date;
  };

  const handlers: Handlers = {
    createBin: {
      roles: ['admin'],
      async handle(request, ctx) {
        if (request.bin?.id && engine.bin(request.bin.id))
          throw alreadyExists(`bin ${request.bin.id}`);
        const spec = validBin(request.bin);
        try {
          const stored = await engine.change(
            {
              actor: ctx.principal.subject,
              action: 'bin.create',
              target: spec.id,
              detail: `${spec.stream}, ${spec.volumeLitres} l, device ${spec.deviceId}`,
            },
            (trx) => insertBin(trx, spec, new Date(now())),
          );
          engine.cacheBin(stored);
          return { bin: binToMessage(stored) };
        } catch (error) {
          if (pgCode(error) === '23505') throw alreadyExists(`bin ${spec.id} (or its device)`);
          throw error;
        }
      },
    },
    updateBin: {
      roles: ['admin'],
      async handle(request, ctx) {
        const spec = validBin(request.bin, request.bin?.id);
        if (!engine.bin(spec.id)) throw notFound(`bin ${spec.id}`);
        const stored = await engine.change(
          {
            actor: ctx.principal.subject,
            action: 'bin.update',
            target: spec.id,
            detail: `${spec.stream}, ${spec.volumeLitres} l, device ${spec.deviceId}`,
          },
          async (trx) => (await updateBin(trx, spec)) ?? Promise.reject(notFound(`bin ${spec.id}`)),
        );
        engine.cacheBin(stored);
        return { bin: binToMessage(stored) };
      },
    },
    getBin: {
      roles: ['viewer'],
      async handle(request) {
        const bin = engine.bin(request.binId);
        if (!bin) throw notFound(`bin ${request.binId}`);
        return { bin: binToMessage(bin), fill: fillOf(bin.spec.id) };
      },
    },
    listBins: {
      roles: ['viewer'],
      async handle(request) {
        const stream = streamFromWire(request.stream);
        const after = binPages.decode(request.page?.pageToken ?? '');
        const size = pageSize(request.page?.pageSize);
        const all = engine.allBins().filter((b) => !stream || b.spec.stream === stream);
        const page = all.filter((b) => after === undefined || b.spec.id > after).slice(0, size);
        const last = page[page.length - 1];
        const more = last !== undefined && all[all.length - 1]?.spec.id !== last.spec.id;
        return {
          bins: page.map(binToMessage),
          fills: page.map((b) => fillOf(b.spec.id)),
          page: { nextPageToken: more ? binPages.encode(last.spec.id) : '', totalSize: all.length },
        };
      },
    },
    setMustVisit: {
      roles: ['operator'],
      async handle(request, ctx) {
        if (!request.reason.trim())
          refuse('a reason is required', [
            { field: 'reason', description: 'is required: say why, for the audit log' },
          ]);
        if (!engine.bin(request.binId)) throw notFound(`bin ${request.binId}`);
        const stored = await engine.change(
          {
            actor: ctx.principal.subject,
            action: request.mustVisit ? 'bin.must_visit' : 'bin.must_visit_cleared',
            target: request.binId,
            detail: request.reason.trim(),
          },
          async (trx) =>
            (await setMustVisit(trx, request.binId, request.mustVisit)) ??
            Promise.reject(notFound(`bin ${request.binId}`)),
        );
        engine.cacheBin(stored);
        return { bin: binToMessage(stored) };
      },
    },
    createVehicle: {
      roles: ['admin'],
      async handle(request, ctx) {
        const spec = validVehicle(request.vehicle);
        if (engine.vehicle(spec.id)) throw alreadyExists(`vehicle ${spec.id}`);
        try {
          const stored = await engine.change(
            {
              actor: ctx.principal.subject,
              action: 'vehicle.create',
              target: spec.id,
              detail: `${spec.capacityLitres} l, ${spec.capacityKg} kg`,
            },
            (trx) => insertVehicle(trx, spec, new Date(now())),
          );
          engine.cacheVehicle(stored);
          return { vehicle: vehicleToMessage(stored) };
        } catch (error) {
          if (pgCode(error) === '23505') throw alreadyExists(`vehicle ${spec.id}`);
          throw error;
        }
      },
    },
    updateVehicle: {
      roles: ['admin'],
      async handle(request, ctx) {
        const spec = validVehicle(request.vehicle);
        if (!engine.vehicle(spec.id)) throw notFound(`vehicle ${spec.id}`);
        const stored = await engine.change(
          {
            actor: ctx.principal.subject,
            action: 'vehicle.update',
            target: spec.id,
            detail: `${spec.capacityLitres} l, ${spec.capacityKg} kg`,
          },
          async (trx) =>
            (await updateVehicle(trx, spec)) ?? Promise.reject(notFound(`vehicle ${spec.id}`)),
        );
        engine.cacheVehicle(stored);
        return { vehicle: vehicleToMessage(stored) };
      },
    },
    listVehicles: {
      roles: ['viewer'],
      async handle(request) {
        const after = vehiclePages.decode(request.page?.pageToken ?? '');
        const size = pageSize(request.page?.pageSize);
        const all = engine.allVehicles();
        const page = all.filter((v) => after === undefined || v.spec.id > after).slice(0, size);
        const last = page[page.length - 1];
        const more = last !== undefined && all[all.length - 1]?.spec.id !== last.spec.id;
        return {
          vehicles: page.map(vehicleToMessage),
          page: {
            nextPageToken: more ? vehiclePages.encode(last.spec.id) : '',
            totalSize: all.length,
          },
        };
      },
    },
    listDueBins: {
      roles: ['viewer'],
      async handle(request) {
        const stream = requireStream(request.stream);
        return { bins: engine.due(stream, shiftDate(request.shiftDate)) };
      },
    },
    planRoutes: {
      roles: ['operator'],
      async handle(request, ctx) {
        const stream = requireStream(request.stream);
        const plan = await engine.plan({
          stream,
          date: shiftDate(request.shiftDate),
          vehicleIds: request.vehicleIds,
          timeLimitMs: request.timeLimitMs,
          seed: request.seed,
          actor: ctx.principal.subject,
        });
        return { plan: planToMessage(plan) };
      },
    },
    getPlan: {
      roles: ['viewer'],
      async handle(request) {
        const plan = await findPlan(db, request.planId);
        if (!plan) throw notFound(`plan ${request.planId}`);
        return { plan: planToMessage(plan) };
      },
    },
    listPlans: {
      roles: ['viewer'],
      async handle(request) {
        const stream = streamFromWire(request.stream);
        const after = planPages.decode(request.page?.pageToken ?? '');
        const size = pageSize(request.page?.pageSize);
        const plans = await listPlans(db, stream, after, size + 1);
        const page = plans.slice(0, size);
        const last = page[page.length - 1];
        return {
          plans: page.map(planToMessage),
          page: {
            nextPageToken: plans.length > size && last ? planPages.encode(last.id) : '',
            totalSize: 0,
          },
        };
      },
    },
    recordEmptied: {
      roles: ['operator'],
      async handle(request, ctx) {
        if (!request.vehicleId)
          refuse('a vehicle is required', [{ field: 'vehicle_id', description: 'is required' }]);
        const at = request.emptiedTime?.getTime() ?? now();
        if (at > now() + 5 * 60_000)
          refuse('invalid time', [{ field: 'emptied_time', description: 'is in the future' }]);
        const planId = await engine.recordEmptied(
          request.binId,
          request.vehicleId,
          at,
          ctx.principal.subject,
        );
        return { planId: planId ?? '' };
      },
    },
    replanRemaining: {
      roles: ['operator'],
      async handle(request, ctx) {
        const plan = await engine.replan(
          request.planId,
          request.timeLimitMs,
          ctx.principal.subject,
        );
        return { plan: planToMessage(plan) };
      },
    },
    listAuditEntries: {
      roles: ['operator'],
      async handle(request) {
        const before = auditPages.decode(request.page?.pageToken ?? '');
        const size = pageSize(request.page?.pageSize);
        const rows = await listAudit(db, request.target || undefined, before, size + 1);
        const page = rows.slice(0, size);
        const last = page[page.length - 1];
        return {
          entries: page.map(auditToMessage),
          page: {
            nextPageToken: rows.length > size && last ? auditPages.encode(last.id) : '',
            totalSize: 0,
          },
        };
      },
    },
  };
  return defineService(WasteServiceService, handlers);
}

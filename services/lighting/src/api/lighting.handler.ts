// The LightingService gRPC API. Viewers read; operators override lamps and zones; admins edit
// zones, lamps and profiles. Every change is validated with field-level reasons, written with
// its audit row (who, what, why, trace) in one transaction, and applied to the control loop
// at once.
import { LightingServiceService } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting_service';
import {
  AppError,
  activeTraceId,
  alreadyExists,
  type CallContext,
  type Clock,
  defineService,
  type FieldViolation,
  failedPrecondition,
  invalidArgument,
  type Logger,
  notFound,
  pageSize,
  pageTokens,
  type ServiceHandlers,
} from '@slimstad/kit';
import type { Kysely } from 'kysely';
import type { LightingEngine } from '../control/lighting-engine.js';
import { durationMs } from '../control/wire.js';
import { isDate } from '../domain/local-time.js';
import type { LampSpec, Profile, ZoneSpec } from '../domain/model.js';
import {
  lampViolations,
  overrideViolations,
  profileViolations,
  zoneViolations,
} from '../domain/rules.js';
import { appendAudit } from '../store/audit.repository.js';
import type { LightingDatabase } from '../store/db.js';
import {
  clearOverride,
  findOverride,
  insertOverride,
  overridesInForce,
  recentOverrides,
} from '../store/override.repository.js';
import { energyByZoneAndDay } from '../store/state.repository.js';
import {
  countLamps,
  countZones,
  type Db,
  deleteLamp,
  deleteZone,
  existingLampIds,
  findLamp,
  findProfile,
  findZone,
  insertLamp,
  insertZone,
  listLamps,
  listZones,
  saveProfile,
  updateLamp,
  updateZone,
} from '../store/topology.repository.js';
import {
  lampFromMessage,
  lampStateToMessage,
  lampToMessage,
  overrideToMessage,
  profileFromMessage,
  profileToMessage,
  zoneFromMessage,
  zoneToMessage,
} from './mapping.js';

export interface LightingApiDeps {
  db: Kysely<LightingDatabase>;
  engine: Pick<LightingEngine, 'changed' | 'view' | 'flushEnergy'>;
  clock: Clock;
  log: Logger;
}

type Handlers = ServiceHandlers<typeof LightingServiceService>;

const zonePages = pageTokens('zone');
const lampPages = pageTokens('lamp');

const pgCode = (error: unknown) => (error as { code?: string }).code;

function refuse(message: string, violations: FieldViolation[]): never {
  throw invalidArgument(
    `${message}: ${violations.map((v) => `${v.field} ${v.description}`).join('; ')}`,
    violations,
  );
}

/** Profile levels that a lamp's minimum would contradict. */
function lampAgainstProfile(lamp: LampSpec, profile: Profile): FieldViolation[] {
  const levels: [string, number][] = [
    ['weekday.base_level', profile.weekday.baseLevel],
    ['weekday.presence_level', profile.weekday.presenceLevel],
    ['fallback_level', profile.fallbackLevel],
  ];
  if (profile.weekend) levels.push(['weekend.base_level', profile.weekend.baseLevel]);
  return levels
    .filter(([, level]) => level > 0 && level < lamp.minLevel)
    .map(([field, level]) => ({
      field: 'lamp.min_level',
      description: `${lamp.minLevel} % is above the zone profile's ${field} ${level} %: lower it or change the profile first`,
    }));
}

export function lightingService(deps: LightingApiDeps) {
  const { db, engine, clock } = deps;
  const now = () => new Date(clock.now());
  const audit = (
    trx: Db,
    ctx: CallContext,
    action: string,
    target: string,
    detail: Record<string, unknown>,
  ) =>
    appendAudit(trx, {
      at: new Date(),
      actor: ctx.principal.subject,
      action,
      target,
      detail,
      traceId: activeTraceId(),
    });
  const applied = () =>
    engine
      .changed()
      .catch((error) =>
        deps.log.error({ err: error }, 'could not apply a change to the control loop'),
      );

  async function requireZone(trx: Db, id: string) {
    const zone = await findZone(trx, id);
    if (!zone) throw notFound(`zone ${id}`);
    return zone;
  }

  async function checkedLamp(trx: Db, input: Partial<LampSpec>): Promise<LampSpec> {
    const neighbours = input.neighbourIds ?? [];
    const known = await existingLampIds(trx, neighbours);
    const violations = lampViolations(input, known);
    if (violations.length > 0) refuse('invalid lamp', violations);
    const lamp = input as LampSpec;
    const zone = await findZone(trx, lamp.zoneId);
    if (!zone)
      refuse('invalid lamp', [
        { field: 'lamp.zone_id', description: `zone ${lamp.zoneId} does not exist` },
      ]);
    const stored = await findProfile(trx, lamp.zoneId);
    const conflicts = lampAgainstProfile(lamp, stored.profile);
    if (conflicts.length > 0) refuse('invalid lamp', conflicts);
    return lamp;
  }

  const handlers: Handlers = {
    createZone: {
      roles: ['admin'],
      async handle(request, ctx) {
        const input = zoneFromMessage(request.zone);
        const violations = zoneViolations(input);
        if (violations.length > 0) refuse('invalid zone', violations);
        const zone = input as ZoneSpec;
        try {
          const stored = await db.transaction().execute(async (trx) => {
            const row = await insertZone(trx, zone, now());
            await audit(trx, ctx, 'zone.create', `zone:${zone.id}`, { zone });
            return row;
          });
          await applied();
          return { zone: zoneToMessage(stored) };
        } catch (error) {
          if (pgCode(error) === '23505') throw alreadyExists(`zone ${zone.id}`);
          throw error;
        }
      },
    },
    updateZone: {
      roles: ['admin'],
      async handle(request, ctx) {
        const input = zoneFromMessage(request.zone);
        const violations = zoneViolations(input);
        if (violations.length > 0) refuse('invalid zone', violations);
        const zone = input as ZoneSpec;
        const version = Number(request.zone?.version ?? 0n);
        const stored = await db.transaction().execute(async (trx) => {
          const prior = await requireZone(trx, zone.id);
          const row = await updateZone(trx, zone, version, now());
          if (!row) {
            throw new AppError(
              'ABORTED',
              `zone ${zone.id} changed since version ${version} (now ${prior.version}): read it again`,
            );
          }
          await audit(trx, ctx, 'zone.update', `zone:${zone.id}`, {
            before: prior.value,
            after: zone,
          });
          return row;
        });
        await applied();
        return { zone: zoneToMessage(stored) };
      },
    },
    deleteZone: {
      roles: ['admin'],
      async handle(request, ctx) {
        await db.transaction().execute(async (trx) => {
          await requireZone(trx, request.zoneId);
          const lamps = await countLamps(trx, request.zoneId);
          if (lamps > 0)
            throw failedPrecondition(
              `zone ${request.zoneId} still has ${lamps} lamps: move or delete them first`,
            );
          await deleteZone(trx, request.zoneId);
          await audit(trx, ctx, 'zone.delete', `zone:${request.zoneId}`, {});
        });
        await applied();
        return {};
      },
    },
    getZone: {
      roles: ['viewer'],
      async handle(request) {
        return { zone: zoneToMessage(await requireZone(db, request.zoneId)) };
      },
    },
    listZones: {
      roles: ['viewer'],
      async handle(request) {
        const size = pageSize(request.page?.pageSize);
        const rows = await listZones(db, zonePages.decode(request.page?.pageToken ?? ''), size + 1);
        const page = rows.slice(0, size);
        const last = page.at(-1);
        return {
          zones: page.map(zoneToMessage),
          page: {
            nextPageToken: rows.length > size && last ? zonePages.encode(last.value.id) : '',
            totalSize: await countZones(db),
          },
        };
      },
    },
    createLamp: {
      roles: ['admin'],
      async handle(request, ctx) {
        try {
          const stored = await db.transaction().execute(async (trx) => {
            const lamp = await checkedLamp(trx, lampFromMessage(request.lamp));
            const row = await insertLamp(trx, lamp, now());
            await audit(trx, ctx, 'lamp.create', `lamp:${lamp.id}`, { lamp });
            return row;
          });
          await applied();
          return { lamp: lampToMessage(stored) };
        } catch (error) {
          if (pgCode(error) === '23505') throw alreadyExists(`lamp ${request.lamp?.id}`);
          throw error;
        }
      },
    },
    updateLamp: {
      roles: ['admin'],
      async handle(request, ctx) {
        const version = Number(request.lamp?.version ?? 0n);
        const stored = await db.transaction().execute(async (trx) => {
          const input = lampFromMessage(request.lamp);
          const prior = await findLamp(trx, input.id ?? '');
          if (!prior) throw notFound(`lamp ${input.id}`);
          const lamp = await checkedLamp(trx, input);
          const row = await updateLamp(trx, lamp, version, now());
          if (!row) {
            throw new AppError(
              'ABORTED',
              `lamp ${lamp.id} changed since version ${version} (now ${prior.version}): read it again`,
            );
          }
          await audit(trx, ctx, 'lamp.update', `lamp:${lamp.id}`, {
            before: prior.value,
            after: lamp,
          });
          return row;
        });
        await applied();
        return { lamp: lampToMessage(stored) };
      },
    },
    deleteLamp: {
      roles: ['admin'],
      async handle(request, ctx) {
        await db.transaction().execute(async (trx) => {
          if (!(await deleteLamp(trx, request.lampId))) throw notFound(`lamp ${request.lampId}`);
          await audit(trx, ctx, 'lamp.delete', `lamp:${request.lampId}`, {});
        });
        await applied();
        return {};
      },
    },
    getLamp: {
      roles: ['viewer'],
      async handle(request) {
        const lamp = await findLamp(db, request.lampId);
        if (!lamp) throw notFound(`lamp ${request.lampId}`);
        return { lamp: lampToMessage(lamp) };
      },
    },
    listLamps: {
      roles: ['viewer'],
      async handle(request) {
        const size = pageSize(request.page?.pageSize);
        const rows = await listLamps(db, {
          zoneId: request.zoneId || undefined,
          after: lampPages.decode(request.page?.pageToken ?? ''),
          limit: size + 1,
        });
        const page = rows.slice(0, size);
        const last = page.at(-1);
        return {
          lamps: page.map(lampToMessage),
          page: {
            nextPageToken: rows.length > size && last ? lampPages.encode(last.value.id) : '',
            totalSize: await countLamps(db, request.zoneId || undefined),
          },
        };
      },
    },
    getProfile: {
      roles: ['viewer'],
      async handle(request) {
        await requireZone(db, request.zoneId);
        const stored = await findProfile(db, request.zoneId);
        return { profile: profileToMessage(stored.profile, stored) };
      },
    },
    setProfile: {
      roles: ['admin'],
      async handle(request, ctx) {
        if (!request.profile)
          refuse('invalid profile', [{ field: 'profile', description: 'is required' }]);
        const zoneId = request.profile.zoneId;
        const { profile, missing } = profileFromMessage(zoneId, request.profile);
        const stored = await db.transaction().execute(async (trx) => {
          await requireZone(trx, zoneId);
          const lamps = (await listLamps(trx, { zoneId })).map((l) => l.value);
          const violations = [
            ...missing.map((field) => ({ field, description: 'is required' })),
            ...(missing.length > 0 ? [] : profileViolations(profile, lamps)),
          ];
          if (violations.length > 0) refuse('invalid profile', violations);
          const version = Number(request.profile?.version ?? 0n);
          const prior = await findProfile(trx, zoneId);
          const saved = await saveProfile(trx, profile, version, ctx.principal.subject, now());
          if (!saved) {
            throw new AppError(
              'ABORTED',
              `the profile of zone ${zoneId} changed since version ${version} (now ${prior.version}): read it again`,
            );
          }
          await audit(trx, ctx, 'profile.set', `zone:${zoneId}`, {
            before: prior.profile,
            after: profile,
          });
          return saved;
        });
        await applied();
        return { profile: profileToMessage(stored.profile, stored) };
      },
    },
    setOverride: {
      roles: ['operator'],
      async handle(request, ctx) {
        const start = clock.now();
        const end = request.endTime
          ? request.endTime.getTime()
          : start + durationMs(request.duration);
        const violations = overrideViolations({
          level: request.level,
          startMs: start,
          endMs: end,
          reason: request.reason,
        });
        if (violations.length > 0) refuse('invalid override', violations);
        const stored = await db.transaction().execute(async (trx) => {
          await requireZone(trx, request.zoneId);
          if (request.lampId) {
            const lamp = await findLamp(trx, request.lampId);
            if (!lamp) throw notFound(`lamp ${request.lampId}`);
            if (lamp.value.zoneId !== request.zoneId) {
              refuse('invalid override', [
                {
                  field: 'lamp_id',
                  description: `lamp ${request.lampId} is in zone ${lamp.value.zoneId}, not ${request.zoneId}`,
                },
              ]);
            }
          }
          const o = await insertOverride(trx, {
            zoneId: request.zoneId,
            lampId: request.lampId || undefined,
            level: request.level,
            startMs: start,
            endMs: end,
            reason: request.reason.trim(),
            createdBy: ctx.principal.subject,
          });
          await audit(trx, ctx, 'override.set', `override:${o.id}`, {
            zoneId: o.zoneId,
            lampId: o.lampId ?? null,
            level: o.level,
            until: new Date(o.endMs).toISOString(),
            reason: o.reason,
          });
          return o;
        });
        await applied();
        return { override: overrideToMessage(stored) };
      },
    },
    clearOverride: {
      roles: ['operator'],
      async handle(request, ctx) {
        const cleared = await db.transaction().execute(async (trx) => {
          const o = await findOverride(trx, request.overrideId);
          if (!o) throw notFound(`override ${request.overrideId}`);
          if (o.clearedAtMs !== undefined)
            throw failedPrecondition(`override ${o.id} was already cleared by ${o.clearedBy}`);
          if (o.endMs <= clock.now()) throw failedPrecondition(`override ${o.id} already expired`);
          const row = await clearOverride(trx, o.id, ctx.principal.subject, now());
          if (!row) throw failedPrecondition(`override ${o.id} was cleared meanwhile`);
          await audit(trx, ctx, 'override.clear', `override:${o.id}`, {
            reason: request.reason.trim(),
          });
          return row;
        });
        await applied();
        return { override: overrideToMessage(cleared) };
      },
    },
    listOverrides: {
      roles: ['viewer'],
      async handle(request) {
        const rows = request.includeEnded
          ? await recentOverrides(db, request.zoneId || undefined, 500)
          : await overridesInForce(db, now(), request.zoneId || undefined);
        return { overrides: rows.map(overrideToMessage) };
      },
    },
    listLampStates: {
      roles: ['viewer'],
      async handle(request) {
        const at = clock.now();
        return {
          states: engine.view(request.zoneId || undefined).map((v) => lampStateToMessage(v, at)),
        };
      },
    },
    getEnergyReport: {
      roles: ['viewer'],
      async handle(request) {
        const violations: FieldViolation[] = [];
        if (!isDate(request.fromDate))
          violations.push({ field: 'from_date', description: 'must be a date YYYY-MM-DD' });
        const to = request.toDate || request.fromDate;
        if (!isDate(to))
          violations.push({ field: 'to_date', description: 'must be a date YYYY-MM-DD' });
        else if (to < request.fromDate)
          violations.push({ field: 'to_date', description: 'must not be before from_date' });
        else if (Date.parse(to) - Date.parse(request.fromDate) > 366 * 86_400_000) {
          violations.push({ field: 'to_date', description: 'at most 366 days after from_date' });
        }
        if (violations.length > 0) refuse('invalid energy report request', violations);
        await engine.flushEnergy();
        const rows = await energyByZoneAndDay(db, {
          zoneId: request.zoneId || undefined,
          from: request.fromDate,
          to,
        });
        const kwh = (wh: number) => wh / 1000;
        const saving = (used: number, baseline: number) =>
          baseline > 0 ? ((baseline - used) / baseline) * 100 : 0;
        const used = rows.reduce((s, r) => s + r.usedWh, 0);
        const baseline = rows.reduce((s, r) => s + r.baselineWh, 0);
        return {
          days: rows.map((r) => ({
            zoneId: r.zoneId,
            date: r.date,
            usedKwh: kwh(r.usedWh),
            baselineKwh: kwh(r.baselineWh),
            savedKwh: kwh(r.baselineWh - r.usedWh),
            savingPercent: saving(r.usedWh, r.baselineWh),
            nightHours: r.nightMs / 3_600_000,
            lampCount: r.lampCount,
          })),
          usedKwh: kwh(used),
          baselineKwh: kwh(baseline),
          savingPercent: saving(used, baseline),
        };
      },
    },
  };
  return defineService(LightingServiceService, handlers);
}

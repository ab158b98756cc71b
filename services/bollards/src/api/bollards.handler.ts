// The BollardService gRPC API. Viewers read zones, bollards and live status; bollard operators
// manage permits, check and grant access, set emergency mode and maintenance, and read the
// audit; admins edit zones and bollards. Every change is validated with field-level reasons and
// written with its audit record in one transaction (and, for control actions, with the commands
// it causes, through the control loop's commit).
import { randomBytes } from 'node:crypto';
import { BollardServiceService } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards_service';
import {
  AppError,
  activeTraceId,
  alreadyExists,
  type CallContext,
  type Clock,
  defineService,
  type FieldViolation,
  identityHash,
  invalidArgument,
  type Logger,
  notFound,
  pageSize,
  pageTokens,
  type ServiceHandlers,
} from '@slimstad/kit';
import type { Kysely } from 'kysely';
import type { BollardsEngine } from '../control/bollards-engine.js';
import type { Permit } from '../domain/access.js';
import type { AuditRecord, BollardSpec, ZoneSpec } from '../domain/bollard-control.js';
import { bollardViolations, permitViolations, zoneViolations } from '../domain/rules.js';
import { listAudit } from '../store/audit.repository.js';
import type { BollardsDatabase } from '../store/db.js';
import {
  countPermits,
  findPermit,
  insertPermit,
  listPermits,
  revokePermit,
} from '../store/permit.repository.js';
import {
  countBollards,
  countZones,
  type Db,
  findBollard,
  findZone,
  insertBollard,
  insertZone,
  listBollards,
  listZones,
  updateBollard,
} from '../store/topology.repository.js';
import { writeWork } from '../store/work.repository.js';
import {
  auditToMessage,
  bollardFromMessage,
  bollardToMessage,
  credentialKindOf,
  decisionToMessage,
  permitFromMessage,
  permitToMessage,
  statusToMessage,
  zoneFromMessage,
  zoneToMessage,
} from './mapping.js';

export interface BollardsApiDeps {
  db: Kysely<BollardsDatabase>;
  engine: BollardsEngine;
  clock: Clock;
  log: Logger;
  /** The municipality's secret for keyed hashes of plates and badge ids. */
  identitySecret: string;
}

type Handlers = ServiceHandlers<typeof BollardServiceService>;

const zonePages = pageTokens('zone');
const bollardPages = pageTokens('bollard');
const permitPages = pageTokens('permit');
const statusPages = pageTokens('status');
const auditPages = pageTokens('audit');

const pgCode = (error: unknown) => (error as { code?: string }).code;

function refuse(message: string, violations: FieldViolation[]): never {
  throw invalidArgument(
    `${message}: ${violations.map((v) => `${v.field} ${v.description}`).join('; ')}`,
    violations,
  );
}

function requireReason(reason: string): string {
  if (!reason.trim())
    refuse('a reason is required', [
      { field: 'reason', description: 'is required: say why, for the audit log' },
    ]);
  return reason.trim();
}

export function bollardsService(deps: BollardsApiDeps) {
  const { db, engine, clock, identitySecret } = deps;
  const now = () => new Date(clock.now());

  /** Writes an operator's change with its audit record, in the caller's transaction. */
  const audit = (trx: Db, ctx: CallContext, record: Omit<AuditRecord, 'at' | 'actor'>) =>
    writeWork(trx, engine.control, [
      {
        work: engine.control.note({ ...record, actor: ctx.principal.subject }, engine.now()),
        traceId: activeTraceId(),
      },
    ]);

  function hashOf(kind: 'plate' | 'badge' | undefined, credential: string, field: string) {
    if (!kind)
      refuse('invalid credential', [
        {
          field: `${field}_kind`,
          description: 'is required: CREDENTIAL_KIND_PLATE or CREDENTIAL_KIND_BADGE',
        },
      ]);
    try {
      return identityHash(identitySecret, kind, credential);
    } catch {
      return refuse('invalid credential', [{ field, description: `is empty once normalised` }]);
    }
  }

  function loadedBollard(id: string) {
    const b = engine.control.bollard(id);
    if (!b) throw notFound(`bollard ${id}`);
    return b;
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
            await audit(trx, ctx, {
              kind: 'zone',
              zoneId: zone.id,
              detail: `zone ${zone.name} (${zone.timeZone}) created`,
              outcome: 'create',
            });
            return row;
          });
          engine.control.putZone(stored.value, { active: false });
          return { zone: zoneToMessage(stored, engine.control) };
        } catch (error) {
          if (pgCode(error) === '23505') throw alreadyExists(`zone ${zone.id}`);
          throw error;
        }
      },
    },
    getZone: {
      roles: ['viewer'],
      async handle(request) {
        const zone = await findZone(db, request.zoneId);
        if (!zone) throw notFound(`zone ${request.zoneId}`);
        return { zone: zoneToMessage(zone, engine.control) };
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
          zones: page.map((z) => zoneToMessage(z, engine.control)),
          page: {
            nextPageToken: rows.length > size && last ? zonePages.encode(last.value.id) : '',
            totalSize: await countZones(db),
          },
        };
      },
    },
    createBollard: {
      roles: ['admin'],
      async handle(request, ctx) {
        const input = bollardFromMessage(request.bollard);
        const violations = bollardViolations(input);
        if (violations.length > 0) refuse('invalid bollard', violations);
        const bollard = input as BollardSpec;
        try {
          const stored = await db.transaction().execute(async (trx) => {
            if (!(await findZone(trx, bollard.zoneId))) {
              refuse('invalid bollard', [
                { field: 'bollard.zone_id', description: `zone ${bollard.zoneId} does not exist` },
              ]);
            }
            const row = await insertBollard(trx, bollard, now());
            await audit(trx, ctx, {
              kind: 'bollard',
              zoneId: bollard.zoneId,
              bollardId: bollard.id,
              detail: `bollard ${bollard.name} created (controller ${bollard.controllerId}, loop ${bollard.loopId}, fail-${bollard.failMode})`,
              outcome: 'create',
            });
            return row;
          });
          // Applied at once here; other replicas pick it up on their next reload.
          engine.control.putBollard(stored.value);
          return { bollard: bollardToMessage(stored) };
        } catch (error) {
          if (pgCode(error) === '23505') throw alreadyExists(`bollard ${bollard.id}`);
          throw error;
        }
      },
    },
    updateBollard: {
      roles: ['admin'],
      async handle(request, ctx) {
        const prior = await findBollard(db, request.bollard?.id ?? '');
        if (!prior) throw notFound(`bollard ${request.bollard?.id ?? ''}`);
        const input = { ...bollardFromMessage(request.bollard), zoneId: prior.value.zoneId };
        const violations = bollardViolations(input);
        if (violations.length > 0) refuse('invalid bollard', violations);
        const bollard = input as BollardSpec;
        const version = Number(request.bollard?.version ?? 0n);
        const stored = await db.transaction().execute(async (trx) => {
          const row = await updateBollard(trx, bollard, version, now());
          if (!row) {
            throw new AppError(
              'ABORTED',
              `bollard ${bollard.id} changed since version ${version} (now ${prior.version}): read it again`,
            );
          }
          await audit(trx, ctx, {
            kind: 'bollard',
            zoneId: bollard.zoneId,
            bollardId: bollard.id,
            detail: `bollard updated: ${JSON.stringify(prior.value)} → ${JSON.stringify(bollard)}`,
            outcome: 'update',
          });
          return row;
        });
        engine.control.putBollard(stored.value);
        return { bollard: bollardToMessage(stored) };
      },
    },
    getBollard: {
      roles: ['viewer'],
      async handle(request) {
        const bollard = await findBollard(db, request.bollardId);
        if (!bollard) throw notFound(`bollard ${request.bollardId}`);
        return {
          bollard: bollardToMessage(bollard),
          status: engine.control.bollard(bollard.value.id)
            ? statusToMessage(engine.control, bollard.value.id)
            : undefined,
        };
      },
    },
    listBollards: {
      roles: ['viewer'],
      async handle(request) {
        const size = pageSize(request.page?.pageSize);
        const rows = await listBollards(db, {
          zoneId: request.zoneId || undefined,
          after: bollardPages.decode(request.page?.pageToken ?? ''),
          limit: size + 1,
        });
        const page = rows.slice(0, size);
        const last = page.at(-1);
        return {
          bollards: page.map(bollardToMessage),
          page: {
            nextPageToken: rows.length > size && last ? bollardPages.encode(last.value.id) : '',
            totalSize: await countBollards(db, request.zoneId || undefined),
          },
        };
      },
    },
    createPermit: {
      roles: ['bollard-operator'],
      async handle(request, ctx) {
        const input = permitFromMessage(request.permit, clock.now());
        const zones = new Set((await listZones(db)).map((z) => z.value.id));
        const violations = permitViolations(input, zones);
        if (violations.length > 0) refuse('invalid permit', violations);
        const kind = input.identityKind as 'plate' | 'badge';
        const permit: Permit = {
          id: `p-${randomBytes(6).toString('hex')}`,
          identityHash: hashOf(kind, input.identity, 'permit.credential'),
          vehicleClass: input.vehicleClass as Permit['vehicleClass'],
          zoneIds: input.zoneIds,
          validFromMs: input.validFromMs,
          validUntilMs: input.validUntilMs,
          windows: input.windows,
          oneOff: input.oneOff,
        };
        const stored = await db.transaction().execute(async (trx) => {
          const row = await insertPermit(
            trx,
            {
              permit,
              credentialKind: kind,
              reason: input.reason,
              createdBy: ctx.principal.subject,
            },
            now(),
          );
          await audit(trx, ctx, {
            kind: 'permit',
            zoneId: permit.zoneIds.join(','),
            detail: `permit ${permit.id} (${permit.vehicleClass}, ${kind} ${permit.identityHash.slice(0, 8)}) granted: ${input.reason}`,
            outcome: 'grant',
          });
          return row;
        });
        engine.control.putPermit(stored.permit);
        return { permit: permitToMessage(stored) };
      },
    },
    revokePermit: {
      roles: ['bollard-operator'],
      async handle(request, ctx) {
        const reason = requireReason(request.reason);
        const stored = await db.transaction().execute(async (trx) => {
          const prior = await findPermit(trx, request.permitId);
          if (!prior) throw notFound(`permit ${request.permitId}`);
          const row = (await revokePermit(trx, request.permitId, reason, now())) ?? prior;
          await audit(trx, ctx, {
            kind: 'permit',
            zoneId: prior.permit.zoneIds.join(','),
            detail: `permit ${request.permitId} revoked: ${reason}`,
            outcome: 'revoke',
          });
          return row;
        });
        engine.control.putPermit(stored.permit);
        return { permit: permitToMessage(stored) };
      },
    },
    listPermits: {
      roles: ['bollard-operator'],
      async handle(request) {
        const size = pageSize(request.page?.pageSize);
        const filter = {
          zoneId: request.zoneId || undefined,
          identityHash: request.credential
            ? hashOf(credentialKindOf(request.credentialKind), request.credential, 'credential')
            : undefined,
          activeAt: request.includeInactive ? undefined : now(),
        };
        const rows = await listPermits(
          db,
          filter,
          permitPages.decode(request.page?.pageToken ?? ''),
          size + 1,
        );
        const page = rows.slice(0, size);
        const last = page.at(-1);
        return {
          permits: page.map(permitToMessage),
          page: {
            nextPageToken: rows.length > size && last ? permitPages.encode(last.permit.id) : '',
            totalSize: await countPermits(db, filter),
          },
        };
      },
    },
    checkAccess: {
      roles: ['bollard-operator'],
      async handle(request) {
        const b = loadedBollard(request.bollardId);
        const decision = engine.dryRun({
          zoneId: b.spec.zoneId,
          bollardId: b.spec.id,
          source: credentialKindOf(request.credentialKind) === 'badge' ? 'badge' : 'anpr',
          at: request.at?.getTime() ?? clock.now(),
          identityHash: request.credential
            ? hashOf(credentialKindOf(request.credentialKind), request.credential, 'credential')
            : undefined,
          emergency: request.emergency,
        });
        return { decision: decisionToMessage(decision, engine.control) };
      },
    },
    admitVehicle: {
      roles: ['bollard-operator'],
      async handle(request, ctx) {
        const reason = requireReason(request.reason);
        loadedBollard(request.bollardId);
        const decision = await engine.admitByOperator(
          request.bollardId,
          ctx.principal.subject,
          reason,
        );
        return {
          decision: decisionToMessage(decision, engine.control),
          status: statusToMessage(engine.control, request.bollardId),
        };
      },
    },
    setEmergencyMode: {
      roles: ['bollard-operator'],
      async handle(request, ctx) {
        const reason = requireReason(request.reason);
        if (!engine.control.zone(request.zoneId)) throw notFound(`zone ${request.zoneId}`);
        await engine.setEmergency(request.zoneId, request.active, reason, ctx.principal.subject);
        const zone = await findZone(db, request.zoneId);
        if (!zone) throw notFound(`zone ${request.zoneId}`);
        return { zone: zoneToMessage(zone, engine.control) };
      },
    },
    setMaintenance: {
      roles: ['bollard-operator'],
      async handle(request, ctx) {
        const reason = requireReason(request.reason);
        loadedBollard(request.bollardId);
        await engine.setMaintenance(
          request.bollardId,
          request.active,
          reason,
          ctx.principal.subject,
        );
        return { status: statusToMessage(engine.control, request.bollardId) };
      },
    },
    listBollardStatus: {
      roles: ['viewer'],
      async handle(request) {
        const size = pageSize(request.page?.pageSize);
        const after = statusPages.decode(request.page?.pageToken ?? '');
        const ids = [...engine.control.bollardIds()]
          .filter(
            (id) => !request.zoneId || engine.control.bollard(id)?.spec.zoneId === request.zoneId,
          )
          .sort();
        const from = after === undefined ? ids : ids.filter((id) => id > after);
        const page = from.slice(0, size);
        const last = page.at(-1);
        return {
          statuses: page.map((id) => statusToMessage(engine.control, id)),
          page: {
            nextPageToken: from.length > size && last ? statusPages.encode(last) : '',
            totalSize: ids.length,
          },
        };
      },
    },
    listAuditEntries: {
      roles: ['bollard-operator'],
      async handle(request) {
        const size = pageSize(request.page?.pageSize);
        const rows = await listAudit(
          db,
          {
            zoneId: request.zoneId || undefined,
            bollardId: request.bollardId || undefined,
            kind: request.kind || undefined,
            requestId: request.requestId || undefined,
          },
          auditPages.decode(request.page?.pageToken ?? ''),
          size + 1,
        );
        const page = rows.slice(0, size);
        const last = page.at(-1);
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
  return defineService(BollardServiceService, handlers);
}

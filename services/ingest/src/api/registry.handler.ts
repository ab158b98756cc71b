// The DeviceRegistryService gRPC API: operators register, change, decommission and import
// devices (each change audited with who, what and the trace); viewers read them.
import { DeviceChanged, deviceTypeToken } from '@slimstad/contracts';
import { type Device, DeviceChangeKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import {
  DeviceRegistryServiceService,
  type ImportDevicesResponse,
  ImportFormat,
  ImportOutcome,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import {
  AppError,
  activeTraceId,
  type CallContext,
  defineService,
  enqueueEvent,
  type FieldViolation,
  failedPrecondition,
  invalidArgument,
  type Logger,
  notFound,
  pageSize,
  pageTokens,
  type ServiceHandlers,
} from '@slimstad/kit';
import type { Kysely, Transaction } from 'kysely';
import {
  ImportFileError,
  networkKey,
  type ParsedRow,
  parseDeviceCsv,
  parseDeviceGeoJson,
  planImport,
} from '../domain/device-import.js';
import {
  applyUpdateMask,
  changedFields,
  describeViolations,
  deviceViolations,
  normalizeDevice,
} from '../domain/device-rules.js';
import type { IngestDatabase } from '../store/db.js';
import {
  type AuditEntry,
  appendAudit,
  type DeviceRecord,
  findDevice,
  findDevices,
  insertDevice,
  listDevices,
  markDecommissioned,
  networkHolders,
  toDevice,
  uniqueViolation,
  updateDevice,
} from '../store/device.repository.js';
import type { CachedDeviceDirectory } from '../store/device-directory.js';

export interface RegistryApiDeps {
  db: Kysely<IngestDatabase>;
  /** Publishes the DeviceChanged events each change leaves in the outbox; kicked after commit. */
  outbox?: { kick(): void };
  /** Updated at once with this replica's changes; other replicas catch up on their next poll. */
  directory: Pick<CachedDeviceDirectory, 'apply'>;
  log: Logger;
  municipalityCode?: string;
  clock?: () => Date;
}

type Handlers = ServiceHandlers<typeof DeviceRegistryServiceService>;

const devicePages = pageTokens('device');

export function registryService(deps: RegistryApiDeps) {
  const now = deps.clock ?? (() => new Date());
  const municipality = deps.municipalityCode ?? '';
  const asDevice = (row: DeviceRecord) => toDevice(row, municipality);
  const audit = (
    ctx: CallContext,
    at: Date,
    entry: Omit<AuditEntry, 'actor' | 'at' | 'traceId'>,
  ) => ({
    ...entry,
    actor: ctx.principal.subject,
    at,
    traceId: activeTraceId(),
  });

  /** The id of the active device that already holds this network identity, if not `exceptId`. */
  async function networkConflict(device: ReturnType<typeof normalizeDevice>, exceptId: string) {
    const network = device.network;
    if (!network) return undefined;
    const [holder] = await networkHolders(deps.db, [network]);
    return holder && holder.id !== exceptId ? holder.id : undefined;
  }

  /** After a commit: this replica's directory sees the change, and its events go out. */
  const committed = (devices: Device[]) => {
    deps.directory.apply(devices);
    deps.outbox?.kick();
  };

  const KIND = {
    register: DeviceChangeKind.DEVICE_CHANGE_KIND_REGISTERED,
    update: DeviceChangeKind.DEVICE_CHANGE_KIND_UPDATED,
    decommission: DeviceChangeKind.DEVICE_CHANGE_KIND_DECOMMISSIONED,
  } as const;
  /** Audits changes and leaves their DeviceChanged events in the outbox, in the caller's transaction. */
  async function record(
    trx: Transaction<IngestDatabase>,
    changes: readonly { entry: AuditEntry; row: DeviceRecord }[],
  ) {
    await appendAudit(
      trx,
      changes.map((c) => c.entry),
    );
    for (const { entry, row } of changes) {
      const device = asDevice(row);
      await enqueueEvent(
        trx as never,
        DeviceChanged,
        { type: deviceTypeToken(device.type), device: device.id },
        {
          device,
          kind: KIND[entry.action],
          changedFields: (entry.detail.changed as string[] | undefined) ?? [],
          actor: entry.actor,
          changedAt: entry.at,
        },
        'device',
      );
    }
  }

  const networkTaken = (networkId: string, holder: string) =>
    new AppError('ALREADY_EXISTS', `network id ${networkId} belongs to active device ${holder}`, [
      { field: 'device.network.network_id', description: `is used by ${holder}` },
    ]);

  const handlers: Handlers = {
    registerDevice: {
      roles: ['operator'],
      handle: async (request, ctx) => {
        if (!request.device)
          throw invalidArgument('device is required', [
            { field: 'device', description: 'is required' },
          ]);
        const device = normalizeDevice(request.device);
        const violations = deviceViolations(device);
        if (violations.length > 0) {
          throw invalidDevice(violations);
        }
        const at = now();
        let row: DeviceRecord;
        try {
          row = await deps.db.transaction().execute(async (trx) => {
            const inserted = await insertDevice(trx, device, at);
            await record(trx, [
              {
                entry: audit(ctx, at, {
                  action: 'register',
                  deviceId: device.id,
                  detail: { device: toAuditJson(inserted) },
                }),
                row: inserted,
              },
            ]);
            return inserted;
          });
        } catch (error) {
          const constraint = uniqueViolation(error);
          if (constraint === 'device_pkey') {
            throw new AppError('ALREADY_EXISTS', `device ${device.id} already exists`, [
              { field: 'device.id', description: 'is taken (ids are never reused)' },
            ]);
          }
          if (constraint === 'device_network_identity') {
            throw networkTaken(
              device.network?.networkId ?? '',
              (await networkConflict(device, device.id)) ?? 'another device',
            );
          }
          throw error;
        }
        const registered = asDevice(row);
        committed([registered]);
        ctx.log.info({ deviceId: device.id, operator: ctx.principal.subject }, 'device registered');
        return { device: registered };
      },
    },

    updateDevice: {
      roles: ['operator'],
      handle: async (request, ctx) => {
        const patch = request.device;
        if (!patch?.id)
          throw invalidArgument('device.id is required', [
            { field: 'device.id', description: 'is required' },
          ]);
        const current = await findDevice(deps.db, patch.id);
        if (!current) throw notFound(`device ${patch.id}`);
        if (current.status === 'decommissioned') {
          throw failedPrecondition(`device ${patch.id} is decommissioned and cannot change`);
        }
        const before = asDevice(current);
        const applied = applyUpdateMask(before, patch, request.updateMask ?? []);
        if ('violations' in applied) {
          const reasons = describeViolations(applied.violations);
          throw invalidArgument(`invalid update mask: ${reasons}`, applied.violations);
        }
        const after = normalizeDevice(applied.device);
        const violations = deviceViolations(after);
        if (violations.length > 0) {
          throw invalidDevice(violations);
        }
        const changed = changedFields(before, after);
        if (changed.length === 0) return { device: before };
        const conflict = changed.includes('network')
          ? await networkConflict(after, after.id)
          : undefined;
        if (conflict) throw networkTaken(after.network?.networkId ?? '', conflict);
        const at = now();
        const row = await deps.db
          .transaction()
          .execute(async (trx) => {
            const updated = await updateDevice(trx, after, current.version, at);
            if (!updated) return undefined;
            await record(trx, [
              {
                entry: audit(ctx, at, {
                  action: 'update',
                  deviceId: after.id,
                  detail: {
                    changed,
                    before: pick(toAuditJson(current), changed),
                    after: pick(toAuditJson(updated), changed),
                  },
                }),
                row: updated,
              },
            ]);
            return updated;
          })
          .catch(async (error: unknown) => {
            // Another device took the network id between the check above and this write.
            if (uniqueViolation(error) !== 'device_network_identity') throw error;
            throw networkTaken(
              after.network?.networkId ?? '',
              (await networkConflict(after, after.id)) ?? 'another device',
            );
          });
        if (!row) {
          throw new AppError(
            'ABORTED',
            `device ${after.id} was changed concurrently; read it again and retry`,
          );
        }
        const updated = asDevice(row);
        committed([updated]);
        ctx.log.info(
          { deviceId: after.id, changed, operator: ctx.principal.subject },
          'device updated',
        );
        return { device: updated };
      },
    },

    decommissionDevice: {
      roles: ['operator'],
      handle: async (request, ctx) => {
        if (!request.deviceId)
          throw invalidArgument('device_id is required', [
            { field: 'device_id', description: 'is required' },
          ]);
        if (!request.reason.trim()) {
          throw invalidArgument('say why the device is taken out of service', [
            { field: 'reason', description: 'is required, for the audit log' },
          ]);
        }
        const current = await findDevice(deps.db, request.deviceId);
        if (!current) throw notFound(`device ${request.deviceId}`);
        if (current.status === 'decommissioned') return { device: asDevice(current) };
        const at = now();
        const row = await deps.db.transaction().execute(async (trx) => {
          const updated = await markDecommissioned(trx, request.deviceId, at);
          if (updated) {
            await record(trx, [
              {
                entry: audit(ctx, at, {
                  action: 'decommission',
                  deviceId: request.deviceId,
                  detail: { reason: request.reason.trim() },
                }),
                row: updated,
              },
            ]);
          }
          return updated ?? (await findDevice(trx, request.deviceId));
        });
        if (!row) throw notFound(`device ${request.deviceId}`);
        const device = asDevice(row);
        committed([device]);
        ctx.log.info(
          { deviceId: device.id, operator: ctx.principal.subject, reason: request.reason },
          'device decommissioned',
        );
        return { device };
      },
    },

    getDevice: {
      roles: ['viewer'],
      handle: async (request) => {
        const row = request.deviceId ? await findDevice(deps.db, request.deviceId) : undefined;
        if (!row) throw notFound(`device ${request.deviceId}`);
        return { device: asDevice(row) };
      },
    },

    listDevices: {
      roles: ['viewer'],
      handle: async (request) => {
        const size = pageSize(request.page?.pageSize);
        const rows = await listDevices(deps.db, {
          type: request.type,
          zone: request.zone,
          status: request.status,
          afterId: devicePages.decode(request.page?.pageToken ?? ''),
          limit: size + 1,
        });
        const page = rows.slice(0, size);
        const last = page.at(-1);
        return {
          devices: page.map(asDevice),
          page: {
            nextPageToken: rows.length > size && last ? devicePages.encode(last.id) : '',
            totalSize: 0,
          },
        };
      },
    },

    importDevices: {
      roles: ['operator'],
      handle: async (request, ctx) => {
        const parsed = parseImport(request.format, request.content);
        // The snapshot is read and written in one serializable transaction, so a concurrent
        // registration cannot slip between the plan and its writes.
        const { response, written } = await deps.db
          .transaction()
          .setIsolationLevel('serializable')
          .execute(async (trx) => {
            const ids = parsed.flatMap((r) => (r.device ? [r.device.id] : []));
            const networks = parsed.flatMap((r) => (r.device?.network ? [r.device.network] : []));
            const existing = await findDevices(trx, ids);
            const holders = await networkHolders(trx, networks);
            const plan = planImport(parsed, {
              byId: new Map(existing.map((row) => [row.id, asDevice(row)])),
              networkOwner: new Map(holders.map((row) => [networkKey(asDevice(row)), row.id])),
            });
            const response: ImportDevicesResponse = {
              rows: plan.map((p) => ({
                row: p.row,
                deviceId: p.deviceId,
                outcome: p.outcome,
                error: p.error,
              })),
              dryRun: request.dryRun,
              createdCount: count(plan, ImportOutcome.IMPORT_OUTCOME_CREATED),
              updatedCount: count(plan, ImportOutcome.IMPORT_OUTCOME_UPDATED),
              unchangedCount: count(plan, ImportOutcome.IMPORT_OUTCOME_UNCHANGED),
              failedCount: count(plan, ImportOutcome.IMPORT_OUTCOME_FAILED),
            };
            if (request.dryRun || response.failedCount > 0) return { response, written: [] };

            const at = now();
            const versions = new Map(existing.map((row) => [row.id, row]));
            const written: DeviceRecord[] = [];
            const entries: AuditEntry[] = [];
            for (const p of plan) {
              if (!p.device) continue;
              const before = versions.get(p.device.id);
              if (p.outcome === ImportOutcome.IMPORT_OUTCOME_CREATED) {
                const row = await insertDevice(trx, p.device, at);
                written.push(row);
                entries.push(
                  audit(ctx, at, {
                    action: 'register',
                    deviceId: row.id,
                    detail: { device: toAuditJson(row), import: true },
                  }),
                );
              } else if (before) {
                const row = await updateDevice(trx, p.device, before.version, at);
                if (!row)
                  throw new AppError(
                    'ABORTED',
                    `device ${p.device.id} changed during the import; retry`,
                  );
                written.push(row);
                const changed = p.changed ?? [];
                entries.push(
                  audit(ctx, at, {
                    action: 'update',
                    deviceId: row.id,
                    detail: {
                      changed,
                      before: pick(toAuditJson(before), changed),
                      after: pick(toAuditJson(row), changed),
                      import: true,
                    },
                  }),
                );
              }
            }
            await record(
              trx,
              entries.map((entry, i) => ({ entry, row: written[i]! })),
            );
            return { response, written };
          })
          .catch((error: unknown) => {
            if ((error as { code?: unknown }).code === '40001') {
              throw new AppError('ABORTED', 'the registry changed during the import; retry', [], {
                cause: error,
              });
            }
            throw error;
          });
        // Only after the commit: a rolled-back import leaves the cache as it was.
        committed(written.map(asDevice));
        if (written.length > 0) {
          ctx.log.info(
            {
              operator: ctx.principal.subject,
              created: response.createdCount,
              updated: response.updatedCount,
            },
            'devices imported',
          );
        }
        return response;
      },
    },
  };
  return defineService(DeviceRegistryServiceService, handlers);
}

function parseImport(format: ImportFormat, content: Uint8Array): ParsedRow[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    throw invalidArgument('the file is not UTF-8', [
      { field: 'content', description: 'must be UTF-8 text' },
    ]);
  }
  try {
    if (format === ImportFormat.IMPORT_FORMAT_CSV) return parseDeviceCsv(text);
    if (format === ImportFormat.IMPORT_FORMAT_GEOJSON) return parseDeviceGeoJson(text);
  } catch (error) {
    if (error instanceof ImportFileError) {
      throw invalidArgument(error.message, [{ field: 'content', description: error.message }]);
    }
    throw error;
  }
  throw invalidArgument('choose a format', [
    { field: 'format', description: 'must be CSV or GEOJSON' },
  ]);
}

/** INVALID_ARGUMENT naming every bad field, in the message too (what a CLI user reads). */
function invalidDevice(violations: FieldViolation[]) {
  const fields = violations.map((v) => ({ ...v, field: `device.${v.field}` }));
  return invalidArgument(`invalid device: ${describeViolations(fields)}`, fields);
}

const count = (plan: readonly { outcome: ImportOutcome }[], outcome: ImportOutcome) =>
  plan.filter((p) => p.outcome === outcome).length;

/** The registration fields of a row, under the update-mask names, for audit details. */
function toAuditJson(row: DeviceRecord): Record<string, unknown> {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    location: { latitude: row.latitude, longitude: row.longitude, altitude_meters: row.altitude_m },
    zone: row.zone,
    metrics: row.metrics,
    owner_department: row.owner_department,
    classification: row.classification,
    expected_report_interval: `${row.expected_interval_s}s`,
    network: { kind: row.network_kind, network_id: row.network_id },
    labels: row.labels,
  };
}

const pick = (record: Record<string, unknown>, keys: readonly string[]) =>
  Object.fromEntries(keys.map((k) => [k, record[k]]));

// Reads and writes of the device registry. Every change is written together with its audit
// row in one transaction; the row ↔ Device mapping lives here and nowhere else.
import { deviceTypeToken, enumToken } from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  type Device,
  DeviceStatus,
  type DeviceType,
  deviceTypeFromJSON,
  NetworkKind,
  networkKindFromJSON,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { intervalSeconds } from '../domain/device-rules.js';
import type { IngestDatabase } from './db.js';
import type { DeviceAction, DeviceRow } from './device.table.js';
import type { Classification } from './reading.table.js';

type Db = Kysely<IngestDatabase> | Transaction<IngestDatabase>;
export type DeviceRecord = Selectable<DeviceRow>;

const networkKindToken = (kind: NetworkKind) => enumToken(NetworkKind, 'NETWORK_KIND_', kind);
const CLASSIFICATIONS: Record<Classification, DataClassification> = {
  public: DataClassification.DATA_CLASSIFICATION_PUBLIC,
  internal: DataClassification.DATA_CLASSIFICATION_INTERNAL,
  personal: DataClassification.DATA_CLASSIFICATION_PERSONAL,
};

export function classificationToken(value: DataClassification): Classification {
  const entry = Object.entries(CLASSIFICATIONS).find(([, v]) => v === value);
  if (!entry) throw new Error(`classification ${value} has no storage token`);
  return entry[0] as Classification;
}

export function toRow(device: Device, at: Date): Insertable<DeviceRow> {
  return {
    id: device.id,
    type: deviceTypeToken(device.type),
    name: device.name,
    latitude: device.location?.latitude ?? 0,
    longitude: device.location?.longitude ?? 0,
    altitude_m: device.location?.altitudeMeters ?? null,
    zone: device.zone,
    metrics: JSON.stringify(
      device.metrics.map((m) => ({ name: m.name, unit: m.unit, min: m.min, max: m.max })),
    ),
    owner_department: device.ownerDepartment,
    classification: classificationToken(device.classification),
    expected_interval_s: intervalSeconds(device),
    network_kind: networkKindToken(device.network?.kind ?? 0),
    network_id: device.network?.networkId ?? '',
    labels: JSON.stringify(device.labels),
    status: 'active',
    created_at: at,
    updated_at: at,
    decommissioned_at: null,
  };
}

export function toDevice(row: DeviceRecord, municipalityCode: string): Device {
  const seconds = Math.floor(row.expected_interval_s);
  return {
    id: row.id,
    type: deviceTypeFromJSON(`DEVICE_TYPE_${row.type.toUpperCase()}`),
    name: row.name,
    location: {
      latitude: row.latitude,
      longitude: row.longitude,
      altitudeMeters: row.altitude_m ?? undefined,
    },
    zone: row.zone,
    metrics: row.metrics.map((m) => ({
      name: m.name,
      unit: m.unit,
      min: m.min ?? undefined,
      max: m.max ?? undefined,
    })),
    ownerDepartment: row.owner_department,
    classification: CLASSIFICATIONS[row.classification],
    expectedReportInterval:
      row.expected_interval_s > 0
        ? {
            seconds: BigInt(seconds),
            nanos: Math.round((row.expected_interval_s - seconds) * 1e9),
          }
        : undefined,
    network: {
      kind: networkKindFromJSON(`NETWORK_KIND_${row.network_kind.toUpperCase()}`),
      networkId: row.network_id,
    },
    status:
      row.status === 'active'
        ? DeviceStatus.DEVICE_STATUS_ACTIVE
        : DeviceStatus.DEVICE_STATUS_DECOMMISSIONED,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    decommissionedAt: row.decommissioned_at ?? undefined,
    labels: row.labels,
    municipalityCode,
  };
}

export interface AuditEntry {
  actor: string;
  action: DeviceAction;
  deviceId: string;
  detail: Record<string, unknown>;
  traceId?: string | undefined;
  at: Date;
}

export async function appendAudit(db: Db, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('device_audit')
    .values(
      entries.map((e) => ({
        at: e.at,
        actor: e.actor,
        action: e.action,
        device_id: e.deviceId,
        detail: JSON.stringify(e.detail),
        trace_id: e.traceId ?? null,
      })) as never,
    )
    .execute();
}

export async function auditOf(db: Db, deviceId: string) {
  return db
    .selectFrom('device_audit')
    .selectAll()
    .where('device_id', '=', deviceId)
    .orderBy('id')
    .execute();
}

export async function findDevice(db: Db, id: string): Promise<DeviceRecord | undefined> {
  return db.selectFrom('device').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findDevices(db: Db, ids: readonly string[]): Promise<DeviceRecord[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('device').selectAll().where('id', 'in', ids).execute();
}

/** The active device holding a network identity, if any. */
export async function findByNetwork(
  db: Db,
  kind: NetworkKind,
  networkId: string,
): Promise<DeviceRecord | undefined> {
  return db
    .selectFrom('device')
    .selectAll()
    .where('network_kind', '=', networkKindToken(kind))
    .where('network_id', '=', networkId)
    .where('status', '=', 'active')
    .executeTakeFirst();
}

/** Active devices holding any of these `kind:networkId` keys (kind as its enum number). */
export async function networkHolders(
  db: Db,
  keys: readonly { kind: NetworkKind; networkId: string }[],
): Promise<DeviceRecord[]> {
  if (keys.length === 0) return [];
  return db
    .selectFrom('device')
    .selectAll()
    .where('status', '=', 'active')
    .where((eb) =>
      eb.or(
        keys.map((k) =>
          eb.and([
            eb('network_kind', '=', networkKindToken(k.kind)),
            eb('network_id', '=', k.networkId),
          ]),
        ),
      ),
    )
    .execute();
}

export interface DeviceFilter {
  type?: DeviceType | undefined;
  zone?: string | undefined;
  status?: DeviceStatus | undefined;
  afterId?: string | undefined;
  limit: number;
}

export async function listDevices(db: Db, filter: DeviceFilter): Promise<DeviceRecord[]> {
  let query = db.selectFrom('device').selectAll().orderBy('id').limit(filter.limit);
  if (filter.type) {
    query = query.where('type', '=', deviceTypeToken(filter.type));
  }
  if (filter.zone) query = query.where('zone', '=', filter.zone);
  if (filter.status === DeviceStatus.DEVICE_STATUS_ACTIVE)
    query = query.where('status', '=', 'active');
  if (filter.status === DeviceStatus.DEVICE_STATUS_DECOMMISSIONED)
    query = query.where('status', '=', 'decommissioned');
  if (filter.afterId) query = query.where('id', '>', filter.afterId);
  return query.execute();
}

export async function insertDevice(db: Db, device: Device, at: Date): Promise<DeviceRecord> {
  return db.insertInto('device').values(toRow(device, at)).returningAll().executeTakeFirstOrThrow();
}

/**
 * Writes the registration fields of `device` if the stored row is still at `version`
 * (optimistic concurrency); undefined when someone else changed it first.
 */
export async function updateDevice(
  db: Db,
  device: Device,
  version: number,
  at: Date,
): Promise<DeviceRecord | undefined> {
  const {
    id: _id,
    created_at: _c,
    status: _s,
    decommissioned_at: _d,
    ...fields
  } = toRow(device, at);
  return db
    .updateTable('device')
    .set({ ...fields, version: sql<number>`version + 1` as never })
    .where('id', '=', device.id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();
}

export async function markDecommissioned(
  db: Db,
  id: string,
  at: Date,
): Promise<DeviceRecord | undefined> {
  return db
    .updateTable('device')
    .set({
      status: 'decommissioned',
      decommissioned_at: at,
      updated_at: at,
      version: sql<number>`version + 1` as never,
    })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .returningAll()
    .executeTakeFirst();
}

/** Devices changed at or after `since` (all when undefined), for the directory cache. */
export async function devicesChangedSince(
  db: Db,
  since: Date | undefined,
): Promise<DeviceRecord[]> {
  let query = db.selectFrom('device').selectAll().orderBy('updated_at');
  if (since) query = query.where('updated_at', '>=', since);
  return query.execute();
}

/** The Postgres unique-violation code, and which constraint a violation hit. */
export function uniqueViolation(error: unknown): string | undefined {
  const e = error as { code?: unknown; constraint?: unknown };
  return e?.code === '23505' && typeof e.constraint === 'string' ? e.constraint : undefined;
}

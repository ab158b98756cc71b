// What alerting knows of devices (learnt from ingest's registry events) and the registry of
// resource points (sandbag distribution points, shelters) that public warnings name.
import { sql } from 'kysely';
import type { Tx } from './db.js';

export interface DeviceRow {
  id: string;
  type: string;
  zone: string;
  department: string;
  labels: Record<string, string>;
  latitude: number | null;
  longitude: number | null;
  expected_interval_ms: bigint;
}

export async function upsertDevice(
  trx: Tx,
  d: Omit<DeviceRow, 'expected_interval_ms'> & { expected_interval_ms: number },
): Promise<void> {
  await sql`
    insert into device (id, type, zone, department, labels, latitude, longitude, expected_interval_ms, updated_at)
    values (${d.id}, ${d.type}, ${d.zone}, ${d.department}, ${JSON.stringify(d.labels)}, ${d.latitude}, ${d.longitude}, ${d.expected_interval_ms}, now())
    on conflict (id) do update set type = excluded.type, zone = excluded.zone, department = excluded.department,
      labels = excluded.labels, latitude = excluded.latitude, longitude = excluded.longitude,
      expected_interval_ms = excluded.expected_interval_ms, updated_at = now()`.execute(trx);
}

export async function deleteDevice(trx: Tx, id: string): Promise<void> {
  await sql`delete from device where id = ${id}`.execute(trx);
}

export async function allDevices(trx: Tx): Promise<DeviceRow[]> {
  const { rows } = await sql<DeviceRow>`select * from device`.execute(trx);
  return rows;
}

export interface ResourcePointRow {
  id: string;
  kind: string;
  name: string;
  latitude: number;
  longitude: number;
  address: string;
  zone: string;
  note: string;
}

export async function putResourcePoint(
  trx: Tx,
  p: ResourcePointRow,
  actor: string,
): Promise<ResourcePointRow> {
  const { rows } = await sql<ResourcePointRow>`
    insert into resource_point (id, kind, name, latitude, longitude, address, zone, note, updated_by)
    values (${p.id}, ${p.kind}, ${p.name}, ${p.latitude}, ${p.longitude}, ${p.address}, ${p.zone}, ${p.note}, ${actor})
    on conflict (id) do update set kind = excluded.kind, name = excluded.name, latitude = excluded.latitude,
      longitude = excluded.longitude, address = excluded.address, zone = excluded.zone, note = excluded.note,
      updated_by = excluded.updated_by, updated_at = now()
    returning id, kind, name, latitude, longitude, address, zone, note`.execute(trx);
  return rows[0] as ResourcePointRow;
}

export async function deleteResourcePoint(trx: Tx, id: string): Promise<boolean> {
  const r = await sql`delete from resource_point where id = ${id}`.execute(trx);
  return Number(r.numAffectedRows ?? 0n) > 0;
}

export async function listResourcePoints(trx: Tx, kind?: string): Promise<ResourcePointRow[]> {
  const { rows } = await sql<ResourcePointRow>`
    select id, kind, name, latitude, longitude, address, zone, note from resource_point
    where ${kind ?? ''} = '' or kind = ${kind ?? ''} order by id`.execute(trx);
  return rows;
}

/** Appends to the audit of control actions (rules, silences, resource points). */
export async function audit(
  trx: Tx,
  actor: string,
  action: string,
  target: string,
  detail: unknown = {},
): Promise<void> {
  await sql`insert into audit (actor, action, target, detail) values (${actor}, ${action}, ${target}, ${JSON.stringify(detail)})`.execute(
    trx,
  );
}

/** The XML of one published CAP message. */
export async function capXml(trx: Tx, identifier: string): Promise<string | undefined> {
  const { rows } = await sql<{
    xml: string;
  }>`select xml from cap_message where identifier = ${identifier}`.execute(trx);
  return rows[0]?.xml;
}

/**
 * The feed's messages: the latest message of every alert still open, and of alerts resolved
 * within `recentMs` (their Cancel), newest first.
 */
export async function currentCapXml(
  trx: Tx,
  now: number,
  recentMs: number,
  limit = 200,
): Promise<string[]> {
  const { rows } = await sql<{ xml: string; sent_at: Date }>`
    select distinct on (m.alert_id) m.xml, m.sent_at from cap_message m join alert a on a.id = m.alert_id
    where a.state <> 'resolved' or a.ended_at > ${new Date(now - recentMs)}
    order by m.alert_id, m.id desc`.execute(trx);
  return rows
    .sort((a, b) => b.sent_at.getTime() - a.sent_at.getTime())
    .slice(0, limit)
    .map((r) => r.xml);
}

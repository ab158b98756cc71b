// Silences: label matchers muting notifications between a start and an end.
import { sql } from 'kysely';
import type { LabelMatcher } from '../domain/labels.js';
import type { Tx } from './db.js';

export interface SilenceRow {
  id: string;
  matchers: LabelMatcher[];
  starts_at: Date;
  ends_at: Date;
  created_by: string;
  comment: string;
  expired_at: Date | null;
}

export async function insertSilence(
  trx: Tx,
  s: {
    matchers: LabelMatcher[];
    startsAt: number;
    endsAt: number;
    createdBy: string;
    comment: string;
  },
): Promise<SilenceRow> {
  const { rows } = await sql<SilenceRow>`
    insert into silence (matchers, starts_at, ends_at, created_by, comment)
    values (${JSON.stringify(s.matchers)}, ${new Date(s.startsAt)}, ${new Date(s.endsAt)}, ${s.createdBy}, ${s.comment})
    returning *`.execute(trx);
  return rows[0] as SilenceRow;
}

/** Silences not yet ended at `now` (active or pending), or all of them. */
export async function listSilences(
  trx: Tx,
  now: number,
  includeExpired: boolean,
): Promise<SilenceRow[]> {
  const { rows } = await sql<SilenceRow>`
    select * from silence where ${includeExpired} or ends_at > ${new Date(now)}
    order by starts_at desc, id`.execute(trx);
  return rows;
}

/** Ends a silence at `now` (an early end is recorded in `expired_at`). */
export async function expireSilence(
  trx: Tx,
  id: string,
  now: number,
): Promise<SilenceRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await sql<SilenceRow>`
    update silence set expired_at = ${new Date(now)}, ends_at = least(ends_at, ${new Date(now)})
    where id = ${id} returning *`.execute(trx);
  return rows[0];
}

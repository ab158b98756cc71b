// The alerting schema is queried with Kysely's `sql` templates (upserts, `for update skip
// locked`, partial unique indexes); rows are typed where they are read.
import type { Kysely, Transaction } from 'kysely';

export type AlertingDatabase = Record<string, never>;
export type Db = Kysely<AlertingDatabase>;
export type Tx = Transaction<AlertingDatabase> | Db;

// Every migration of the bollards schema, in order. Names are `<YYYYMMDDHHMMSS>_<intent>`.
import type { Migrations } from '@slimstad/kit';
import * as bollards from './20261125000000_bollards.js';

export const migrations: Migrations = {
  '20261125000000_bollards': bollards,
};

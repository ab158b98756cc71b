// Every migration of the federation schema, in order. Names are `<YYYYMMDDHHMMSS>_<intent>`.
import type { Migrations } from '@slimstad/kit';
import * as federation from './20261203000000_federation.js';

export const migrations: Migrations = {
  '20261203000000_federation': federation,
};

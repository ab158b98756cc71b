// Every migration of the lighting schema, in order. Names are `<YYYYMMDDHHMMSS>_<intent>`.
import type { Migrations } from '@slimstad/kit';
import * as lighting from './20261124000000_lighting.js';

export const migrations: Migrations = {
  '20261124000000_lighting': lighting,
};

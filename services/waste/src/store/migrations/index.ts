// Every migration of the waste schema, in order. Names are `<YYYYMMDDHHMMSS>_<intent>`.
import type { Migrations } from '@slimstad/kit';
import * as waste from './20261203000000_waste.js';

export const migrations: Migrations = {
  '20261203000000_waste': waste,
};

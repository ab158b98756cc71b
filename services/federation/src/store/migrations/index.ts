// Every migration of the federation schema, in order. Names are `<YYYYMMDDHHMMSS>_<intent>`.
import type { Migrations } from '@slimstad/kit';
import * as federation from './20261203000000_federation.js';
import * as shareWindows from './20261210000000_share_windows.js';

export const migrations: Migrations = {
  '20261203000000_federation': federation,
  '20261210000000_share_windows': shareWindows,
};

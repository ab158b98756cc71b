// Every migration of the ingest schema, in order. Names are `<YYYYMMDDHHMMSS>_<intent>`.
import type { Migrations } from '@slimstad/kit';
import * as deviceRegistry from './20261123000000_device_registry.js';
import * as readings from './20261123000100_readings.js';
import * as outbox from './20261123000200_outbox.js';

export const migrations: Migrations = {
  '20261123000000_device_registry': deviceRegistry,
  '20261123000100_readings': readings,
  '20261123000200_outbox': outbox,
};

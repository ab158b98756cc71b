// Every migration of the alerting schema, in order. Names are `<YYYYMMDDHHMMSS>_<intent>`.
import type { Migrations } from '@slimstad/kit';
import * as alerting from './20261203000000_alerting.js';
import * as notificationTrace from './20261203143000_notification_trace.js';

export const migrations: Migrations = {
  '20261203000000_alerting': alerting,
  '20261203143000_notification_trace': notificationTrace,
};

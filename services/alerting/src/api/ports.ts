// What the API needs from the public-warning module: nearest resource points to a place.

import type { ResourcePoint } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import type { NearbyResourcePoint } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting_service';
import type { GeoPoint } from '@slimstad/contracts/gen/slimstad/common/v1/common';

export type NearestPoints = (
  points: ResourcePoint[],
  from: GeoPoint,
  count: number,
) => NearbyResourcePoint[];

/** Downsampled recorded readings of one device metric (ingest's QueryReadings). */
export type FetchReadings = (query: {
  deviceId: string;
  metric: string;
  start: Date;
  end: Date;
  bucketMs: number;
}) => Promise<{ time: number; avg: number; min: number; max: number; count: number }[]>;

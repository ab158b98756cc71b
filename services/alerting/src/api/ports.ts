// What the API needs from the public-warning module: nearest resource points to a place.

import type { ResourcePoint } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import type { NearbyResourcePoint } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting_service';
import type { GeoPoint } from '@slimstad/contracts/gen/slimstad/common/v1/common';

export type NearestPoints = (
  points: ResourcePoint[],
  from: GeoPoint,
  count: number,
) => NearbyResourcePoint[];

// The API's nearest-point search over the registry, by cap/'s great-circle distance.
import { nearestResourcePoints } from '../cap/index.js';
import type { NearestPoints } from './ports.js';

export const nearestPoints: NearestPoints = (points, from, count) =>
  nearestResourcePoints(
    { lat: from.latitude, lon: from.longitude },
    points.map((p) => ({
      id: p.id,
      name: p.name,
      kind: p.kind,
      lat: p.location?.latitude ?? 0,
      lon: p.location?.longitude ?? 0,
      source: p,
    })),
    { k: count },
  ).map((n) => ({
    point: (n.point as unknown as { source: (typeof points)[number] }).source,
    distanceMeters: n.distanceKm * 1000,
  }));

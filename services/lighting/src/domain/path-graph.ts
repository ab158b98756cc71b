// The paths between lamps: an undirected graph whose edges join neighbouring lamps, weighted
// by the distance between them. Look-ahead walks it to find the lamps a person will reach. Pure.
import { greatCircleMeters } from '@slimstad/kit';
import type { GeoPoint, LampSpec } from './model.js';

/** Great-circle distance in metres (haversine, the kit's). */
export function distanceMeters(a: GeoPoint, b: GeoPoint): number {
  return greatCircleMeters(a.latitude, a.longitude, b.latitude, b.longitude);
}

export class PathGraph {
  private readonly edges = new Map<string, { to: string; meters: number }[]>();

  /** Builds the graph; neighbours naming unknown lamps are ignored (the API refuses them). */
  constructor(lamps: Iterable<Pick<LampSpec, 'id' | 'location' | 'neighbourIds'>>) {
    const byId = new Map<string, Pick<LampSpec, 'id' | 'location' | 'neighbourIds'>>();
    for (const lamp of lamps) byId.set(lamp.id, lamp);
    const seen = new Set<string>();
    for (const lamp of byId.values()) {
      if (!this.edges.has(lamp.id)) this.edges.set(lamp.id, []);
      for (const other of lamp.neighbourIds) {
        const neighbour = byId.get(other);
        if (!neighbour || other === lamp.id) continue;
        const key = lamp.id < other ? `${lamp.id}|${other}` : `${other}|${lamp.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const meters = distanceMeters(lamp.location, neighbour.location);
        this.edge(lamp.id).push({ to: other, meters });
        this.edge(other).push({ to: lamp.id, meters });
      }
    }
  }

  private edge(id: string) {
    let list = this.edges.get(id);
    if (!list) {
      list = [];
      this.edges.set(id, list);
    }
    return list;
  }

  neighbours(id: string): readonly { to: string; meters: number }[] {
    return this.edges.get(id) ?? [];
  }

  /**
   * Every lamp within `maxMeters` of `start` along the paths, with its path distance
   * (Dijkstra; `start` itself at 0), optionally not through the neighbour `notVia`. The
   * graphs are a few thousand lamps at most and the radius
   * a few hundred metres, so a sorted frontier is plenty.
   */
  within(start: string, maxMeters: number, notVia?: string): Map<string, number> {
    const found = new Map<string, number>();
    if (!this.edges.has(start)) return found;
    // Never back through `notVia`, where the person came from.
    if (notVia !== undefined) found.set(notVia, Number.NaN);
    const frontier: [string, number][] = [[start, 0]];
    const best = new Map<string, number>([[start, 0]]);
    while (frontier.length > 0) {
      frontier.sort((a, b) => b[1] - a[1]);
      const [id, d] = frontier.pop() as [string, number];
      if (found.has(id)) continue;
      found.set(id, d);
      for (const { to, meters } of this.neighbours(id)) {
        const next = d + meters;
        if (next > maxMeters || found.has(to)) continue;
        if (next < (best.get(to) ?? Number.POSITIVE_INFINITY)) {
          best.set(to, next);
          frontier.push([to, next]);
        }
      }
    }
    if (notVia !== undefined && Number.isNaN(found.get(notVia))) found.delete(notVia);
    return found;
  }
}

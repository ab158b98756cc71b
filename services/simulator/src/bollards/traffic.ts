// The vehicles that arrive at the demo city's bollards, planned on the city clock: delivery
// vans Monday to Saturday around the morning window (a few early or late ones, which the
// service refuses), residents with badges by day and a few at night, cars without a permit
// (refused), and now and then a fire engine (admitted at once, the whole zone down). Pure: a
// seeded random stream and the clock's times in, a list of arrivals out.
import { localTime } from '@slimstad/kit';
import type { Random } from '../domain/random.js';
import type { BollardLayout } from './bollard-layout.js';

export type VehicleKind = 'delivery' | 'resident' | 'stranger' | 'fire_engine';
export const VEHICLE_KINDS: readonly VehicleKind[] = [
  'delivery',
  'resident',
  'stranger',
  'fire_engine',
];

export interface PlannedVehicle {
  /** When it reaches the bollard, city clock ms. */
  atMs: number;
  kind: VehicleKind;
  zoneId: string;
  bollardId: string;
  /** What the camera reads (deliveries, strangers). */
  plate?: string;
  /** What the badge reader reads (residents). */
  badge?: string;
  /** A fire engine: the dispatch link flags it. */
  emergency?: boolean;
}

const MINUTE = 60_000;
/** Delivery vans come from half an hour before the window to half an hour after it. */
const DELIVERY_FROM = 5 * 60 + 30;
const DELIVERY_TO = 11 * 60 + 30;

/** Arrivals per minute of one kind in one zone at this local time. */
export function ratePerMinute(
  kind: Exclude<VehicleKind, 'fire_engine'>,
  traffic: BollardLayout['traffic'],
  weekday: number,
  minuteOfDay: number,
): number {
  switch (kind) {
    case 'delivery':
      return weekday !== 0 && minuteOfDay >= DELIVERY_FROM && minuteOfDay < DELIVERY_TO
        ? traffic.deliveriesPerHour / 60
        : 0;
    case 'resident':
      return minuteOfDay >= 7 * 60 && minuteOfDay < 23 * 60
        ? traffic.residentsPerHour / 60
        : traffic.residentsPerHour / 240;
    case 'stranger':
      return minuteOfDay >= 8 * 60 && minuteOfDay < 22 * 60 ? traffic.strangersPerHour / 60 : 0;
  }
}

const LETTERS = 'ABCDEFGHJKLMNPRSTVWXYZ';
/** A Belgian-looking plate (`1-ABC-123`) that no permit names. */
function strangerPlate(random: Random, permitted: ReadonlySet<string>): string {
  for (;;) {
    const letters = Array.from(
      { length: 3 },
      () => LETTERS[Math.floor(random.next() * LETTERS.length)],
    ).join('');
    const plate = `${1 + Math.floor(random.next() * 2)}-${letters}-${String(
      Math.floor(random.next() * 1000),
    ).padStart(3, '0')}`;
    if (!permitted.has(plate)) return plate;
  }
}

const pick = <T>(random: Random, items: readonly T[]): T | undefined =>
  items[Math.floor(random.next() * items.length)];

/**
 * The vehicles arriving in clock minutes that start in [fromMs, toMs), sorted by time. Each
 * minute draws once per zone and kind (a Bernoulli trial per minute: a Poisson process at these
 * rates), so consecutive windows plan the same as one long one.
 */
export function planTraffic(
  layout: BollardLayout,
  fromMs: number,
  toMs: number,
  random: Random,
): PlannedVehicle[] {
  const { traffic } = layout;
  const plates = new Set(layout.permits.filter((p) => p.kind === 'plate').map((p) => p.credential));
  const byZone = new Map(
    layout.zones.map((z) => {
      const permits = layout.permits.filter((p) => p.zoneIds.includes(z.id));
      return [
        z.id,
        {
          timeZone: z.timeZone,
          bollards: layout.bollards.filter((b) => b.zoneId === z.id).map((b) => b.id),
          vans: permits
            .filter((p) => p.kind === 'plate' && p.vehicleClass === 'delivery')
            .map((p) => p.credential),
          residents: permits
            .filter((p) => p.kind === 'badge' && p.vehicleClass === 'resident')
            .map((p) => p.credential),
        },
      ];
    }),
  );
  const allBollards = layout.bollards;
  const planned: PlannedVehicle[] = [];
  for (let m = Math.ceil(fromMs / MINUTE) * MINUTE; m < toMs; m += MINUTE) {
    for (const [zoneId, zone] of byZone) {
      const { weekday, minuteOfDay } = localTime(m, zone.timeZone);
      for (const kind of ['delivery', 'resident', 'stranger'] as const) {
        // Drawn whether or not the zone has such vehicles: one zone's permits do not shift the
        // others' draws.
        const arrives = random.chance(ratePerMinute(kind, traffic, weekday, minuteOfDay));
        const atMs = m + Math.floor(random.next() * MINUTE);
        const bollardId = pick(random, zone.bollards);
        const who = random.next();
        if (!arrives || !bollardId) continue;
        if (kind === 'delivery') {
          const plate = zone.vans[Math.floor(who * zone.vans.length)];
          if (plate) planned.push({ atMs, kind, zoneId, bollardId, plate });
        } else if (kind === 'resident') {
          const badge = zone.residents[Math.floor(who * zone.residents.length)];
          if (badge) planned.push({ atMs, kind, zoneId, bollardId, badge });
        } else {
          planned.push({ atMs, kind, zoneId, bollardId, plate: strangerPlate(random, plates) });
        }
      }
    }
    if (random.chance(traffic.fireEnginesPerDay / 1440)) {
      const bollard = pick(random, allBollards);
      const atMs = m + Math.floor(random.next() * MINUTE);
      if (bollard) {
        planned.push({
          atMs,
          kind: 'fire_engine',
          zoneId: bollard.zoneId,
          bollardId: bollard.id,
          emergency: true,
        });
      }
    }
  }
  return planned.sort((a, b) => a.atMs - b.atMs);
}

// Seeds the lighting layout into the lighting service through LightingService (admin role),
// idempotently: a zone or lamp that does not exist is created, one that exists as in the file
// is left alone, one that differs from the file is updated back to it. A zone's profile is set
// only while the service still runs its default (version 0): a profile an operator set since
// survives every restart of the simulator. Zones first, then lamps in file order (a lamp's
// neighbours must exist when it is created), then profiles (curfew exceptions name lamps).
import type { Lamp, Zone } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { LightingServiceClient } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting_service';
import { createClient, type Logger, promisifyUnary, Status } from '@slimstad/kit';
import { codeOf, seedCaller } from '../seeding.js';
import {
  type LayoutLamp,
  type LightingLayout,
  lampMessage,
  profileMessage,
  zoneMessage,
} from './layout.js';

export interface SeedCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface SeedSummary {
  zones: SeedCounts;
  lamps: SeedCounts;
  /** Profiles set from the file (`set`) or left as an operator set them (`kept`). */
  profiles: { set: number; kept: number };
}

const counts = (): SeedCounts => ({ created: 0, updated: 0, unchanged: 0 });

const sameSet = (a: readonly string[], b: readonly string[]) => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/** Whether the stored zone already is the file's (output-only fields aside). */
export function sameZone(stored: Zone, wanted: Zone): boolean {
  return (
    stored.name === wanted.name &&
    stored.kind === wanted.kind &&
    stored.timeZone === wanted.timeZone &&
    stored.location?.latitude === wanted.location?.latitude &&
    stored.location?.longitude === wanted.location?.longitude
  );
}

/** Whether the stored lamp already is the file's; neighbour and detector order do not matter. */
export function sameLamp(stored: Lamp, wanted: Lamp): boolean {
  return (
    stored.zoneId === wanted.zoneId &&
    stored.name === wanted.name &&
    stored.location?.latitude === wanted.location?.latitude &&
    stored.location?.longitude === wanted.location?.longitude &&
    stored.ratedPowerWatts === wanted.ratedPowerWatts &&
    stored.minLevel === wanted.minLevel &&
    stored.controllerId === wanted.controllerId &&
    sameSet(stored.neighbourIds, wanted.neighbourIds) &&
    sameSet(stored.detectorIds, wanted.detectorIds)
  );
}

/**
 * Seeds `layout` into the lighting service at `address` with an admin `token`. Each call is
 * retried while the service is briefly UNAVAILABLE; any other refusal is an error naming the
 * zone or lamp and the service's reason.
 */
export async function seedLighting(options: {
  address: string;
  layout: LightingLayout;
  token: string;
  log?: Logger;
  attempts?: number;
  /** Aborts between calls (SIGTERM during start-up). */
  signal?: AbortSignal;
}): Promise<SeedSummary> {
  const client = createClient(LightingServiceClient, options.address, {
    token: options.token,
    deadlineMs: 30_000,
  });
  const api = {
    createZone: promisifyUnary(client, client.createZone),
    getZone: promisifyUnary(client, client.getZone),
    updateZone: promisifyUnary(client, client.updateZone),
    createLamp: promisifyUnary(client, client.createLamp),
    getLamp: promisifyUnary(client, client.getLamp),
    updateLamp: promisifyUnary(client, client.updateLamp),
    listLamps: promisifyUnary(client, client.listLamps),
    getProfile: promisifyUnary(client, client.getProfile),
    setProfile: promisifyUnary(client, client.setProfile),
  };
  const call = seedCaller({
    what: 'the lighting layout',
    roles: 'admin role',
    attempts: options.attempts,
    signal: options.signal,
  });
  const summary: SeedSummary = {
    zones: counts(),
    lamps: counts(),
    profiles: { set: 0, kept: 0 },
  };

  try {
    for (const zone of options.layout.zones) {
      const wanted = zoneMessage(zone);
      try {
        await call(`creating zone ${zone.id}`, () => api.createZone({ zone: wanted }));
        summary.zones.created += 1;
        continue;
      } catch (error) {
        if (codeOf(error) !== Status.ALREADY_EXISTS) throw error;
      }
      const { zone: stored } = await call(`reading zone ${zone.id}`, () =>
        api.getZone({ zoneId: zone.id }),
      );
      if (stored && sameZone(stored, wanted)) {
        summary.zones.unchanged += 1;
        continue;
      }
      await call(`updating zone ${zone.id}`, () =>
        api.updateZone({ zone: { ...wanted, version: stored?.version ?? 0n } }),
      );
      summary.zones.updated += 1;
      options.log?.info({ zone: zone.id }, 'lighting zone updated back to the layout');
    }

    // A lamp may name neighbours that come later in the file: it is created with those that
    // exist, and given the rest once they do.
    const existing = new Set<string>();
    for (let pageToken = ''; ; ) {
      const { lamps, page } = await call('listing the lamps', () =>
        api.listLamps({ zoneId: '', page: { pageSize: 1000, pageToken } }),
      );
      for (const l of lamps) existing.add(l.id);
      pageToken = page?.nextPageToken ?? '';
      if (!pageToken) break;
    }
    const later: { lamp: LayoutLamp; stored: Lamp }[] = [];
    for (const lamp of options.layout.lamps) {
      const wanted = lampMessage(lamp);
      const missing = wanted.neighbourIds.filter((n) => !existing.has(n));
      const now = { ...wanted, neighbourIds: wanted.neighbourIds.filter((n) => existing.has(n)) };
      let stored: Lamp | undefined;
      try {
        ({ lamp: stored } = await call(`creating lamp ${lamp.id}`, () =>
          api.createLamp({ lamp: now }),
        ));
        existing.add(lamp.id);
        summary.lamps.created += 1;
        if (missing.length > 0 && stored) later.push({ lamp, stored });
        continue;
      } catch (error) {
        if (codeOf(error) !== Status.ALREADY_EXISTS) throw error;
      }
      existing.add(lamp.id);
      ({ lamp: stored } = await call(`reading lamp ${lamp.id}`, () =>
        api.getLamp({ lampId: lamp.id }),
      ));
      if (stored && sameLamp(stored, wanted)) {
        summary.lamps.unchanged += 1;
        continue;
      }
      const { lamp: updated } = await call(`updating lamp ${lamp.id}`, () =>
        api.updateLamp({ lamp: { ...now, version: stored?.version ?? 0n } }),
      );
      summary.lamps.updated += 1;
      options.log?.info({ lamp: lamp.id }, 'lighting lamp updated back to the layout');
      if (missing.length > 0 && updated) later.push({ lamp, stored: updated });
    }
    for (const { lamp, stored } of later) {
      await call(`linking lamp ${lamp.id} to its neighbours`, () =>
        api.updateLamp({ lamp: { ...lampMessage(lamp), version: stored.version } }),
      );
    }

    for (const zone of options.layout.zones) {
      const { profile: current } = await call(`reading the profile of zone ${zone.id}`, () =>
        api.getProfile({ zoneId: zone.id }),
      );
      if ((current?.version ?? 0n) !== 0n) {
        summary.profiles.kept += 1;
        continue;
      }
      try {
        await call(`setting the profile of zone ${zone.id}`, () =>
          api.setProfile({ profile: { ...profileMessage(zone), version: 0n } }),
        );
        summary.profiles.set += 1;
      } catch (error) {
        // An operator set it between our read and our write: theirs stays.
        if (codeOf(error) !== Status.ABORTED) throw error;
        summary.profiles.kept += 1;
      }
    }
    return summary;
  } finally {
    client.close();
  }
}

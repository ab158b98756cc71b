// Seeds the demo bins and vehicles into the waste service through WasteService (admin role),
// idempotently, as the demo lighting is seeded: a vehicle or bin that does not exist is
// created, one that exists as in the file is left alone, one that differs from the file (an
// edited capacity, a moved bin…) is updated back to it. Vehicles first, so a bin's stream is
// collected by the time its first reading arrives (the service counts a bin no vehicle collects
// as at risk). Bins and vehicles the file does not name are never touched; nor are fill
// models, must-visit marks and plans, which are the service's own.
import type { Bin, Vehicle } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { WasteServiceClient } from '@slimstad/contracts/gen/slimstad/waste/v1/waste_service';
import { createClient, type Logger, promisifyUnary, Status } from '@slimstad/kit';
import { codeOf, seedCaller } from '../seeding.js';
import { binMessage, vehicleMessage, type WasteLayout } from './waste-layout.js';

export interface WasteSeedCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface WasteSeedSummary {
  vehicles: WasteSeedCounts;
  bins: WasteSeedCounts;
}

const counts = (): WasteSeedCounts => ({ created: 0, updated: 0, unchanged: 0 });

const samePoint = (
  a: { latitude: number; longitude: number } | undefined,
  b: { latitude: number; longitude: number } | undefined,
) => a?.latitude === b?.latitude && a?.longitude === b?.longitude;

/** Whether the stored bin already is the file's (output-only fields aside). */
export function sameBin(stored: Bin, wanted: Bin): boolean {
  const a = stored.accessWindow;
  const b = wanted.accessWindow;
  return (
    stored.name === wanted.name &&
    samePoint(stored.location, wanted.location) &&
    stored.volumeLitres === wanted.volumeLitres &&
    stored.stream === wanted.stream &&
    stored.deviceId === wanted.deviceId &&
    (a === undefined || b === undefined
      ? a === b
      : a.startMinute === b.startMinute && a.endMinute === b.endMinute && a.soft === b.soft)
  );
}

/** Whether the stored vehicle already is the file's; the order of its streams does not matter. */
export function sameVehicle(stored: Vehicle, wanted: Vehicle): boolean {
  const streams = (v: Vehicle) => [...new Set(v.streams)].sort().join(',');
  return (
    stored.name === wanted.name &&
    streams(stored) === streams(wanted) &&
    stored.capacityLitres === wanted.capacityLitres &&
    stored.capacityKg === wanted.capacityKg &&
    samePoint(stored.depot, wanted.depot) &&
    (stored.unloadLocation === undefined || wanted.unloadLocation === undefined
      ? stored.unloadLocation === wanted.unloadLocation
      : samePoint(stored.unloadLocation, wanted.unloadLocation)) &&
    stored.shiftStartMinute === wanted.shiftStartMinute &&
    stored.shiftEndMinute === wanted.shiftEndMinute &&
    stored.maxRouteMinutes === wanted.maxRouteMinutes &&
    stored.serviceSeconds === wanted.serviceSeconds &&
    stored.unloadSeconds === wanted.unloadSeconds
  );
}

/**
 * Seeds `layout` into the waste service at `address` with an admin `token`. Each call is
 * retried while the service is briefly UNAVAILABLE; any other refusal is an error naming the
 * vehicle or bin and the service's reason.
 */
export async function seedWaste(options: {
  address: string;
  layout: WasteLayout;
  token: string;
  log?: Logger;
  attempts?: number;
  /** Aborts between calls (SIGTERM during start-up). */
  signal?: AbortSignal;
}): Promise<WasteSeedSummary> {
  const client = createClient(WasteServiceClient, options.address, {
    token: options.token,
    deadlineMs: 30_000,
  });
  const api = {
    listVehicles: promisifyUnary(client, client.listVehicles),
    createVehicle: promisifyUnary(client, client.createVehicle),
    updateVehicle: promisifyUnary(client, client.updateVehicle),
    listBins: promisifyUnary(client, client.listBins),
    getBin: promisifyUnary(client, client.getBin),
    createBin: promisifyUnary(client, client.createBin),
    updateBin: promisifyUnary(client, client.updateBin),
  };
  const call = seedCaller({
    what: 'the waste bins and vehicles',
    roles: 'admin role',
    attempts: options.attempts,
    signal: options.signal,
  });
  const summary: WasteSeedSummary = { vehicles: counts(), bins: counts() };

  try {
    const listVehicles = async () => {
      const all = new Map<string, Vehicle>();
      for (let pageToken = ''; ; ) {
        const { vehicles: page, page: next } = await call('listing the vehicles', () =>
          api.listVehicles({ page: { pageSize: 1000, pageToken } }),
        );
        for (const v of page) all.set(v.id, v);
        pageToken = next?.nextPageToken ?? '';
        if (!pageToken) return all;
      }
    };
    const vehicles = await listVehicles();
    for (const vehicle of options.layout.vehicles) {
      const wanted = vehicleMessage(vehicle);
      let stored = vehicles.get(vehicle.id);
      if (!stored) {
        try {
          await call(`creating vehicle ${vehicle.id}`, () =>
            api.createVehicle({ vehicle: wanted }),
          );
          summary.vehicles.created += 1;
          continue;
        } catch (error) {
          // Created meanwhile (another simulator starting): compare with what it made.
          if (codeOf(error) !== Status.ALREADY_EXISTS) throw error;
          stored = (await listVehicles()).get(vehicle.id);
        }
      }
      if (stored && sameVehicle(stored, wanted)) {
        summary.vehicles.unchanged += 1;
        continue;
      }
      await call(`updating vehicle ${vehicle.id}`, () => api.updateVehicle({ vehicle: wanted }));
      summary.vehicles.updated += 1;
      options.log?.info({ vehicle: vehicle.id }, 'waste vehicle updated back to the file');
    }

    const bins = new Map<string, Bin>();
    for (let pageToken = ''; ; ) {
      const { bins: page, page: next } = await call('listing the bins', () =>
        api.listBins({ stream: 0, page: { pageSize: 1000, pageToken } }),
      );
      for (const b of page) bins.set(b.id, b);
      pageToken = next?.nextPageToken ?? '';
      if (!pageToken) break;
    }
    for (const bin of options.layout.bins) {
      const wanted = binMessage(bin);
      let stored = bins.get(bin.id);
      if (!stored) {
        try {
          await call(`creating bin ${bin.id}`, () => api.createBin({ bin: wanted }));
          summary.bins.created += 1;
          continue;
        } catch (error) {
          // Created meanwhile (another simulator starting): compare with what it made.
          if (codeOf(error) !== Status.ALREADY_EXISTS) throw error;
          ({ bin: stored } = await call(`reading bin ${bin.id}`, () =>
            api.getBin({ binId: bin.id }),
          ));
        }
      }
      if (stored && sameBin(stored, wanted)) {
        summary.bins.unchanged += 1;
        continue;
      }
      await call(`updating bin ${bin.id}`, () => api.updateBin({ bin: wanted }));
      summary.bins.updated += 1;
      options.log?.info({ bin: bin.id }, 'waste bin updated back to the file');
    }
    return summary;
  } finally {
    client.close();
  }
}

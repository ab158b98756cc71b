// The DeviceDirectory the reading path validates against: every registered device in memory,
// kept fresh by polling the registry for changes (so every replica converges within one poll)
// and updated at once by this replica's own registry calls.
import type { Device, NetworkKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import type { Kysely } from 'kysely';
import { type DeviceDirectory, type DeviceView, toDeviceView } from '../domain/device.js';
import type { IngestDatabase } from './db.js';
import { devicesChangedSince, toDevice } from './device.repository.js';

interface Entry {
  view: DeviceView;
  networkKey: string;
}

// Rows are re-read this far behind the newest change seen: a transaction that commits late
// with an earlier timestamp (or another replica's clock) is still picked up.
const OVERLAP_MS = 60_000;

export class CachedDeviceDirectory implements DeviceDirectory {
  private readonly entries = new Map<string, Entry>();
  private network = new Map<string, DeviceView>();
  private newest: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<IngestDatabase>,
    private readonly hooks: {
      /** A poll failed; the directory keeps serving what it has. */
      onError?: (error: unknown) => void;
      /** After every successful refresh, e.g. to update gauges. */
      onRefreshed?: (directory: CachedDeviceDirectory) => void;
    } = {},
  ) {}

  byId(id: string): DeviceView | undefined {
    return this.entries.get(id)?.view;
  }

  byNetworkId(kind: NetworkKind, networkId: string): DeviceView | undefined {
    return this.network.get(`${kind}:${networkId}`);
  }

  all(): Iterable<DeviceView> {
    return [...this.entries.values()].map((e) => e.view);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Loads the changes since the last refresh (everything on the first). */
  refresh(): Promise<void> {
    // Concurrent callers share one query.
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Applies devices this replica just wrote, before the next poll would see them. */
  apply(devices: readonly Device[]): void {
    for (const device of devices) this.put(device);
    this.reindexNetwork();
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.hooks.onError?.(error));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async load(): Promise<void> {
    const since = this.newest ? new Date(this.newest.getTime() - OVERLAP_MS) : undefined;
    const rows = await devicesChangedSince(this.db, since);
    for (const row of rows) {
      this.put(toDevice(row, ''));
      if (!this.newest || row.updated_at > this.newest) this.newest = row.updated_at;
    }
    if (rows.length > 0) this.reindexNetwork();
    this.hooks.onRefreshed?.(this);
  }

  /** Devices by type token and state, for the registry gauge. */
  counts(): Map<string, { active: number; decommissioned: number }> {
    const counts = new Map<string, { active: number; decommissioned: number }>();
    for (const { view } of this.entries.values()) {
      const entry = counts.get(view.typeToken) ?? { active: 0, decommissioned: 0 };
      if (view.active) entry.active += 1;
      else entry.decommissioned += 1;
      counts.set(view.typeToken, entry);
    }
    return counts;
  }

  private put(device: Device): void {
    this.entries.set(device.id, {
      view: toDeviceView(device),
      networkKey: `${device.network?.kind ?? 0}:${device.network?.networkId ?? ''}`,
    });
  }

  // An active device wins its network identity; a decommissioned one keeps it otherwise, so
  // its late uplinks are refused as decommissioned rather than unknown.
  private reindexNetwork(): void {
    const network = new Map<string, DeviceView>();
    for (const { view, networkKey } of this.entries.values()) {
      const holder = network.get(networkKey);
      if (!holder || (!holder.active && view.active)) network.set(networkKey, view);
    }
    this.network = network;
  }
}

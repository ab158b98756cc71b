// Publishes device liveness: `sensor.device.online.<device>` when a device reports after
// being offline (or for the first time), `sensor.device.offline.<device>` when it misses its
// expected interval by the configured factor. Ids derive from the last reading's time, so
// replicas (and restarts) publishing the same transition are deduplicated by JetStream.
import { DeviceCameOnline, DeviceWentOffline } from '@slimstad/contracts';
import type { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { Bus, Logger } from '@slimstad/kit';
import { type Kysely, sql } from 'kysely';
import type { DeviceDirectory } from '../domain/device.js';
import type { LivenessTracker, LivenessTransition } from '../domain/liveness.js';
import type { IngestDatabase } from '../store/db.js';

const duration = (ms: number) => ({
  seconds: BigInt(Math.floor(ms / 1000)),
  nanos: (ms % 1000) * 1e6,
});

export class LivenessMonitor {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      bus: Bus;
      directory: DeviceDirectory;
      tracker: LivenessTracker;
      log: Logger;
      clock?: () => Date;
    },
  ) {}

  /** Loads every device's last report from the latest values, so a restart raises no false alarms. */
  async restore(db: Kysely<IngestDatabase>): Promise<number> {
    const { rows } = await sql<{ device_id: string; last: Date }>`
      select device_id, max(received_at) as last from latest_reading group by device_id`.execute(
      db,
    );
    for (const row of rows) this.deps.tracker.restore(row.device_id, row.last);
    return rows.length;
  }

  /** Called by the pipeline with each flush's stored readings, before it acks them. */
  async recordStored(readings: readonly Reading[]): Promise<void> {
    const transitions: LivenessTransition[] = [];
    for (const r of readings) {
      const t = this.deps.tracker.seen(r.deviceId, r.receivedAt ?? this.now());
      if (t) transitions.push(t);
    }
    await Promise.all(transitions.map((t) => this.publish(t)));
  }

  /** Checks for silent devices now; returns the transitions published. */
  async sweep(): Promise<LivenessTransition[]> {
    const transitions = this.deps.tracker.sweep(
      this.now(),
      (id) => this.deps.directory.byId(id)?.expectedIntervalMs,
    );
    await Promise.all(transitions.map((t) => this.publish(t)));
    return transitions;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.sweep().catch((error) =>
        this.deps.log.warn({ err: error }, 'liveness sweep failed; next one retries'),
      );
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private now() {
    return (this.deps.clock ?? (() => new Date()))();
  }

  private async publish(t: LivenessTransition): Promise<void> {
    const device = this.deps.directory.byId(t.deviceId);
    const common = {
      deviceId: t.deviceId,
      deviceType: device?.type ?? 0,
      lastSeenAt: t.lastSeenAt,
      expectedReportInterval: duration(device?.expectedIntervalMs ?? 0),
    };
    if (t.kind === 'came-online') {
      await this.deps.bus.publish(
        DeviceCameOnline,
        { device: t.deviceId },
        { ...common, offlineSince: t.offlineSince },
        {
          msgId: `online:${t.deviceId}:${t.lastSeenAt.getTime()}`,
        },
      );
    } else {
      await this.deps.bus.publish(
        DeviceWentOffline,
        { device: t.deviceId },
        { ...common, detectedAt: t.detectedAt },
        {
          msgId: `offline:${t.deviceId}:${t.lastSeenAt.getTime()}`,
        },
      );
    }
  }
}

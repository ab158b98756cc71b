// Device liveness: a device that misses `factor` × its expected report interval goes offline;
// its next reading brings it back online. Pure state machine — the monitor feeds it readings
// and clock ticks and publishes the transitions it returns.

export type LivenessTransition =
  | { kind: 'came-online'; deviceId: string; lastSeenAt: Date; offlineSince?: Date }
  | { kind: 'went-offline'; deviceId: string; lastSeenAt: Date; detectedAt: Date };

interface DeviceState {
  lastSeenAt: Date;
  offlineSince?: Date;
}

export class LivenessTracker {
  private readonly states = new Map<string, DeviceState>();

  constructor(private readonly factor: number) {}

  /** Restores what is known after a restart, without emitting transitions. */
  restore(deviceId: string, lastSeenAt: Date): void {
    this.states.set(deviceId, { lastSeenAt });
  }

  /** A reading from the device arrived at `at`. Returns a transition when it was offline or never seen. */
  seen(deviceId: string, at: Date): LivenessTransition | undefined {
    const state = this.states.get(deviceId);
    if (state && at < state.lastSeenAt) return undefined; // late data says nothing about now
    this.states.set(deviceId, { lastSeenAt: at });
    if (!state) return { kind: 'came-online', deviceId, lastSeenAt: at };
    if (state.offlineSince)
      return { kind: 'came-online', deviceId, lastSeenAt: at, offlineSince: state.offlineSince };
    return undefined;
  }

  /** Devices heard from, by liveness: the SREs' device-offline ratio is offline / (online + offline). */
  counts(): { online: number; offline: number } {
    let offline = 0;
    for (const state of this.states.values()) if (state.offlineSince) offline++;
    return { online: this.states.size - offline, offline };
  }

  /**
   * Devices silent for longer than factor × their interval go offline (once). Devices with
   * no expected interval (report on change only) never do.
   */
  sweep(
    now: Date,
    expectedIntervalMs: (deviceId: string) => number | undefined,
  ): LivenessTransition[] {
    const transitions: LivenessTransition[] = [];
    for (const [deviceId, state] of this.states) {
      if (state.offlineSince) continue;
      const interval = expectedIntervalMs(deviceId);
      if (!interval) continue;
      if (now.getTime() - state.lastSeenAt.getTime() > this.factor * interval) {
        state.offlineSince = now;
        transitions.push({
          kind: 'went-offline',
          deviceId,
          lastSeenAt: state.lastSeenAt,
          detectedAt: now,
        });
      }
    }
    return transitions;
  }
}

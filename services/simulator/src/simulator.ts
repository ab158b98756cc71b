// The running simulation: every device reports on its own interval (shortened by the speed-up),
// its values from its model, sent through the way of its network. One report of a device is
// in flight at a time; a device whose previous report is still unanswered skips its turn.
import type { Logger } from '@slimstad/kit';
import { nextSequence, realIntervalMs, type SimClock, simTime } from './domain/clock.js';
import type { NetworkWay, SimDevice } from './domain/devices.js';
import { clampToSpec, MODELS, type ModelState } from './domain/models.js';
import type { Uplink } from './domain/payloads.js';
import { createRandom, hash32, type Random } from './domain/random.js';
import type { SendResult, Way, WayName } from './ways/way.js';

export interface SimulatorOptions {
  devices: readonly SimDevice[];
  /** The way for each network kind the devices use. */
  ways: ReadonlyMap<NetworkWay, Way>;
  clock: SimClock;
  seed: number;
  timeZone: string;
  /** Shortest real time between two reports of one device. */
  minIntervalMs: number;
  /** The first reports are spread over this many ms after start (capped by each interval). */
  firstSpreadMs?: number;
  log: Logger;
  /** Called with every report's result (metrics). */
  onResult?: (way: WayName, result: SendResult | { ok: false; outcome: 'skipped' }) => void;
  now?: () => number;
}

interface DeviceRun {
  device: SimDevice;
  way: Way;
  random: Random;
  state: ModelState;
  lastSimMs: number | undefined;
  sequence: number;
  busy: boolean;
  intervalMs: number;
}

export type Tally = Record<WayName, { sent: number; refused: number; failed: number }>;

const emptyTally = (): Tally => ({
  chirpstack: { sent: 0, refused: 0, failed: 0 },
  tts: { sent: 0, refused: 0, failed: 0 },
  mqtt: { sent: 0, refused: 0, failed: 0 },
  grpc: { sent: 0, refused: 0, failed: 0 },
});

export class Simulator {
  private readonly runs: DeviceRun[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly now: () => number;
  private stopped = false;
  /** Counts since the start, by way. */
  readonly tally: Tally = emptyTally();
  /** The first refusal or failure of each way is logged as a warning, later ones at debug. */
  private readonly warned = new Set<string>();

  constructor(private readonly options: SimulatorOptions) {
    this.now = options.now ?? Date.now;
    this.runs = options.devices.map((device) => {
      const model = MODELS[device.type];
      const way = options.ways.get(device.network);
      if (!model) throw new Error(`${device.id}: no model for type ${device.type}`);
      if (!way) throw new Error(`${device.id}: no way for network ${device.network}`);
      const random = createRandom(hash32(options.seed, device.id));
      return {
        device,
        way,
        random,
        state: model.initial(device, random),
        lastSimMs: undefined,
        sequence: 0,
        busy: false,
        intervalMs: realIntervalMs(device.intervalS, options.clock.speedup, options.minIntervalMs),
      };
    });
  }

  /** Schedules every device: the first reports spread over the first seconds, then on interval. */
  start(): void {
    const spread = this.options.firstSpreadMs ?? 2_000;
    for (const run of this.runs) {
      this.schedule(run, run.random.next() * Math.min(spread, run.intervalMs));
    }
  }

  /** The simulated instant now. */
  simNow(): Date {
    return new Date(simTime(this.options.clock, this.now()));
  }

  /** The next report of a device: its values and frame counter (advances its state). */
  private nextUplink(run: DeviceRun): Uplink {
    const realMs = this.now();
    const simMs = simTime(this.options.clock, realMs);
    const model = MODELS[run.device.type]!;
    const elapsedS =
      run.lastSimMs === undefined ? run.device.intervalS : (simMs - run.lastSimMs) / 1000;
    const { state, values } = model.step(run.device, run.state, {
      simMs,
      elapsedS,
      random: run.random,
      seed: this.options.seed,
      timeZone: this.options.timeZone,
    });
    run.state = state;
    run.lastSimMs = simMs;
    run.sequence = nextSequence(run.sequence, realMs);
    return {
      device: run.device,
      values: clampToSpec(run.device, values),
      observedAt: new Date(realMs),
      sequence: run.sequence,
    };
  }

  private schedule(run: DeviceRun, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.schedule(run, run.intervalMs);
      this.report(run);
    }, delayMs);
    this.timers.add(timer);
  }

  private report(run: DeviceRun): void {
    const wayName = run.way.name;
    if (run.busy) {
      this.options.onResult?.(wayName, { ok: false, outcome: 'skipped' });
      this.options.log.debug({ device: run.device.id }, 'previous report unanswered; skipped');
      return;
    }
    run.busy = true;
    const uplink = this.nextUplink(run);
    const sending = run.way
      .send(uplink)
      .catch(
        (error: unknown): SendResult => ({
          ok: false,
          outcome: 'failed',
          detail: (error as Error).message,
        }),
      )
      .then((result) => this.record(run, uplink, result))
      .finally(() => {
        run.busy = false;
        this.inFlight.delete(sending);
      });
    this.inFlight.add(sending);
  }

  private record(run: DeviceRun, uplink: Uplink, result: SendResult): void {
    const wayName = run.way.name;
    this.options.onResult?.(wayName, result);
    const counts = this.tally[wayName];
    const log = this.options.log;
    if (result.ok) {
      counts.sent += 1;
      log.debug(
        { device: run.device.id, way: wayName, values: uplink.values, sequence: uplink.sequence },
        'report sent',
      );
      return;
    }
    counts[result.outcome] += 1;
    const key = `${wayName}:${result.outcome}`;
    const fields = { device: run.device.id, way: wayName, detail: result.detail };
    if (this.warned.has(key)) log.debug(fields, `report ${result.outcome}`);
    else {
      this.warned.add(key);
      log.warn(fields, `report ${result.outcome} (further ones of this way are logged at debug)`);
    }
  }

  /** Stops scheduling and waits for the reports in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }
}

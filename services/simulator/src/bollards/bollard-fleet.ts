// Many simulated bollard controllers on the bus, as the bollards service meets them in the
// field: each zone's controllers listen to `bollards.command.<zone>.*` and
// `bollards.heartbeat.<zone>` (plain subscriptions, one pair per zone whatever its size: a
// controller holds no durable state on the server, and 2,000 bollards must fit one process),
// answer every command with an ack on `bollards.ack.<zone>.<bollard>` and report their status on
// `bollards.report.<zone>.<bollard>` on every change and periodically, both published through
// JetStream with a `Nats-Msg-Id`. Every bollard reports once at the first tick after start, so
// the service learns where they stand. Motions ending and heartbeats missed happen on the
// simulation clock, which the fleet looks at every `tickMs` of real time (a hand-set test clock
// moves nothing until looked at; `tick()` looks at once). Acks can be lost or delayed on purpose
// (a seeded PRNG per bollard, so a run repeats exactly); retrying and declaring a bollard
// failed is the service's job.
import {
  BollardAcknowledged,
  BollardCommanded,
  BollardReported,
  BollardsHeartbeat,
} from '@slimstad/contracts';
import {
  type BollardCommandAck,
  BollardCommand as BollardCommandCodec,
  type BollardCommand as BollardCommandMessage,
  type BollardReport,
  BollardsHeartbeat as BollardsHeartbeatCodec,
  CommandResult,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import {
  Bus,
  type Carrier,
  type Clock,
  createLogger,
  extractTraceContext,
  type Logger,
  Namespace,
  realDelay,
} from '@slimstad/kit';
import { createRandom, hash32, type Random } from '../domain/random.js';
import {
  BollardController,
  type BollardControllerOptions,
  type BollardStats,
  emptyBollardStats,
} from './bollard-controller.js';

/** The connection type of `@nats-io/nats-core`, as the kit's Bus holds it. */
export type NatsConnection = Bus['nc'];
type Subscription = ReturnType<NatsConnection['subscribe']>;

/** What the fleet reads of a received message. */
interface CommandMsg {
  subject: string;
  data: Uint8Array;
  headers?: { has(key: string): boolean; get(key: string): string };
}

/** Faults of the path back to the service, injected by tests, chaos runs and benchmarks. */
export interface AckFaults {
  /** Probability that an ack is never published (the radio link dropped it), 0–1. */
  ackLossRate?: number;
  /**
   * Real ms an ack waits before it is published (network latency: real time whatever the city
   * clock's speed, like the service's ack timeout). A number, or a range drawn uniformly.
   * The motion itself starts on receipt: only the answer is late.
   */
  ackDelayMs?: number | { min: number; max: number };
}

/** One simulated bollard; `faults` replaces the fleet's for this one. */
export interface BollardSpec extends Omit<BollardControllerOptions, 'bollardId' | 'watchFromMs'> {
  id: string;
  faults?: AckFaults;
}

/** A command as received, for latency measurements (request → command received). */
export interface ReceivedCommand {
  bollardId: string;
  zoneId: string;
  requestId: string;
  sequence: bigint;
  attempt: number;
  motion: BollardCommandMessage['motion'];
  result: CommandResult;
  /** Real ms (Date.now()) at receipt. */
  receivedRealMs: number;
  /** Simulation clock at receipt. */
  clockMs: number;
}

export type BollardCommandHook = (
  bollardId: string,
  cmd: BollardCommandMessage,
  receivedRealMs: number,
) => void;

export type BollardFleetOptions = (
  | { bus: Bus; nc?: undefined; namespace?: undefined }
  | { nc: NatsConnection; namespace: Namespace; bus?: undefined }
) & {
  /** The simulation clock: every controller decides by it. */
  clock: Clock;
  bollards: readonly BollardSpec[];
  /** Fault injection for every bollard without its own. */
  faults?: AckFaults;
  /** Seed of the per-bollard PRNGs behind the faults (default 1). */
  seed?: number;
  /** Every bollard's report every this many clock ms (default 60 000; 0: only on change). */
  reportEveryMs?: number;
  /** Real ms between looks at the clock for motions ending and heartbeats missed (default 50). */
  tickMs?: number;
  /** Arms every heartbeat watchdog at the fleet's start, not at first contact (default false). */
  watchFromStart?: boolean;
  /** Keeps `commandLog` (default true), up to `commandLogLimit` entries (default 100 000). */
  recordCommands?: boolean;
  commandLogLimit?: number;
  log?: Logger;
  /** Called on every decodable command received, before it is handled. */
  onCommand?: BollardCommandHook;
};

export interface BollardFleet {
  controller(bollardId: string): BollardController;
  /** A vehicle drives onto / off the bollard's loop; the report goes out at once. */
  vehicleArrives(bollardId: string): Promise<void>;
  vehicleLeaves(bollardId: string): Promise<void>;
  setObstacle(bollardId: string, present: boolean): Promise<void>;
  powerLoss(bollardId: string): Promise<void>;
  powerRestored(bollardId: string): Promise<void>;
  /** Replaces one bollard's ack faults (undefined: back to the fleet's). */
  setFaults(bollardId: string, faults: AckFaults | undefined): void;
  /** Applies the clock now (motions ending, heartbeats missed) and reports what changed. */
  tick(): Promise<void>;
  /** Stops timers and subscriptions, drops delayed acks, waits for publishes in flight. */
  stop(): Promise<void>;
  /** Every controller's stats added up. */
  stats(): BollardStats;
  /** Commands received, in order (see `recordCommands`). */
  readonly commandLog: readonly ReceivedCommand[];
  /** Command messages received (any bollard, any outcome, undecodable ones included). */
  readonly commandsReceived: number;
  /** Acks and reports JetStream confirmed; acks dropped by `ackLossRate`. */
  readonly published: { acks: number; reports: number; failed: number; acksDropped: number };
  onCommand: BollardCommandHook | undefined;
}

const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/** Starts the fleet; resolves once its subscriptions are registered with the server. */
export async function startBollardFleet(options: BollardFleetOptions): Promise<BollardFleet> {
  const { clock } = options;
  const log = options.log ?? createLogger('bollard-fleet', 'silent');
  // The kit's publish: Content-Type naming the message, Nats-Msg-Id, trace context, span.
  const bus =
    options.bus ?? (await Bus.create(options.nc, { namespace: options.namespace.prefix, log }));
  const nc = bus.nc;
  const ns = options.bus ? bus.ns : (options.namespace ?? new Namespace(''));
  const startMs = clock.now();
  const seed = options.seed ?? 1;

  interface Played {
    c: BollardController;
    random: Random;
    faults: AckFaults | undefined;
  }
  const played = new Map<string, Played>();
  const zones = new Map<string, Played[]>();
  for (const spec of options.bollards) {
    if (played.has(spec.id)) throw new Error(`bollard ${spec.id} is listed twice`);
    // Ids are subject tokens: the contract refuses anything else, here rather than mid-run.
    BollardReported.subject({ zone: spec.zoneId, bollard: spec.id });
    const { id, faults, ...rest } = spec;
    const p: Played = {
      c: new BollardController({
        ...rest,
        bollardId: id,
        watchFromMs: options.watchFromStart ? startMs : undefined,
      }),
      // One stream per bollard: its faults do not depend on what the others received.
      random: createRandom(hash32(seed, id)),
      faults: faults ?? options.faults,
    };
    played.set(id, p);
    const zone = zones.get(spec.zoneId) ?? [];
    zone.push(p);
    zones.set(spec.zoneId, zone);
  }

  const inFlight = new Set<Promise<unknown>>();
  const delayed = new Set<ReturnType<typeof setTimeout>>();
  const published = { acks: 0, reports: 0, failed: 0, acksDropped: 0 };
  const commandLog: ReceivedCommand[] = [];
  const recordCommands = options.recordCommands ?? true;
  const commandLogLimit = options.commandLogLimit ?? 100_000;
  let commandsReceived = 0;
  let stopped = false;

  const track = (work: Promise<unknown>, kind: 'acks' | 'reports', subject: string) => {
    const task = work
      .then(() => {
        published[kind] += 1;
      })
      .catch((error: unknown) => {
        published.failed += 1;
        log.warn({ err: error, subject }, 'bollard controller could not publish');
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    return task;
  };

  // Report ids are `rep:<bollard>:<clock ms>`; a second report of the same bollard within the
  // same clock ms (a vehicle right after a command, a hand-set test clock) gets `-2`, `-3`…, or
  // JetStream's dedup would drop it as a repeat of the first.
  const lastReport = new Map<string, { ms: number; count: number }>();
  const reportId = (bollardId: string, now: number) => {
    const ms = Math.round(now);
    const last = lastReport.get(bollardId);
    const count = last?.ms === ms ? last.count + 1 : 1;
    lastReport.set(bollardId, { ms, count });
    return count === 1 ? `rep:${bollardId}:${ms}` : `rep:${bollardId}:${ms}-${count}`;
  };

  const publishReport = (c: BollardController, report: BollardReport | undefined) => {
    if (!report || stopped) return Promise.resolve();
    const params = { zone: c.zoneId, bollard: c.bollardId };
    return track(
      bus.publish(BollardReported, params, report, {
        msgId: reportId(c.bollardId, report.observeTime?.getTime() ?? clock.now()),
      }),
      'reports',
      BollardReported.subject(params),
    );
  };

  const publishAck = (
    p: Played,
    ack: BollardCommandAck,
    attempt: number,
    carrier: Carrier,
  ): void => {
    const { c, random, faults } = p;
    // Drawn for every ack, lost or not, so one fault setting does not shift the other's draws.
    const lost = random.next() < (faults?.ackLossRate ?? 0);
    const d = faults?.ackDelayMs;
    const delayMs = typeof d === 'number' ? d : d ? d.min + (d.max - d.min) * random.next() : 0;
    if (lost) {
      published.acksDropped += 1;
      return;
    }
    const params = { zone: c.zoneId, bollard: c.bollardId };
    // The ack continues the command's trace: its publish span is a child of the command's
    // context, and without a tracing SDK the ack carries the command's traceparent as is.
    const headers: Record<string, string> = {};
    for (const key of TRACE_HEADERS) {
      const value = carrier.get(key);
      if (value) headers[key] = value;
    }
    const msgId = `ack:${c.bollardId}:${ack.sequence}:${attempt}`;
    const send = () =>
      track(
        bus.publishEncoded(
          {
            pattern: BollardAcknowledged.pattern,
            subject: BollardAcknowledged.subject(params),
            messageType: BollardAcknowledged.messageType,
            data: BollardAcknowledged.codec.encode(ack).finish(),
          },
          headers.traceparent
            ? { msgId, headers, parent: extractTraceContext(carrier) }
            : { msgId, headers },
        ),
        'acks',
        BollardAcknowledged.subject(params),
      );
    if (delayMs <= 0) {
      void send();
      return;
    }
    const timer = setTimeout(() => {
      delayed.delete(timer);
      if (!stopped) void send();
    }, delayMs);
    delayed.add(timer);
  };

  // The hook lives apart from `fleet`: a command may arrive while the subscriptions are still
  // being flushed, before `fleet` exists.
  const hooks: { onCommand: BollardCommandHook | undefined } = { onCommand: options.onCommand };
  const onCommandMessage = (zoneId: string, prefix: string, msg: CommandMsg) => {
    const receivedRealMs = Date.now();
    commandsReceived += 1;
    const bollardId = msg.subject.slice(prefix.length);
    let cmd: BollardCommandMessage;
    try {
      cmd = BollardCommandCodec.decode(msg.data);
    } catch (err) {
      log.warn({ err, subject: msg.subject }, 'undecodable bollard command ignored');
      return;
    }
    hooks.onCommand?.(bollardId, cmd, receivedRealMs);
    const p = played.get(bollardId);
    if (!p || p.c.zoneId !== zoneId) {
      log.debug({ subject: msg.subject }, 'command for a bollard this fleet does not play');
      return;
    }
    const now = clock.now();
    const ack = p.c.command(cmd, now);
    if (recordCommands && commandLog.length < commandLogLimit) {
      commandLog.push({
        bollardId,
        zoneId,
        requestId: cmd.requestId,
        sequence: cmd.sequence,
        attempt: cmd.attempt,
        motion: cmd.motion,
        result: ack.result,
        receivedRealMs,
        clockMs: now,
      });
    }
    const h = msg.headers;
    const carrier: Carrier = {
      get: (key) => (h?.has(key) ? h.get(key) : undefined),
      set: () => {},
    };
    publishAck(p, ack, cmd.attempt, carrier);
    // After an accepted command the service waits for a position newer than the ack: a retry
    // of a motion already finished gets its report too, or the service would wait forever.
    void publishReport(
      p.c,
      ack.result === CommandResult.COMMAND_RESULT_ACCEPTED
        ? p.c.report(now)
        : p.c.reportIfChanged(now),
    );
  };

  const subscriptions: Subscription[] = [];
  for (const [zoneId, zonePlayed] of zones) {
    // `bollards.command.<zone>.` from the contract, the bollard token cut off.
    const commandPrefix = ns.subject(
      BollardCommanded.subject({ zone: zoneId, bollard: '_' }).slice(0, -1),
    );
    subscriptions.push(
      nc.subscribe(`${commandPrefix}*`, {
        callback: (error, msg) => {
          if (error || stopped) return;
          onCommandMessage(zoneId, commandPrefix, msg);
        },
      }),
    );
    subscriptions.push(
      nc.subscribe(ns.subject(BollardsHeartbeat.subject({ zone: zoneId })), {
        callback: (error, msg) => {
          if (error || stopped) return;
          let hb: ReturnType<typeof BollardsHeartbeatCodec.decode>;
          try {
            hb = BollardsHeartbeatCodec.decode(msg.data);
          } catch (err) {
            log.warn({ err, subject: msg.subject }, 'undecodable heartbeat ignored');
            return;
          }
          const now = clock.now();
          for (const { c } of zonePlayed) {
            c.heartbeat(hb, now);
            void publishReport(c, c.reportIfChanged(now)); // a fallback ended
          }
        },
      }),
    );
  }
  // The subscriptions exist on the server before anyone is told the fleet is up.
  await nc.flush();

  const tick = async () => {
    if (stopped) return;
    const now = clock.now();
    const work: Promise<unknown>[] = [];
    for (const { c } of played.values()) {
      const report = c.reportIfChanged(now);
      if (report) work.push(publishReport(c, report));
    }
    await Promise.allSettled(work);
  };
  const ticker = setInterval(() => void tick(), Math.max(5, options.tickMs ?? 50));
  ticker.unref();

  const reportEveryMs = options.reportEveryMs ?? 60_000;
  let reportRound: Promise<unknown> | undefined;
  const periodic =
    reportEveryMs > 0
      ? setInterval(
          () => {
            // Backpressure: a round still being confirmed skips this tick rather than pile up.
            if (reportRound || stopped) return;
            const now = clock.now();
            const round = [...played.values()].map(({ c }) => publishReport(c, c.report(now)));
            reportRound = Promise.allSettled(round).finally(() => {
              reportRound = undefined;
            });
          },
          Math.max(10, realDelay(clock, reportEveryMs)),
        )
      : undefined;
  periodic?.unref();

  const get = (bollardId: string): Played => {
    const p = played.get(bollardId);
    if (!p) throw new Error(`no simulated bollard ${bollardId}`);
    return p;
  };
  const act = (bollardId: string, action: (c: BollardController, now: number) => void) => {
    const { c } = get(bollardId);
    const now = clock.now();
    action(c, now);
    return publishReport(c, c.reportIfChanged(now)).then(() => {});
  };

  const fleet: BollardFleet = {
    controller: (bollardId) => get(bollardId).c,
    vehicleArrives: (id) => act(id, (c, now) => c.vehicleArrives(now)),
    vehicleLeaves: (id) => act(id, (c, now) => c.vehicleLeaves(now)),
    setObstacle: (id, present) => act(id, (c, now) => c.setObstacle(present, now)),
    powerLoss: (id) => act(id, (c, now) => c.powerLoss(now)),
    powerRestored: (id) => act(id, (c, now) => c.powerRestored(now)),
    setFaults: (bollardId, faults) => {
      const p = get(bollardId);
      p.faults = faults ?? options.faults;
    },
    tick,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(ticker);
      if (periodic) clearInterval(periodic);
      for (const t of delayed) clearTimeout(t);
      delayed.clear();
      for (const s of subscriptions) s.unsubscribe();
      await Promise.allSettled([...inFlight]);
    },
    stats: () => {
      const total = emptyBollardStats();
      for (const { c } of played.values()) {
        for (const key of Object.keys(total) as (keyof BollardStats)[]) total[key] += c.stats[key];
      }
      return total;
    },
    commandLog,
    get commandsReceived() {
      return commandsReceived;
    },
    published,
    get onCommand() {
      return hooks.onCommand;
    },
    set onCommand(hook) {
      hooks.onCommand = hook;
    },
  };
  return fleet;
}

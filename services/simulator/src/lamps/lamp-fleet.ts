// Many simulated lamp controllers on the bus, as the lighting service meets them in the field:
// each zone's controllers listen to `lighting.command.<zone>.>` and `lighting.heartbeat.<zone>`
// (plain subscriptions, as a controller or gateway holds no durable state on the server),
// answer every command with an ack on `lighting.ack.<zone>.<lamp>` and report feedback on
// `lighting.feedback.<zone>.<lamp>`, both published through JetStream with a `Nats-Msg-Id`.
// The controllers only acknowledge; retrying and declaring a lamp failed is the service's job.
import { LampAcknowledged, LampFeedbackReported, LightingHeartbeat } from '@slimstad/contracts';
import {
  CommandResult,
  type LampCommandAck,
  LampCommand as LampCommandCodec,
  type LampCommand as LampCommandMessage,
  LightingHeartbeat as LightingHeartbeatCodec,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/control';
import {
  Bus,
  type Carrier,
  type Clock,
  createLogger,
  extractTraceContext,
  type Logger,
  type Namespace,
  realDelay,
} from '@slimstad/kit';
import { LampController, type LampControllerOptions, type LampFault } from './lamp-controller.js';

/** The connection type of `@nats-io/nats-core`, as the kit's Bus holds it. */
export type NatsConnection = Bus['nc'];
type Subscription = ReturnType<NatsConnection['subscribe']>;

/** One simulated lamp; `poweredOnMs` is the fleet's start on its clock. */
export type LampSpec = Omit<LampControllerOptions, 'poweredOnMs'>;

export type CommandHook = (lampId: string, cmd: LampCommandMessage, receivedRealMs: number) => void;

export interface LampFleetOptions {
  nc: NatsConnection;
  namespace: Namespace;
  /** The simulation clock: every controller decides by it. */
  clock: Clock;
  lamps: readonly LampSpec[];
  /** Feedback of every lamp every this many clock ms (default 60 000; 0: only on change). */
  feedbackEveryMs?: number;
  log?: Logger;
  /** Called on every command received, before it is handled (latency measurements). */
  onCommand?: CommandHook;
}

export interface LampFleet {
  controller(lampId: string): LampController;
  /** Sets the lamp's fault and, unless it went unresponsive, publishes its feedback at once. */
  setFault(lampId: string, fault: LampFault): Promise<void>;
  clearFault(lampId: string): Promise<void>;
  levelAt(lampId: string, now: number): number;
  /** Unsubscribes and waits for the publishes in flight; leaves the connection open. */
  stop(): Promise<void>;
  /** Command messages received (any lamp, any outcome, undecodable ones included). */
  readonly commandsReceived: number;
  /** Acks and feedback messages JetStream confirmed. */
  readonly published: { acks: number; feedback: number; failed: number };
  onCommand: CommandHook | undefined;
}

const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/** Starts the fleet; resolves once its subscriptions are registered with the server. */
export async function startLampFleet(options: LampFleetOptions): Promise<LampFleet> {
  const { nc, namespace: ns, clock } = options;
  const log = options.log ?? createLogger('lamp-fleet', 'silent');
  // The kit's publish: Content-Type naming the message, Nats-Msg-Id, trace context, span.
  const bus = await Bus.create(nc, { namespace: ns.prefix, log });
  const startMs = clock.now();
  const controllers = new Map<string, LampController>();
  const zones = new Map<string, LampController[]>();
  for (const spec of options.lamps) {
    if (controllers.has(spec.lampId)) throw new Error(`lamp ${spec.lampId} is listed twice`);
    if (spec.lampId.includes('.') || spec.zoneId.includes('.')) {
      throw new Error(`lamp ${spec.lampId}: ids must not contain "." (they are subject tokens)`);
    }
    const controller = new LampController({ ...spec, poweredOnMs: startMs });
    controllers.set(spec.lampId, controller);
    const zone = zones.get(spec.zoneId) ?? [];
    zone.push(controller);
    zones.set(spec.zoneId, zone);
  }

  const inFlight = new Set<Promise<unknown>>();
  const published = { acks: 0, feedback: 0, failed: 0 };
  let commandsReceived = 0;
  let stopped = false;

  const track = (work: Promise<unknown>, kind: 'acks' | 'feedback', subject: string) => {
    const task = work
      .then(() => {
        published[kind] += 1;
      })
      .catch((error: unknown) => {
        published.failed += 1;
        log.warn({ err: error, subject }, 'lamp controller could not publish');
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    return task;
  };

  // Feedback ids are `fb:<lamp>:<clock ms>`; a second report of the same lamp within the same
  // clock ms (a fault set right after a command, a hand-set test clock) gets `-2`, `-3`…, or
  // JetStream's dedup would drop it as a repeat of the first.
  const lastFeedback = new Map<string, { ms: number; count: number }>();
  const feedbackId = (lampId: string, now: number) => {
    const ms = Math.round(now);
    const last = lastFeedback.get(lampId);
    const count = last?.ms === ms ? last.count + 1 : 1;
    lastFeedback.set(lampId, { ms, count });
    return count === 1 ? `fb:${lampId}:${ms}` : `fb:${lampId}:${ms}-${count}`;
  };

  const publishFeedback = (c: LampController, now: number) => {
    const params = { zone: c.zoneId, lamp: c.lampId };
    return track(
      bus.publish(LampFeedbackReported, params, c.feedback(now), {
        msgId: feedbackId(c.lampId, now),
      }),
      'feedback',
      LampFeedbackReported.subject(params),
    );
  };

  const publishAck = (
    c: LampController,
    ack: LampCommandAck,
    attempt: number,
    carrier: Carrier,
  ) => {
    const params = { zone: c.zoneId, lamp: c.lampId };
    // The ack continues the command's trace: its publish span is a child of the command's
    // context, and without a tracing SDK the ack carries the command's traceparent as is.
    const headers: Record<string, string> = {};
    for (const key of TRACE_HEADERS) {
      const value = carrier.get(key);
      if (value) headers[key] = value;
    }
    const msgId = `ack:${c.lampId}:${ack.sequence}:${attempt}`;
    return track(
      bus.publishEncoded(
        {
          pattern: LampAcknowledged.pattern,
          subject: LampAcknowledged.subject(params),
          messageType: LampAcknowledged.messageType,
          data: LampAcknowledged.codec.encode(ack).finish(),
        },
        headers.traceparent
          ? { msgId, headers, parent: extractTraceContext(carrier) }
          : { msgId, headers },
      ),
      'acks',
      LampAcknowledged.subject(params),
    );
  };

  // The hook lives apart from `fleet`: a command may arrive while the subscriptions are still
  // being flushed, before `fleet` exists.
  const hooks: { onCommand: CommandHook | undefined } = { onCommand: options.onCommand };
  const subscriptions: Subscription[] = [];
  for (const [zoneId, zoneControllers] of zones) {
    const commandPrefix = ns.subject(`lighting.command.${zoneId}.`);
    subscriptions.push(
      nc.subscribe(`${commandPrefix}>`, {
        callback: (error, msg) => {
          if (error || stopped) return;
          const receivedRealMs = Date.now();
          commandsReceived += 1;
          const lampId = msg.subject.slice(commandPrefix.length);
          const controller = controllers.get(lampId);
          let cmd: LampCommandMessage;
          try {
            cmd = LampCommandCodec.decode(msg.data);
          } catch (err) {
            log.warn({ err, subject: msg.subject }, 'undecodable lamp command ignored');
            return;
          }
          hooks.onCommand?.(lampId, cmd, receivedRealMs);
          if (!controller || controller.zoneId !== zoneId) {
            log.debug({ subject: msg.subject }, 'command for a lamp this fleet does not play');
            return;
          }
          const now = clock.now();
          const ack = controller.command(cmd, now);
          if (!ack) return; // unresponsive: silence, the service will retry and give up
          const h = msg.headers;
          const carrier: Carrier = {
            get: (key) => (h?.has(key) ? h.get(key) : undefined),
            set: () => {},
          };
          void publishAck(controller, ack, cmd.attempt, carrier);
          if (ack.result === CommandResult.COMMAND_RESULT_APPLIED)
            void publishFeedback(controller, now);
        },
      }),
    );
    subscriptions.push(
      nc.subscribe(ns.subject(LightingHeartbeat.subject({ zone: zoneId })), {
        callback: (error, msg) => {
          if (error || stopped) return;
          let hb: ReturnType<typeof LightingHeartbeatCodec.decode>;
          try {
            hb = LightingHeartbeatCodec.decode(msg.data);
          } catch (err) {
            log.warn({ err, subject: msg.subject }, 'undecodable heartbeat ignored');
            return;
          }
          const now = clock.now();
          for (const c of zoneControllers) c.heartbeat(hb, now);
        },
      }),
    );
  }
  // The subscriptions exist on the server before anyone is told the fleet is up.
  await nc.flush();

  const feedbackEveryMs = options.feedbackEveryMs ?? 60_000;
  let feedbackRound: Promise<unknown> | undefined;
  const timer =
    feedbackEveryMs > 0
      ? setInterval(
          () => {
            // Backpressure: a round still being confirmed skips this tick rather than pile up.
            if (feedbackRound || stopped) return;
            const now = clock.now();
            const round = [...controllers.values()]
              .filter((c) => c.responsive)
              .map((c) => publishFeedback(c, now));
            feedbackRound = Promise.allSettled(round).finally(() => {
              feedbackRound = undefined;
            });
          },
          Math.max(10, realDelay(clock, feedbackEveryMs)),
        )
      : undefined;
  timer?.unref();

  const get = (lampId: string): LampController => {
    const c = controllers.get(lampId);
    if (!c) throw new Error(`no simulated lamp ${lampId}`);
    return c;
  };

  const fleet: LampFleet = {
    controller: get,
    setFault: async (lampId, fault) => {
      const c = get(lampId);
      c.setFault(fault);
      if (c.responsive && !stopped) await publishFeedback(c, clock.now());
    },
    clearFault: async (lampId) => {
      const c = get(lampId);
      c.clearFault();
      if (!stopped) await publishFeedback(c, clock.now());
    },
    levelAt: (lampId, now) => get(lampId).levelAt(now),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      for (const s of subscriptions) s.unsubscribe();
      await Promise.allSettled([...inFlight]);
    },
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

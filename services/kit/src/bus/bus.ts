// The typed bus: publish and consume protobuf events by their contract. Every publish sets
// `Nats-Msg-Id` (dedup), W3C trace context and a content type naming the message; every
// consumer acks explicitly only after its handler succeeded, retries with backoff a bounded
// number of times, then parks the message on `deadletter.<durable>` with the reason.
import {
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import { type MsgHdrs, type NatsConnection, headers as natsHeaders } from '@nats-io/nats-core';
import { type Context, context, SpanKind, trace } from '@opentelemetry/api';
import {
  DeadLetterStream,
  type EventContract,
  type StreamContract,
  subjectFallsUnder,
} from '@slimstad/contracts';
import type { Logger } from '../log.js';
import type { Metrics } from '../telemetry/metrics.js';
import { type Carrier, extractTraceContext, injectTraceContext } from '../telemetry/propagation.js';
import { inSpan } from '../telemetry/tracing.js';
import { backoffDelay, type Decision } from './decision.js';
import * as H from './headers.js';
import { Namespace } from './namespace.js';
import { declareConsumer, declareStream, type StreamOptions } from './streams.js';

const hdrCarrier = (h: MsgHdrs): Carrier => ({
  get: (key) => (h.has(key) ? h.get(key) : undefined),
  set: (key, value) => h.set(key, value),
});

export interface PublishOptions {
  /** Idempotency key: the same id within the stream's duplicate window is stored once. */
  msgId: string;
  headers?: Record<string, string>;
}

/** What a handler receives besides the decoded message. */
export interface DeliveryContext {
  /** Subject without the namespace, as contracts know it. */
  subject: string;
  /** 1 on first delivery. */
  delivery: number;
  msgId: string | undefined;
  headers: MsgHdrs;
  streamSequence: number;
  log: Logger;
}

export interface ConsumerOptions<T> {
  event: EventContract<T, string>;
  /** `<service>--<purpose>`. */
  durable: string;
  /** Handler attempts before dead-lettering (default 5). */
  maxDeliveries?: number;
  backoff?: { initialMs: number; maxMs: number };
  ackWaitMs?: number;
  /** Messages handled at once (default 1: in stream order). */
  concurrency?: number;
  /**
   * Wait for the server to confirm each ack (default true): a message counts as handled only
   * then. `false` sends the ack without waiting (no round trip per message): for high-rate
   * streams whose handlers are idempotent, as a lost ack means one redelivery after `ackWaitMs`.
   */
  confirmAcks?: boolean;
  /**
   * Only these subjects of the event (without namespace), e.g. `sensor.reading.presence.*`
   * for one device type; must fall under the event's pattern. Default: the whole pattern.
   */
  subjectFilter?: string;
  /**
   * Where a new durable starts: `all` (default) or `new` for events only worth acting on
   * as they happen (a presence detection an hour old lights nobody's way).
   */
  startAt?: 'all' | 'new';
  handle(
    message: T,
    delivery: DeliveryContext,
  ): Promise<Decision | undefined> | Decision | undefined;
}

export interface RunningConsumer {
  durable: string;
  /**
   * Where the consumer stands in its stream, as the server sees it now: messages matching its
   * filter not yet delivered, the stream sequence of the last one delivered, and the stream's
   * last sequence (every message of any subject published before the call is at or below it).
   */
  position(): Promise<{ pending: number; lastDelivered: number; streamLast: number }>;
  /** Stops pulling, waits for in-flight handlers to settle, naks anything buffered. */
  stop(): Promise<void>;
}

export class Bus {
  readonly js: JetStreamClient;
  private readonly consumers = new Set<RunningConsumer>();

  private constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly ns: Namespace,
    private readonly log: Logger,
    private readonly metrics: Metrics | undefined,
    private readonly streamOptions: StreamOptions,
  ) {
    this.js = jetstream(nc);
  }

  static async create(
    nc: NatsConnection,
    options: { namespace?: string; log: Logger; metrics?: Metrics; streams?: StreamOptions },
  ): Promise<Bus> {
    const jsm = await jetstreamManager(nc);
    return new Bus(
      nc,
      jsm,
      new Namespace(options.namespace ?? ''),
      options.log,
      options.metrics,
      options.streams ?? {},
    );
  }

  /** Creates or reconciles streams (and always the dead-letter stream). */
  async declareStreams(...streams: StreamContract[]): Promise<void> {
    for (const stream of new Set([DeadLetterStream, ...streams])) {
      await declareStream(this.jsm, this.ns, stream, this.streamOptions);
    }
  }

  async publish<T, P extends string>(
    event: EventContract<T, P>,
    params: Record<P, string>,
    message: T,
    options: PublishOptions,
  ): Promise<PubAck> {
    return this.publishEncoded(
      {
        pattern: event.pattern,
        subject: event.subject(params),
        messageType: event.messageType,
        data: event.codec.encode(message).finish(),
      },
      options,
    );
  }

  /**
   * Publishes a message encoded earlier (the transactional outbox stores it so). Same headers
   * and span as `publish`; `options.headers` may carry the trace context of the original
   * change, which then becomes this span's parent.
   */
  async publishEncoded(
    message: { pattern: string; subject: string; messageType: string; data: Uint8Array },
    options: PublishOptions & { parent?: Context },
  ): Promise<PubAck> {
    return inSpan(
      `${message.pattern} publish`,
      {
        kind: SpanKind.PRODUCER,
        parent: options.parent,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': message.subject,
          'messaging.message.id': options.msgId,
        },
      },
      async () => {
        const h = natsHeaders();
        for (const [key, value] of Object.entries(options.headers ?? {})) h.set(key, value);
        h.set(H.CONTENT_TYPE, H.protobufContentType(message.messageType));
        injectTraceContext(hdrCarrier(h));
        try {
          const ack = await this.js.publish(this.ns.subject(message.subject), message.data, {
            msgID: options.msgId,
            headers: h,
          });
          this.metrics?.published.inc({ event: message.pattern, outcome: 'ok' });
          return ack;
        } catch (error) {
          this.metrics?.published.inc({ event: message.pattern, outcome: 'error' });
          throw error;
        }
      },
    );
  }

  /** Declares the durable consumer and starts handling messages until `stop()`. */
  async consume<T>(options: ConsumerOptions<T>): Promise<RunningConsumer> {
    const maxDeliveries = options.maxDeliveries ?? 5;
    const backoff = options.backoff ?? { initialMs: 1_000, maxMs: 60_000 };
    const ackWaitMs = options.ackWaitMs ?? 30_000;
    const concurrency = options.concurrency ?? 1;
    const streamName = this.ns.stream(options.event.stream);
    const filter = options.subjectFilter ?? options.event.pattern;
    if (!subjectFallsUnder(filter, options.event.pattern)) {
      throw new Error(
        `consumer ${options.durable}: ${filter} is not within ${options.event.pattern}`,
      );
    }
    // One delivery beyond the handler's attempts: if the process dies during the last
    // attempt, that extra delivery still reaches us and is dead-lettered, never dropped.
    await declareConsumer(this.jsm, streamName, {
      durable: options.durable,
      filterSubject: this.ns.subject(filter),
      deliverPolicy: options.startAt === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      maxDeliver: maxDeliveries + 1,
      ackWaitMs,
      maxAckPending: Math.max(concurrency * 2, 100),
    });
    const log = this.log.child({ consumer: options.durable });
    const consumer = await this.js.consumers.get(streamName, options.durable);
    const unwatch = this.metrics?.watchConsumer(options.durable, () =>
      this.jsm.consumers.info(streamName, options.durable),
    );

    let stopping = false;
    let messages: ConsumerMessages | undefined;
    const inFlight = new Set<Promise<void>>();

    const loop = (async () => {
      while (!stopping) {
        try {
          messages = await consumer.consume({ max_messages: Math.max(concurrency * 2, 10) });
          for await (const m of messages) {
            if (stopping) {
              m.nak(); // buffered but not started: give it back at once
              continue;
            }
            while (inFlight.size >= concurrency) await Promise.race(inFlight);
            const task = this.deliver(
              m,
              options,
              { maxDeliveries, backoff, ackWaitMs, confirmAcks: options.confirmAcks ?? true },
              log,
            ).finally(() => inFlight.delete(task));
            inFlight.add(task);
          }
        } catch (error) {
          if (stopping) break;
          log.warn({ err: error }, 'consume loop failed; re-consuming in 1 s');
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    })();

    const running: RunningConsumer = {
      durable: options.durable,
      position: async () => {
        const [consumerInfo, streamInfo] = await Promise.all([
          this.jsm.consumers.info(streamName, options.durable),
          this.jsm.streams.info(streamName),
        ]);
        return {
          pending: consumerInfo.num_pending,
          lastDelivered: consumerInfo.delivered.stream_seq,
          streamLast: streamInfo.state.last_seq,
        };
      },
      stop: async () => {
        stopping = true;
        unwatch?.();
        messages?.stop();
        await Promise.allSettled([...inFlight]);
        await loop;
        this.consumers.delete(running);
      },
    };
    this.consumers.add(running);
    return running;
  }

  private async deliver<T>(
    m: JsMsg,
    options: ConsumerOptions<T>,
    limits: {
      maxDeliveries: number;
      backoff: { initialMs: number; maxMs: number };
      ackWaitMs: number;
      confirmAcks: boolean;
    },
    log: Logger,
  ): Promise<void> {
    const parent = extractTraceContext(hdrCarrier(m.headers ?? natsHeaders()), context.active());
    const subject = this.ns.strip(m.subject);
    const delivery = m.info.deliveryCount;
    const started = performance.now();
    let outcome: Decision['kind'] = 'ack';
    await inSpan(
      `${options.event.pattern} process`,
      {
        kind: SpanKind.CONSUMER,
        parent,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': subject,
          'messaging.consumer.group.name': options.durable,
          'messaging.message.delivery_count': delivery,
        },
      },
      async (span) => {
        const decision = await this.decide(m, options, subject, delivery, limits, log);
        outcome = decision.kind;
        span.setAttribute('slimstad.decision', decision.kind);
        await this.settle(m, decision, options.durable, delivery, limits, log);
      },
    ).catch((error) => {
      // Settling failed (e.g. the dead-letter publish): leave the message unacked so the
      // server redelivers it after ack_wait; nothing is lost.
      outcome = 'retry';
      log.error({ err: error, subject }, 'could not settle message; it will be redelivered');
    });
    this.metrics?.handled.inc({ kind: 'nats', handler: options.durable, outcome });
    this.metrics?.duration.observe(
      { kind: 'nats', handler: options.durable },
      (performance.now() - started) / 1000,
    );
  }

  private async decide<T>(
    m: JsMsg,
    options: ConsumerOptions<T>,
    subject: string,
    delivery: number,
    limits: { maxDeliveries: number; ackWaitMs: number },
    log: Logger,
  ): Promise<Decision> {
    if (delivery > limits.maxDeliveries) {
      return {
        kind: 'dead-letter',
        reason: `no acknowledgement after ${limits.maxDeliveries} deliveries (handler crashed or timed out)`,
      };
    }
    const contentType = m.headers?.get(H.CONTENT_TYPE);
    const messageType = H.messageTypeOf(contentType);
    // `*`: a consumer of raw events of any type (alerting's event rules read subjects only).
    if (
      messageType &&
      options.event.messageType !== '*' &&
      messageType !== options.event.messageType
    ) {
      return {
        kind: 'dead-letter',
        reason: `unexpected message type ${messageType}, expected ${options.event.messageType}`,
      };
    }
    let message: T;
    try {
      message = options.event.codec.decode(m.data);
    } catch (error) {
      return {
        kind: 'dead-letter',
        reason: `undecodable ${options.event.messageType}: ${(error as Error).message}`,
      };
    }
    // Keep the server from redelivering while a slow handler is still at work.
    const keepAlive = setInterval(() => m.working(), Math.max(1_000, limits.ackWaitMs / 2));
    try {
      const decision = await options.handle(message, {
        subject,
        delivery,
        msgId: m.headers?.get(H.MSG_ID) || undefined,
        headers: m.headers ?? natsHeaders(),
        streamSequence: m.seq,
        log,
      });
      return decision ?? { kind: 'ack' };
    } catch (error) {
      trace.getActiveSpan()?.recordException(error as Error);
      return { kind: 'retry', reason: (error as Error).message || String(error) };
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async settle(
    m: JsMsg,
    decision: Decision,
    durable: string,
    delivery: number,
    limits: {
      maxDeliveries: number;
      backoff: { initialMs: number; maxMs: number };
      confirmAcks: boolean;
    },
    log: Logger,
  ): Promise<void> {
    if (decision.kind === 'ack') {
      // Wait for the server to confirm the ack: a message counts as handled only then.
      if (limits.confirmAcks) await m.ackAck();
      else m.ack();
      return;
    }
    if (decision.kind === 'retry' && delivery < limits.maxDeliveries) {
      const delay = decision.afterMs ?? backoffDelay(delivery, limits.backoff);
      log.warn(
        { subject: m.subject, delivery, delay, reason: decision.reason },
        'handler failed; retrying',
      );
      m.nak(delay);
      return;
    }
    const reason =
      decision.kind === 'retry'
        ? `failed ${delivery} times, last: ${decision.reason}`
        : decision.reason;
    await this.deadLetter(m, durable, delivery, reason);
    log.error({ subject: m.subject, delivery, reason }, 'message dead-lettered');
    m.term();
  }

  private async deadLetter(
    m: JsMsg,
    durable: string,
    delivery: number,
    reason: string,
  ): Promise<void> {
    const h = natsHeaders();
    for (const [key, values] of m.headers ?? []) {
      if (key === H.MSG_ID) continue;
      for (const value of values) h.append(key, value);
    }
    h.set(H.DEAD_LETTER_REASON, reason);
    h.set(H.DEAD_LETTER_SUBJECT, this.ns.strip(m.subject));
    h.set(H.DEAD_LETTER_STREAM, m.info.stream);
    h.set(H.DEAD_LETTER_SEQUENCE, String(m.seq));
    h.set(H.DEAD_LETTER_CONSUMER, durable);
    h.set(H.DEAD_LETTER_DELIVERIES, String(delivery));
    // Dedup on (stream, sequence): a retried dead-letter publish is stored once.
    await this.js.publish(this.ns.subject(`deadletter.${durable}`), m.data, {
      msgID: `dl:${m.info.stream}:${m.seq}`,
      headers: h,
    });
  }

  /** Stops every consumer (letting in-flight handlers finish), then drains the connection. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}

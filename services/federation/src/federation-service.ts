// The federation service of one city: applies the sharing policy (derives `share.…` from
// readings: raw for public devices, aggregated per zone or station, never personal), keeps
// its streams here and at the hub declared, and watches the links to its neighbours (lag,
// last activity, up/down/stalled as metrics, gRPC and `federation.link.<state>.<neighbour>`).
import { createHash } from 'node:crypto';
import { DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import {
  DeviceChanged,
  type EventContract,
  FederationEventsStream,
  FederationShareStream,
  HUB_INBOX_STREAM,
  HUB_SHARE_STREAM,
  LinkStateChangedEvent,
  NeighboursStream,
  ReadingBatchRecorded,
  ReadingRecorded,
  SharedAggregatePublished,
  SharedReadingPublished,
} from '@slimstad/contracts';
import {
  DataClassification,
  dataClassificationToJSON,
} from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  AggregateFunction,
  LinkState as LinkStateMessage,
} from '@slimstad/contracts/gen/slimstad/federation/v1/federation';
import type { Reading } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import {
  ack,
  type Bus,
  type Clock,
  type Logger,
  type Metrics,
  type RunningConsumer,
} from '@slimstad/kit';
import type { WindowValue } from './domain/aggregate.js';
import { type LinkState, linkState, type SourceStatus, SourceWatch } from './domain/link-health.js';
import {
  type Classification,
  mayLeave,
  neighboursOf,
  type Policy,
  type Share,
  shareSubject,
} from './domain/policy.js';
import {
  countsBy,
  ensureStream,
  hubInboxConfig,
  hubManager,
  hubShareConfig,
  neighboursConfig,
} from './streams.js';
import { memoryWindowStore, type WindowStore } from './windows.js';

export interface LinkView {
  neighbour: string;
  stream: string;
  direction: 'out' | 'in';
  state: LinkState;
  lag: number;
  lastActivityAt: number;
  reason: string;
}

export interface FederationSettings {
  /** Whether the city is in a region (a leaf node to the hub); false: derive locally only. */
  federated: boolean;
  /** Real ms between link checks. */
  linkCheckMs: number;
  /** Real ms a source may hold messages without moving before it counts as stalled. */
  stallAfterMs: number;
  /** Clock ms after a window's end before it is emitted (late readings still count). */
  windowGraceMs: number;
  /** Real ms between emissions of closed windows. */
  flushMs: number;
  /** What neighbours share with this city (from the region), for the inbound links. */
  inbound: ReadonlyMap<string, readonly string[]>;
  /**
   * Real ms a closed window waits at most for the readings consumers to acknowledge what the
   * stream held when it closed (default 5 minutes).
   */
  maxEmitWaitMs?: number;
}

export interface PolicySource {
  policy: Policy;
  text: string;
  loadedAt: number;
}

export interface Federation {
  policy(): PolicySource;
  /** Puts a validated policy in force at once (no restart); returns whether it changed. */
  setPolicy(next: PolicySource): boolean;
  links(): { hubUp: boolean; links: LinkView[] };
  /** One link check now (the timer does this every linkCheckMs). */
  checkLinks(): Promise<void>;
  /** Emits closed windows now (the timer does this every flushMs). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const CLASSIFICATION: Record<number, Classification> = {
  [DataClassification.DATA_CLASSIFICATION_PUBLIC]: 'public',
  [DataClassification.DATA_CLASSIFICATION_INTERNAL]: 'internal',
  [DataClassification.DATA_CLASSIFICATION_UNSPECIFIED]: 'internal',
  [DataClassification.DATA_CLASSIFICATION_PERSONAL]: 'personal',
};
const FUNCTION = {
  avg: AggregateFunction.AGGREGATE_FUNCTION_AVG,
  sum: AggregateFunction.AGGREGATE_FUNCTION_SUM,
  count: AggregateFunction.AGGREGATE_FUNCTION_COUNT,
  min: AggregateFunction.AGGREGATE_FUNCTION_MIN,
  max: AggregateFunction.AGGREGATE_FUNCTION_MAX,
} as const;
const STATE = {
  up: LinkStateMessage.LINK_STATE_UP,
  down: LinkStateMessage.LINK_STATE_DOWN,
  stalled: LinkStateMessage.LINK_STATE_STALLED,
} as const;
const TOKEN = /^[A-Za-z0-9_-]+$/;

export const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');

export async function startFederation(deps: {
  bus: Bus;
  city: string;
  policy: PolicySource;
  settings: FederationSettings;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Where open windows live; the service keeps them in its database (default: memory). */
  windows?: WindowStore;
}): Promise<Federation> {
  const { bus, city, settings, clock, log, metrics } = deps;
  let current = deps.policy;
  const devices = new Map<string, { classification: Classification; zone: string }>();
  const windows = deps.windows ?? memoryWindowStore(settings.windowGraceMs);
  const stops: (() => Promise<void>)[] = [];

  const shared = metrics.counter('shared_total', 'Messages derived onto share.…', [
    'stream',
    'granularity',
  ]);
  const withheld = metrics.counter(
    'withheld_total',
    'Readings a share did not let leave (personal, internal not aggregated, unknown device, no zone, late)',
    ['stream', 'reason'],
  );
  const lagGauge = metrics.gauge('lag_messages', 'Messages a source is behind its origin', [
    'neighbour',
    'stream',
    'direction',
  ]);
  const activityGauge = metrics.gauge(
    'last_activity_timestamp_seconds',
    'When a source last moved (unix seconds)',
    ['neighbour', 'stream', 'direction'],
  );
  const linkUp = metrics.gauge('link_up', '1 when the link to the neighbour is up', ['neighbour']);
  const linkStalled = metrics.gauge(
    'link_stalled',
    '1 when a source to or from the neighbour stalled',
    ['neighbour'],
  );
  const hubUpGauge = metrics.gauge('hub_up', '1 when the regional hub answers');
  const received = metrics.counter('received_total', 'Messages received from neighbours', [
    'neighbour',
    'stream',
  ]);

  await bus.declareStreams(FederationShareStream, FederationEventsStream);
  if (settings.federated) await ensureStream(bus.jsm, neighboursConfig());

  // The registry's description of devices (classification, zone), replayed at start-up from
  // SENSOR_DEVICES: a device not (yet) described is treated as personal — nothing of it leaves.
  const devicesReady = await replayDevices();

  async function replayDevices(): Promise<void> {
    // Ingest declares SENSOR_DEVICES: when both start together, wait for it (up to a minute)
    // rather than fail, as a city's services start in any order.
    const openDevices = () =>
      bus.js.consumers.get(bus.ns.stream(DeviceChanged.stream), {
        filter_subjects: bus.ns.subject('sensor.device.changed.>'),
        deliver_policy: DeliverPolicy.All,
      });
    let consumer: Awaited<ReturnType<typeof openDevices>> | undefined;
    for (let attempt = 1; !consumer; attempt++) {
      try {
        consumer = await openDevices();
      } catch (error) {
        if (!/stream not found/i.test(String(error)) || attempt >= 120) throw error;
        if (attempt === 1) log.info('waiting for the SENSOR_DEVICES stream (ingest declares it)');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const info = await consumer.info(true);
    let pending = info.num_pending;
    const messages = await consumer.consume();
    let resolveReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      resolveReady = resolve;
    });
    if (pending === 0) resolveReady();
    void (async () => {
      for await (const m of messages) {
        try {
          const changed = DeviceChanged.codec.decode(m.data);
          const d = changed.device;
          if (d) {
            devices.set(d.id, {
              classification: CLASSIFICATION[d.classification] ?? 'personal',
              zone: d.zone,
            });
          }
        } catch (error) {
          log.warn({ err: error, subject: m.subject }, 'undecodable device change ignored');
        }
        if (m.info.pending === 0 || --pending <= 0) resolveReady();
      }
    })();
    stops.push(async () => messages.stop());
    return ready;
  }

  function stripForSharing(r: Reading): Reading {
    // The adapter that delivered it is internal plumbing, not part of the open data.
    const { source: _source, channel: _channel, ...rest } = r;
    return rest as Reading;
  }

  async function handleReading(r: Reading, msgId: string | undefined): Promise<void> {
    const device = devices.get(r.deviceId);
    for (const share of current.policy.shares) {
      if (share.granularity === 'alerts' || !share.metrics.includes(r.metric)) continue;
      const why = mayLeave(share, device);
      if (why) {
        withheld.inc({ stream: share.name, reason: why });
        continue;
      }
      if (share.granularity === 'raw') {
        if (!TOKEN.test(r.deviceId)) continue;
        await bus.publish(
          SharedReadingPublished,
          { stream: share.name, device: r.deviceId },
          stripForSharing(r),
          {
            msgId: `raw:${city}:${share.name}:${msgId ?? `${r.deviceId}:${r.metric}:${r.observedAt?.getTime()}:${r.sequence}`}`,
          },
        );
        shared.inc({ stream: share.name, granularity: 'raw' });
      } else if (share.aggregate) {
        const key = share.aggregate.by === 'zone' ? (device?.zone ?? '') : r.deviceId;
        if (!TOKEN.test(key)) continue;
        const observedAtMs = r.observedAt?.getTime() ?? clock.now();
        const added = await windows.add(
          {
            stream: share.name,
            fn: share.aggregate.fn,
            windowSeconds: share.aggregate.windowSeconds,
          },
          {
            // A reading is its device, metric and time (as ingest stores it): a redelivery,
            // single or batched, counts once.
            id: `${r.deviceId}:${r.metric}:${observedAtMs}`,
            key,
            metric: r.metric,
            unit: r.unit,
            observedAtMs,
            value: r.value,
          },
        );
        if (added === 'late') withheld.inc({ stream: share.name, reason: 'late' });
      }
    }
  }

  async function publishWindow(w: WindowValue): Promise<void> {
    await bus.publish(
      SharedAggregatePublished,
      { stream: w.stream, key: w.key },
      {
        city,
        stream: w.stream,
        key: w.key,
        metric: w.metric,
        unit: w.unit,
        function: FUNCTION[w.fn],
        windowStart: new Date(w.windowStart),
        window: { seconds: BigInt(w.windowSeconds), nanos: 0 },
        value: w.value,
        count: BigInt(w.count),
        min: w.min,
        max: w.max,
      },
      { msgId: `agg:${city}:${w.stream}:${w.key}:${w.metric}:${w.windowStart}` },
    );
    shared.inc({ stream: w.stream, granularity: 'aggregated' });
  }

  await devicesReady;
  const consumers: RunningConsumer[] = [
    await bus.consume({
      event: ReadingRecorded,
      durable: 'federation--readings',
      handle: async (r, d) => {
        await handleReading(r, d.msgId);
        return ack();
      },
    }),
    await bus.consume({
      event: ReadingBatchRecorded,
      durable: 'federation--batches',
      handle: async (batch, d) => {
        for (const [i, r] of batch.readings.entries()) await handleReading(r, `${d.msgId}:${i}`);
        return ack();
      },
    }),
  ];

  // What neighbours send: counted per neighbour and stream, for the operators and metrics.
  if (settings.federated) {
    consumers.push(
      await bus.consume({
        event: NeighbourMessage,
        durable: 'federation--neighbours',
        handle: (_m, d) => {
          const [, neighbour = '?', stream = '?'] = d.subject.split('.');
          received.inc({ neighbour, stream });
          return ack();
        },
      }),
    );
  }

  // Link watching.
  const watches = new Map<string, SourceWatch>();
  const watch = (id: string) => {
    const w = watches.get(id) ?? new SourceWatch(settings.stallAfterMs);
    watches.set(id, w);
    return w;
  };
  let hubUp = false;
  let hubDeclared = false;
  let views: LinkView[] = [];
  const states = new Map<string, { state: LinkState; transitions: number }>();
  let hubJsm: JetStreamManager | undefined;

  async function checkLinks(): Promise<void> {
    if (!settings.federated) return;
    // Links are watched in real time: transport delays are real, whatever the city's clock.
    const now = Date.now();
    hubJsm ??= await hubManager(bus.nc);
    try {
      await hubJsm.getAccountInfo();
      if (!hubDeclared) {
        await ensureStream(hubJsm, hubInboxConfig(city));
        await ensureStream(hubJsm, hubShareConfig(city));
        hubDeclared = true;
      }
      hubUp = true;
    } catch (error) {
      if (hubUp) log.warn({ err: error }, 'regional hub not answering');
      hubUp = false;
      hubDeclared = false; // the hub may come back without our streams: check again
    }
    hubUpGauge.set(hubUp ? 1 : 0);
    const next: LinkView[] = [];
    const policy = current.policy;
    try {
      // Out: this city's SHARE (origin) → its SHARE at the hub (received), per shared stream.
      const streamOf = (s: string) => s.split('.')[1];
      const origin = await countsBy(bus.jsm, FederationShareStream.name, 'share.>', streamOf);
      const atHub = hubUp
        ? await countsBy(hubJsm, HUB_SHARE_STREAM, 'share.>', streamOf)
        : undefined;
      for (const share of policy.shares) {
        const key = share.granularity === 'alerts' ? 'alert' : share.name;
        for (const neighbour of share.to) {
          const status = watch(`out.${key}`).observe(
            { origin: origin.get(key) ?? 0, received: atHub?.get(key) ?? 0 },
            now,
          );
          next.push(view(neighbour, share.name, 'out', status, hubUp));
        }
      }
      // In: the neighbour's data in this city's INBOX at the hub → NEIGHBOURS here.
      const pair = (s: string) => s.split('.').slice(1, 3).join('.');
      const local = await countsBy(bus.jsm, NeighboursStream.name, 'neighbour.>', pair);
      const inbox = hubUp
        ? await countsBy(hubJsm, HUB_INBOX_STREAM, 'neighbour.>', pair)
        : undefined;
      for (const [neighbour, streams] of settings.inbound) {
        for (const stream of streams) {
          const key = `${neighbour}.${stream}`;
          const w = watch(`in.${key}`);
          const status = w.observe(
            // While the hub is away the origin is unknown: assume what we have.
            { origin: inbox?.get(key) ?? local.get(key) ?? 0, received: local.get(key) ?? 0 },
            now,
          );
          next.push(view(neighbour, stream, 'in', status, hubUp));
        }
      }
    } catch (error) {
      log.warn({ err: error }, 'link check incomplete');
      return;
    }
    views = next;
    for (const v of next) {
      const labels = { neighbour: v.neighbour, stream: v.stream, direction: v.direction };
      lagGauge.set(labels, v.lag);
      activityGauge.set(labels, Math.floor(v.lastActivityAt / 1000));
    }
    const neighbours = new Set([...neighboursOf(policy), ...settings.inbound.keys()]);
    for (const neighbour of neighbours) {
      const mine = next.filter((v) => v.neighbour === neighbour);
      const state = linkState(hubUp, mine.map(toStatus));
      linkUp.set({ neighbour }, state === 'down' ? 0 : 1);
      linkStalled.set({ neighbour }, state === 'stalled' ? 1 : 0);
      await transition(neighbour, state, mine);
    }
  }

  function view(
    neighbour: string,
    stream: string,
    direction: 'out' | 'in',
    s: SourceStatus,
    up: boolean,
  ): LinkView {
    const state: LinkState = !up ? 'down' : s.stalled ? 'stalled' : 'up';
    const reason = !up
      ? 'hub not answering'
      : s.stalled
        ? `${direction === 'out' ? 'share' : 'neighbour'} ${stream} stalled ${s.lag} behind`
        : '';
    return {
      neighbour,
      stream,
      direction,
      state,
      lag: s.lag,
      lastActivityAt: s.lastActivityAt,
      reason,
    };
  }
  const toStatus = (v: LinkView): SourceStatus => ({
    lag: v.lag,
    lastActivityAt: v.lastActivityAt,
    stalled: v.state === 'stalled',
  });

  async function transition(neighbour: string, state: LinkState, mine: LinkView[]): Promise<void> {
    const before = states.get(neighbour);
    if (before?.state === state || (!before && state === 'up')) {
      if (!before) states.set(neighbour, { state, transitions: 0 });
      return;
    }
    const transitions = (before?.transitions ?? 0) + 1;
    const worst = mine.find((v) => v.state === state);
    try {
      await bus.publish(
        LinkStateChangedEvent,
        { state, neighbour },
        {
          city,
          neighbour,
          state: STATE[state],
          previous: before ? STATE[before.state] : LinkStateMessage.LINK_STATE_UNSPECIFIED,
          reason: worst?.reason ?? '',
          stream: state === 'stalled' ? (worst?.stream ?? '') : '',
          lagMessages: BigInt(worst?.lag ?? 0),
          observedAt: new Date(),
        },
        { msgId: `link:${city}:${neighbour}:${Date.now()}:${transitions}` },
      );
      states.set(neighbour, { state, transitions });
      log.warn(
        { neighbour, state, previous: before?.state, reason: worst?.reason },
        'federation link changed',
      );
    } catch (error) {
      log.error(
        { err: error, neighbour, state },
        'link state event not published; retried next check',
      );
    }
  }

  // A closed window is emitted once the readings consumers have acknowledged everything the
  // stream held for them when it closed: a reading still in flight — the backlog of an outage,
  // one a crashed process or a lost connection left unacknowledged, which comes back after its
  // ack wait — delays the aggregate instead of arriving after it, late. Per consumer, what it
  // held is the last message delivered to it once nothing was pending (its own view of the
  // stream, as its filter sees it).
  const readingsStream = bus.ns.stream(ReadingRecorded.stream);
  const durables = ['federation--readings', 'federation--batches'];
  const closedAt = new Map<string, { held: (number | undefined)[]; since: number }>();
  const windowKey = (w: WindowValue) => `${w.stream}|${w.key}|${w.metric}|${w.windowStart}`;

  async function flush(): Promise<void> {
    const consumers = await Promise.all(
      durables.map((d) => bus.jsm.consumers.info(readingsStream, d)),
    );
    const maxWait = settings.maxEmitWaitMs ?? 300_000;
    await windows.emitClosed(
      clock.now(),
      (w) => {
        const key = windowKey(w);
        const closed = closedAt.get(key) ?? {
          held: durables.map(() => undefined),
          since: Date.now(),
        };
        closedAt.set(key, closed);
        const done = consumers.every((c, i) => {
          // Idle: everything stored until now is delivered and acknowledged.
          if (c.num_pending === 0 && c.num_ack_pending === 0) return true;
          closed.held[i] ??= c.num_pending === 0 ? c.delivered.stream_seq : undefined;
          const held = closed.held[i];
          return held !== undefined && c.ack_floor.stream_seq >= held;
        });
        if (done) return true;
        if (Date.now() - closed.since < maxWait) return false;
        log.warn(
          { window: key, held: closed.held },
          'readings still unacknowledged after the longest wait; window emitted without them',
        );
        return true;
      },
      async (w) => {
        await publishWindow(w);
        closedAt.delete(windowKey(w));
      },
    );
  }

  // One at a time, whoever asks (timers, the API, tests): transitions are published once.
  const serial = (what: string, f: () => Promise<void>) => {
    let chain = Promise.resolve();
    return () => {
      chain = chain.then(f).catch((error) => log.warn({ err: error }, `${what} failed`));
      return chain;
    };
  };
  const checkLinksOnce = serial('link check', checkLinks);
  const flushOnce = serial('window flush', flush);
  let linkTimer: NodeJS.Timeout | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  const schedule = () => {
    linkTimer = setTimeout(
      () => void checkLinksOnce().then(() => !stopped && schedule()),
      settings.linkCheckMs,
    );
  };
  const scheduleFlush = () => {
    flushTimer = setTimeout(
      () => void flushOnce().then(() => !stopped && scheduleFlush()),
      settings.flushMs,
    );
  };
  let stopped = false;
  void checkLinksOnce();
  schedule();
  scheduleFlush();

  log.info(
    {
      city,
      federated: settings.federated,
      shares: current.policy.shares.map(
        (s) => `${shareSubject(s)} → ${s.to.join(',') || '(nobody)'}`,
      ),
      devices: devices.size,
    },
    'federation started',
  );

  return {
    policy: () => current,
    setPolicy(next) {
      const changed = digestOf(next.text) !== digestOf(current.text);
      current = next;
      windows
        .retain(new Set(next.policy.shares.map((s) => s.name)))
        .catch((error: unknown) => log.warn({ err: error }, 'could not drop retired windows'));
      log.info(
        { shares: next.policy.shares.map((s: Share) => s.name), changed },
        'sharing policy in force',
      );
      return changed;
    },
    links: () => ({ hubUp, links: views }),
    checkLinks: checkLinksOnce,
    flush: flushOnce,
    async stop() {
      stopped = true;
      clearTimeout(linkTimer);
      clearTimeout(flushTimer);
      for (const c of consumers) await c.stop();
      for (const s of stops) await s();
    },
  };
}

/**
 * Any message of a neighbour (`neighbour.<city>.<stream>.<key>`): counted, not decoded (its
 * type depends on the stream; consumers such as alerting decode what they match).
 */
const NeighbourMessage: EventContract<Uint8Array> = {
  messageType: 'application/octet-stream',
  codec: {
    encode: () => {
      throw new Error('neighbour messages are never published here');
    },
    decode: (input: Uint8Array) => input,
    fromPartial: (x: never) => x as Uint8Array,
  },
  template: 'neighbour.>',
  pattern: 'neighbour.>',
  stream: NeighboursStream,
  subject: () => {
    throw new Error('no subject');
  },
};

export { dataClassificationToJSON };

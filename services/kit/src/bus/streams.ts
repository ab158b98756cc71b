// Declares streams and durable consumers in code, idempotently: start-up creates what is
// missing and brings what drifted back to the declared configuration.
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { StreamContract } from '@slimstad/contracts';
import type { Namespace } from './namespace.js';

export interface StreamOptions {
  /** Replicas per stream: 1 on one machine, 3 in a clustered deployment. */
  replicas?: number;
}

// `code` is JetStream's error code (e.g. 10059 stream not found); `status` the HTTP-like one.
const isNotFound = (error: unknown) => error instanceof JetStreamApiError && error.status === 404;

export async function declareStream(
  jsm: JetStreamManager,
  ns: Namespace,
  stream: StreamContract,
  options: StreamOptions = {},
): Promise<void> {
  const config = {
    name: ns.stream(stream),
    description: stream.description,
    subjects: stream.subjects.map((s) => ns.subject(s)),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: stream.discard === 'new' ? DiscardPolicy.New : DiscardPolicy.Old,
    max_bytes: stream.maxBytes ?? -1,
    max_age: nanos(stream.maxAgeSeconds * 1000),
    duplicate_window: nanos(stream.duplicateWindowSeconds * 1000),
    num_replicas: options.replicas ?? 1,
  };
  try {
    const existing = await jsm.streams.info(config.name);
    const drifted =
      existing.config.max_age !== config.max_age ||
      existing.config.duplicate_window !== config.duplicate_window ||
      existing.config.subjects.join() !== config.subjects.join() ||
      existing.config.description !== config.description ||
      existing.config.max_bytes !== config.max_bytes ||
      existing.config.discard !== config.discard;
    if (drifted) await jsm.streams.update(config.name, config);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.streams.add(config);
  }
}

export interface DurableConsumerSpec {
  /** `<service>--<purpose>`, e.g. `lighting--presence`. */
  durable: string;
  filterSubject: string;
  /** Deliveries the server makes at most (the kit adds one for the crash case, see consumer.ts). */
  maxDeliver: number;
  ackWaitMs: number;
  maxAckPending: number;
  deliverPolicy?: DeliverPolicy;
}

export async function declareConsumer(
  jsm: JetStreamManager,
  streamName: string,
  spec: DurableConsumerSpec,
): Promise<void> {
  const config = {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: spec.deliverPolicy ?? DeliverPolicy.All,
    filter_subject: spec.filterSubject,
    max_deliver: spec.maxDeliver,
    ack_wait: nanos(spec.ackWaitMs),
    max_ack_pending: spec.maxAckPending,
  };
  try {
    const existing = await jsm.consumers.info(streamName, spec.durable);
    const drifted =
      existing.config.max_deliver !== config.max_deliver ||
      existing.config.ack_wait !== config.ack_wait ||
      existing.config.max_ack_pending !== config.max_ack_pending ||
      existing.config.filter_subject !== config.filter_subject;
    if (drifted) {
      const { durable_name: _, deliver_policy: __, ...updatable } = config;
      await jsm.consumers.update(streamName, spec.durable, updatable);
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.consumers.add(streamName, config);
  }
}

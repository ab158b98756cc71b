// Federation on the bus. Inside a city, what it shares is derived under
// `share.<stream>.agg.<key>` (aggregates) and `share.<stream>.raw.<device>` (raw readings) —
// stream SHARE, owned by the federation service; alerting publishes public CAP warnings on
// `share.alert.cap` into it. What neighbours share arrives as `neighbour.<city>.<stream>.…`
// in NEIGHBOURS, a stream sourced from the regional hub (no subjects of its own, so nobody in
// the city can publish into it). Link state changes go on `federation.link.<state>.<neighbour>`.

import {
  protobufPackage as federationPackage,
  LinkStateChanged as LinkStateChangedMessage,
  SharedAggregate as SharedAggregateMessage,
} from '../gen/slimstad/federation/v1/federation.js';
import { Reading, protobufPackage as sensorPackage } from '../gen/slimstad/sensor/v1/reading.js';
import { defineEvent, type EventContract, type StreamContract } from './contract.js';

const DAY = 24 * 60 * 60;

/** The JetStream domain of the regional hub (the renderer gives every hub this domain). */
export const HUB_DOMAIN = 'hub';

/**
 * What the city shares. Kept a week so a hub or link outage of days delays data but loses
 * none; the hub sources it from here. A redelivered message within the hour is dropped.
 */
export const FederationShareStream: StreamContract = {
  name: 'SHARE',
  subjects: ['share.>'],
  description:
    'Shared streams share.<stream>.agg.<key> and share.<stream>.raw.<device> derived by the federation policy, and public CAP warnings share.alert.cap.',
  maxAgeSeconds: 7 * DAY,
  duplicateWindowSeconds: 60 * 60,
};

/**
 * What neighbours share, as `neighbour.<city>.<stream>.<key>`: sourced from this city's
 * INBOX at the hub, so it has no subjects (declared by the federation service, not the kit).
 */
export const NeighboursStream: StreamContract = {
  name: 'NEIGHBOURS',
  subjects: [],
  description: "Neighbours' shared streams neighbour.<city>.<stream>.<key>, sourced from the hub.",
  maxAgeSeconds: 7 * DAY,
  duplicateWindowSeconds: 60 * 60,
};

/** Link state changes, for alerting and the control room. */
export const FederationEventsStream: StreamContract = {
  name: 'FEDERATION_EVENTS',
  subjects: ['federation.>'],
  description: 'Link state changes federation.link.<up|down|stalled>.<neighbour>.',
  maxAgeSeconds: 30 * DAY,
  duplicateWindowSeconds: 120,
};

/** At the hub, in each city's account: the city's SHARE sourced, republished as `region.<city>.>`. */
export const HUB_SHARE_STREAM = 'SHARE';
/** At the hub, in each city's account: what neighbours export to it, imported as `neighbour.>`. */
export const HUB_INBOX_STREAM = 'INBOX';

/** Public CAP warnings from alerting: passed to neighbours unchanged (alerting's message). */
export const SHARED_ALERT_SUBJECT = 'share.alert.cap';

/** The subject a city's shared subject has at its neighbours: `share.x.y` → `neighbour.<city>.x.y`. */
export function neighbourSubject(city: string, sharedSubject: string): string {
  if (!sharedSubject.startsWith('share.')) {
    throw new Error(`${sharedSubject} is not a shared subject (share.…)`);
  }
  return `neighbour.${city}.${sharedSubject.slice('share.'.length)}`;
}

/** An aggregated value of a shared stream (per zone or station and window). */
export const SharedAggregatePublished: EventContract<SharedAggregateMessage, 'stream' | 'key'> =
  defineEvent({
    messageType: `${federationPackage}.SharedAggregate`,
    codec: SharedAggregateMessage,
    template: 'share.{stream}.agg.{key}',
    stream: FederationShareStream,
  });

/** A raw reading of a public device, shared as ingest recorded it (adapter source removed). */
export const SharedReadingPublished: EventContract<Reading, 'stream' | 'device'> = defineEvent({
  messageType: `${sensorPackage}.Reading`,
  codec: Reading,
  template: 'share.{stream}.raw.{device}',
  stream: FederationShareStream,
});

/** A link to a neighbour changed state: `state` is `up`, `down` or `stalled`. */
export const LinkStateChangedEvent: EventContract<LinkStateChangedMessage, 'state' | 'neighbour'> =
  defineEvent({
    messageType: `${federationPackage}.LinkStateChanged`,
    codec: LinkStateChangedMessage,
    template: 'federation.link.{state}.{neighbour}',
    stream: FederationEventsStream,
  });

export const federationStreams: readonly StreamContract[] = [
  FederationShareStream,
  FederationEventsStream,
];
export const federationEvents: readonly EventContract<unknown>[] = [
  SharedAggregatePublished,
  SharedReadingPublished,
  LinkStateChangedEvent,
];

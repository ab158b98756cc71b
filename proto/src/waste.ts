// Waste on the bus: overflow risks (for alerting), planned routes and emptied bins, all
// emitted by the waste service. Subjects start with `waste.`; `<stream>` is a waste-stream
// token (`residual`, `paper`, `glass`, `pmd`, `organic`, see `wasteStreamToken`) and `<bin>`
// a bin id.
import {
  BinEmptied as BinEmptiedMessage,
  OverflowRiskRaised as OverflowRiskRaisedMessage,
  RoutePlanned as RoutePlannedMessage,
} from '../gen/slimstad/waste/v1/events.js';
import { WasteStream, protobufPackage as wastePackage } from '../gen/slimstad/waste/v1/waste.js';
import { defineEvent, type EventContract, type StreamContract } from './contract.js';
import { enumToken } from './tokens.js';

const DAY = 24 * 60 * 60;

/** Everything the waste service tells the city. Kept 30 days (a month of rounds). */
export const WasteEventsStream: StreamContract = {
  name: 'WASTE_EVENTS',
  subjects: ['waste.overflow.>', 'waste.route.>', 'waste.bin.>'],
  description:
    'Overflow risks waste.overflow.risk.<stream>.<bin>, planned routes waste.route.planned.<stream> and emptied bins waste.bin.emptied.<bin>.',
  maxAgeSeconds: 30 * DAY,
  duplicateWindowSeconds: 120,
};

/**
 * A bin is predicted to overflow before its next possible visit; raised once per fill cycle.
 * `Nats-Msg-Id`: `waste:<outbox id>`.
 */
export const OverflowRiskRaised: EventContract<OverflowRiskRaisedMessage, 'stream' | 'bin'> =
  defineEvent({
    messageType: `${wastePackage}.OverflowRiskRaised`,
    codec: OverflowRiskRaisedMessage,
    template: 'waste.overflow.risk.{stream}.{bin}',
    stream: WasteEventsStream,
  });

/** Routes of one stream and shift were planned (or re-planned). */
export const RoutePlanned: EventContract<RoutePlannedMessage, 'stream'> = defineEvent({
  messageType: `${wastePackage}.RoutePlanned`,
  codec: RoutePlannedMessage,
  template: 'waste.route.planned.{stream}',
  stream: WasteEventsStream,
});

/** A bin was emptied (a fill drop or a truck's confirmation). */
export const BinEmptied: EventContract<BinEmptiedMessage, 'bin'> = defineEvent({
  messageType: `${wastePackage}.BinEmptied`,
  codec: BinEmptiedMessage,
  template: 'waste.bin.emptied.{bin}',
  stream: WasteEventsStream,
});

export const wasteStreams: readonly StreamContract[] = [WasteEventsStream];

export const wasteEvents: readonly EventContract<unknown>[] = [
  OverflowRiskRaised,
  RoutePlanned,
  BinEmptied,
];

/** The subject token of a waste stream: `WASTE_STREAM_PMD` → `pmd`. */
export function wasteStreamToken(stream: WasteStream): string {
  return enumToken(WasteStream, 'WASTE_STREAM_', stream);
}

// The headers every Slimstad event carries, and the ones a dead letter adds.
// `Nats-Msg-Id` is JetStream's dedup key; `traceparent`/`tracestate` are W3C trace context.

export const MSG_ID = 'Nats-Msg-Id';
export const CONTENT_TYPE = 'Content-Type';
export const DEAD_LETTER_REASON = 'Slimstad-Failure-Reason';
export const DEAD_LETTER_SUBJECT = 'Slimstad-Original-Subject';
export const DEAD_LETTER_STREAM = 'Slimstad-Original-Stream';
export const DEAD_LETTER_SEQUENCE = 'Slimstad-Original-Sequence';
export const DEAD_LETTER_CONSUMER = 'Slimstad-Consumer';
export const DEAD_LETTER_DELIVERIES = 'Slimstad-Deliveries';

/** `application/protobuf; proto=slimstad.sensor.v1.Reading` */
export const protobufContentType = (messageType: string) =>
  `application/protobuf; proto=${messageType}`;

export function messageTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.match(/;\s*proto=([\w.]+)/)?.[1];
}

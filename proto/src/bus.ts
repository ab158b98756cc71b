// Streams that belong to the bus itself rather than to one domain.
import type { StreamContract } from './contract.js';

const DAY = 24 * 60 * 60;

/**
 * Where messages go that no handler could process. When a durable consumer's message
 * exhausts its deliveries (or cannot even be decoded), the kit republishes it to
 * `deadletter.<durable>` unchanged — same payload, same `Content-Type`, `Nats-Msg-Id` and
 * trace headers — adding headers that name the failure reason, the original subject and
 * stream, and the number of deliveries. Operators inspect and replay from here; messages are
 * kept long enough to notice and fix the cause.
 */
export const DeadLetterStream: StreamContract = {
  name: 'DEAD_LETTER',
  subjects: ['deadletter.>'],
  description:
    'Messages that exhausted their deliveries, per durable consumer (deadletter.<durable>).',
  maxAgeSeconds: 30 * DAY,
  duplicateWindowSeconds: 120,
};

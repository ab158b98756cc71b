// How readings enter ingest: every edge (MQTT, HTTP webhooks, gRPC) hands its readings to the
// intake stream and answers its client only once JetStream stored them. From there the intake
// consumer validates and stores them, whether Postgres is up or not. Rejections found at an
// edge (bad secret, malformed or oversized payload, unknown network id) are published as
// ReadingRejected events, which the quarantine consumer keeps.
import { createHash } from 'node:crypto';
import { JetStreamApiError } from '@nats-io/jetstream';
import { ReadingBatchSubmitted, ReadingRejected, rejectionReasonToken } from '@slimstad/contracts';
import type {
  Reading,
  ReadingRejected as ReadingRejectedMessage,
  RejectionReason,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { Bus } from '@slimstad/kit';

/** The intake buffer is full: the edge should tell its client to back off and retry. */
export class IntakeFullError extends Error {
  constructor(readonly retryAfterSeconds = 5) {
    super('ingest intake buffer is full; retry later');
    this.name = 'IntakeFullError';
  }
}

export interface EdgeRejection {
  reason: RejectionReason;
  detail: string;
  source: string;
  deviceId?: string;
  /** The raw payload as received (kept in quarantine for replay), when there is one. */
  payload?: Uint8Array;
  reading?: Reading;
}

/** A stable id for a rejection, so a retried publish is stored once. */
export function rejectionId(r: EdgeRejection, receivedAt: Date): string {
  const hash = createHash('sha256');
  hash.update(`${r.source}|${r.reason}|${r.deviceId ?? ''}|${receivedAt.getTime()}|${r.detail}|`);
  if (r.payload) hash.update(r.payload);
  return hash.digest('hex').slice(0, 32);
}

export class IntakePublisher {
  constructor(private readonly bus: Bus) {}

  /**
   * Submits readings from one edge delivery. Resolves once JetStream stored them; rejects
   * with IntakeFullError when the bounded intake refuses more (back-pressure, not loss).
   * `batchId` must identify the delivery (e.g. the uplink id), so a retry is stored once.
   */
  async submit(source: string, batchId: string, readings: Reading[]): Promise<void> {
    try {
      await this.bus.publish(
        ReadingBatchSubmitted,
        { source },
        { source, batchId, readings },
        { msgId: `${source}:${batchId}` },
      );
    } catch (error) {
      if (isStreamFull(error)) throw new IntakeFullError();
      throw error;
    }
  }

  async reject(rejection: EdgeRejection, receivedAt = new Date()): Promise<string> {
    const quarantineId = rejectionId(rejection, receivedAt);
    const message: ReadingRejectedMessage = {
      quarantineId,
      reason: rejection.reason,
      detail: rejection.detail,
      source: rejection.source,
      deviceId: rejection.deviceId ?? '',
      payload: Buffer.from(rejection.payload ?? new Uint8Array()),
      receivedAt,
      reading: rejection.reading,
    };
    await this.bus.publish(
      ReadingRejected,
      { reason: rejectionReasonToken(rejection.reason) },
      message,
      { msgId: `rejected:${quarantineId}` },
    );
    return quarantineId;
  }
}

// JetStream answers a publish to a full `discard: new` stream with an API error
// ("maximum bytes exceeded", "maximum messages exceeded").
function isStreamFull(error: unknown): boolean {
  return (
    (error instanceof JetStreamApiError && /maximum (bytes|messages)/i.test(error.message)) ||
    /maximum (bytes|messages) exceeded/i.test(String((error as Error)?.message))
  );
}

// Gateways that speak gRPC: IngestService.PushReadings. Each report is one short stream (one
// request, its per-reading results), so every call carries a fresh bearer token and no stream
// outlives the token.
import * as grpc from '@grpc/grpc-js';
import {
  IngestServiceClient,
  type PushReadingsResponse,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { createClient, statusName } from '@slimstad/kit';
import { grpcReadings, type Uplink } from '../domain/payloads.js';
import type { SendResult, Way } from './way.js';

const CALL_TIMEOUT_MS = 10_000;

export function grpcPushWay(options: { address: string; token: () => Promise<string> }): Way {
  const client = createClient(IngestServiceClient, options.address);
  return {
    name: 'grpc',
    async send(uplink: Uplink): Promise<SendResult> {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${await options.token()}`);
      const call = client.pushReadings(metadata, { deadline: Date.now() + CALL_TIMEOUT_MS });
      return new Promise<SendResult>((resolve) => {
        let response: PushReadingsResponse | undefined;
        let settled = false;
        const settle = (result: SendResult) => {
          if (settled) return;
          settled = true;
          resolve(result);
        };
        call.on('data', (r: PushReadingsResponse) => {
          response = r;
        });
        call.on('error', (error: grpc.ServiceError) =>
          settle({
            ok: false,
            outcome: 'failed',
            detail: `${statusName(error.code)}: ${error.details}`,
          }),
        );
        call.on('status', () => {
          if (!response) {
            settle({ ok: false, outcome: 'failed', detail: 'stream ended without an answer' });
          } else if (response.rejectedCount > 0) {
            const refused = response.results.filter((r) => !r.accepted);
            settle({
              ok: false,
              outcome: 'refused',
              detail: refused
                .map(
                  (r) => `${RejectionReason[r.rejectionReason] ?? r.rejectionReason}: ${r.detail}`,
                )
                .join('; '),
            });
          } else settle({ ok: true });
        });
        call.write({
          clientRef: `${uplink.device.id}-${uplink.sequence}`,
          readings: grpcReadings(uplink),
        });
        call.end();
      });
    },
    close: async () => client.close(),
  };
}

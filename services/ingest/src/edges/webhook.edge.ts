// The HTTP webhook edge for LoRaWAN network servers: ChirpStack's HTTP integration and The
// Things Stack's webhooks. Each integration has its own bearer secret; a delivery is answered
// 202 only once its readings are stored in JetStream, and every refusal is quarantined with
// its reason (and the payload, for replay) before the answer goes out.
//
//   202 accepted (stored)    400 malformed     401 bad secret     413 oversized
//   422 unknown device       503 intake full or bus unavailable (Retry-After)
//   204 an event or message type that carries no readings
import { createHash, timingSafeEqual } from 'node:crypto';
import { rejectionReasonToken } from '@slimstad/contracts';
import { RejectionReason } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import type { Logger, Metrics } from '@slimstad/kit';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DeviceDirectory } from '../domain/device.js';
import { IntakeFullError } from '../events/intake.publisher.js';
import { CHIRPSTACK_SOURCE, parseChirpstackUplinkValue } from './chirpstack.js';
import {
  type DeliveryOutcome,
  deliver,
  type EdgeParseResult,
  edgeMetrics,
  type Intake,
  malformed,
  parseJson,
} from './common.js';
import { isTtsNonUplink, parseTtsUplinkValue, TTS_SOURCE } from './things-stack.js';

export interface WebhookEdgeOptions {
  port: number;
  /** Interface to listen on; default 0.0.0.0. */
  host?: string;
  /** Bearer secret per integration: `chirpstack`, `tts` (WEBHOOK_SECRETS). */
  secrets: ReadonlyMap<string, string>;
  /** Larger bodies are answered 413 and quarantined as OVERSIZED. */
  maxPayloadBytes: number;
  directory: DeviceDirectory;
  intake: Intake;
  log: Logger;
  metrics: Metrics;
}

export interface WebhookEdge {
  /** The bound port (useful with port 0). */
  port: number;
  /** Stops accepting, lets requests in progress finish. */
  close(): Promise<void>;
}

interface Integration {
  name: 'chirpstack' | 'tts';
  path: string;
  source: string;
  edge: string;
  parse(value: unknown, directory: DeviceDirectory): EdgeParseResult;
}

const INTEGRATIONS: readonly Integration[] = [
  {
    name: 'chirpstack',
    path: '/webhooks/chirpstack',
    source: CHIRPSTACK_SOURCE,
    edge: 'webhook_chirpstack',
    parse: parseChirpstackUplinkValue,
  },
  {
    name: 'tts',
    path: '/webhooks/tts',
    source: TTS_SOURCE,
    edge: 'webhook_tts',
    parse: parseTtsUplinkValue,
  },
];

type AuthResult = { ok: true } | { ok: false; why: string };

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Starts the webhook server.
 *
 * @example
 * const webhooks = await startWebhookEdge({ port: config.HTTP_PORT, host: config.LISTEN_HOST,
 *   secrets: config.WEBHOOK_SECRETS, maxPayloadBytes: config.INGEST_MAX_PAYLOAD_BYTES,
 *   directory, intake, log: runtime.log, metrics: runtime.metrics });
 * runtime.shutdown.add('webhook edge', webhooks.close);
 */
export async function startWebhookEdge(options: WebhookEdgeOptions): Promise<WebhookEdge> {
  const log = options.log.child({ edge: 'webhook' });
  const m = edgeMetrics(options.metrics);
  // Compared as SHA-256 digests: equal lengths for timingSafeEqual, and no early exit that
  // would tell a caller how much of a guess was right.
  const expected = new Map([...options.secrets].map(([name, secret]) => [name, sha256(secret)]));
  for (const integration of INTEGRATIONS) {
    if (!expected.has(integration.name)) {
      log.warn(
        { integration: integration.name, path: integration.path },
        `no webhook secret for ${integration.name}: POST ${integration.path} answers 401 until WEBHOOK_SECRETS has ${integration.name}=<secret>`,
      );
    }
  }

  const authenticate = (integration: Integration, header: string | undefined): AuthResult => {
    const want = expected.get(integration.name);
    if (!want) return { ok: false, why: `no secret is configured for ${integration.name}` };
    if (!header) return { ok: false, why: 'missing Authorization header' };
    const match = /^Bearer[ \t]+(\S.*)$/i.exec(header);
    if (!match?.[1]) return { ok: false, why: "Authorization must be 'Bearer <secret>'" };
    if (!timingSafeEqual(sha256(match[1].trim()), want)) return { ok: false, why: 'wrong secret' };
    return { ok: true };
  };

  const app = Fastify({
    // Our own log lines only: fastify's request logs would carry headers (the secrets).
    logger: false,
    bodyLimit: options.maxPayloadBytes,
    requestTimeout: 30_000,
  });
  // Every body as raw bytes: the payload is kept for the quarantine even when it is not JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  /** Publishes a refusal and answers with its status; 503 when even that cannot be stored. */
  async function refuse(
    reply: FastifyReply,
    integration: Integration,
    status: number,
    rejection: Extract<EdgeParseResult, { ok: false }>,
    payload: Uint8Array | undefined,
  ) {
    let outcome: DeliveryOutcome;
    try {
      outcome = await deliver(options.intake, integration.source, rejection, payload);
    } catch (error) {
      return unavailable(reply, integration, error);
    }
    return answer(reply, integration, outcome, status);
  }

  function answer(
    reply: FastifyReply,
    integration: Integration,
    outcome: DeliveryOutcome,
    status?: number,
  ) {
    if (outcome.kind === 'accepted') {
      m.deliveries.inc({ edge: integration.edge, outcome: 'accepted' });
      m.readings.inc({ edge: integration.edge }, outcome.count);
      return reply.code(202).send({ accepted: outcome.count });
    }
    const reason = rejectionReasonToken(outcome.reason);
    m.deliveries.inc({ edge: integration.edge, outcome: reason });
    log.info(
      {
        integration: integration.name,
        reason,
        detail: outcome.detail,
        quarantine_id: outcome.quarantineId,
      },
      'webhook delivery rejected and quarantined',
    );
    const code = status ?? statusFor(outcome.reason);
    if (code === 401) reply.header('www-authenticate', 'Bearer realm="slimstad-ingest"');
    return reply.code(code).send({
      error: reason.toUpperCase(),
      detail: outcome.detail,
      quarantineId: outcome.quarantineId,
    });
  }

  function unavailable(reply: FastifyReply, integration: Integration, error: unknown) {
    m.deliveries.inc({ edge: integration.edge, outcome: 'unavailable' });
    if (error instanceof IntakeFullError) {
      log.warn({ integration: integration.name }, 'intake is full; answering 503');
      return reply.code(503).header('retry-after', String(error.retryAfterSeconds)).send({
        error: 'INTAKE_FULL',
        detail: error.message,
        retryAfterSeconds: error.retryAfterSeconds,
      });
    }
    log.error({ err: error, integration: integration.name }, 'could not store the delivery');
    return reply.code(503).header('retry-after', '5').send({
      error: 'UNAVAILABLE',
      detail: 'the delivery could not be stored; retry later',
      retryAfterSeconds: 5,
    });
  }

  for (const integration of INTEGRATIONS) {
    app.post<{ Querystring: { event?: string } }>(integration.path, async (request, reply) => {
      const payload = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const auth = authenticate(integration, request.headers.authorization);
      // ChirpStack posts every event type to one URL, `?event=<type>`; only `up` has readings.
      const event = integration.name === 'chirpstack' ? request.query.event : 'up';
      if (event !== 'up') {
        if (!auth.ok) {
          return reply
            .code(401)
            .header('www-authenticate', 'Bearer realm="slimstad-ingest"')
            .send({ error: 'BAD_SECRET', detail: auth.why });
        }
        m.deliveries.inc({ edge: integration.edge, outcome: 'ignored' });
        return reply.code(204).send();
      }
      if (!auth.ok) {
        return refuse(
          reply,
          integration,
          401,
          {
            ok: false,
            reason: RejectionReason.REJECTION_REASON_BAD_SECRET,
            detail: `${integration.name} webhook: ${auth.why}`,
          },
          payload,
        );
      }
      const json = parseJson(payload);
      if (!json.ok) {
        // ChirpStack's protobuf encoding, a form post …: say what to change at the source.
        const contentType = request.headers['content-type'];
        const hint =
          contentType && !/json/i.test(contentType)
            ? `; the Content-Type is ${contentType}: set the integration's payload encoding to JSON`
            : '';
        return refuse(reply, integration, 400, { ...json, detail: json.detail + hint }, payload);
      }
      if (integration.name === 'tts' && isTtsNonUplink(json.value)) {
        m.deliveries.inc({ edge: integration.edge, outcome: 'ignored' });
        return reply.code(204).send();
      }
      let parsed: EdgeParseResult;
      try {
        parsed = integration.parse(json.value, options.directory);
      } catch (error) {
        log.error({ err: error, integration: integration.name }, 'payload parser failed');
        parsed = malformed(`(body): could not be parsed (${(error as Error).message})`);
      }
      if (!parsed.ok) return refuse(reply, integration, statusFor(parsed.reason), parsed, payload);
      try {
        return answer(
          reply,
          integration,
          await deliver(options.intake, integration.source, parsed, payload),
        );
      } catch (error) {
        return unavailable(reply, integration, error);
      }
    });
  }

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.setErrorHandler(async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const integration = INTEGRATIONS.find((i) => i.path === request.routeOptions.url);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && integration) {
      const size = request.headers['content-length'];
      const detail = `${integration.name} webhook: body of ${size ? `${size} bytes` : 'unknown length'} exceeds the limit of ${options.maxPayloadBytes} bytes`;
      const auth = authenticate(integration, request.headers.authorization);
      // An unauthenticated caller learns nothing but 401, whatever it sent.
      if (!auth.ok) {
        return refuse(
          reply,
          integration,
          401,
          {
            ok: false,
            reason: RejectionReason.REJECTION_REASON_BAD_SECRET,
            detail: `${integration.name} webhook: ${auth.why} (and the body was over the size limit)`,
          },
          undefined,
        );
      }
      return refuse(
        reply,
        integration,
        413,
        { ok: false, reason: RejectionReason.REJECTION_REASON_OVERSIZED, detail },
        undefined,
      );
    }
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) log.error({ err: error, path: request.url }, 'webhook request failed');
    return reply.code(status).send({
      error: error.code ?? 'ERROR',
      detail: status >= 500 ? 'internal error' : error.message,
    });
  });

  await app.listen({ port: options.port, host: options.host ?? '0.0.0.0' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ port, paths: INTEGRATIONS.map((i) => i.path) }, 'webhook edge listening');
  return {
    port,
    close: async () => {
      await app.close();
      log.info('webhook edge stopped');
    },
  };
}

/** The HTTP status of a refusal found while parsing. */
function statusFor(reason: RejectionReason): number {
  switch (reason) {
    case RejectionReason.REJECTION_REASON_MALFORMED:
      return 400;
    case RejectionReason.REJECTION_REASON_BAD_SECRET:
      return 401;
    case RejectionReason.REJECTION_REASON_OVERSIZED:
      return 413;
    default:
      // UNKNOWN_DEVICE and any other reason about the content: understood but not accepted.
      return 422;
  }
}

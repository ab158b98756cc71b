// The Things Stack's webhook integration: one HTTP POST of the uplink message per report to
// ingest's `/webhooks/tts`, with the integration's secret as a bearer token. 202 is accepted.
import { randomUUID } from 'node:crypto';
import { ttsUplinkMessage, type Uplink } from '../domain/payloads.js';
import { type SendResult, someRadio, type Way } from './way.js';

const REQUEST_TIMEOUT_MS = 10_000;

export function ttsWebhookWay(options: { url: string; secret: string }): Way {
  return {
    name: 'tts',
    async send(uplink: Uplink): Promise<SendResult> {
      const body = ttsUplinkMessage(uplink, {
        correlationId: randomUUID().replace(/-/g, '').toUpperCase(),
        radio: someRadio(),
      });
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${options.secret}`,
            'user-agent': 'TTS/3 (slimstad simulator)',
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        if (response.status === 202) return { ok: true };
        return {
          ok: false,
          outcome: response.status >= 500 ? 'failed' : 'refused',
          detail: `HTTP ${response.status} ${text.slice(0, 300)}`,
        };
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        return {
          ok: false,
          outcome: 'failed',
          detail: `${(error as Error).message}${cause ? ` (${cause})` : ''}`,
        };
      }
    },
    close: async () => {},
  };
}

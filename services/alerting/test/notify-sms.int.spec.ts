// The SMS gateway adapter against a real HTTP gateway on loopback: body template, auth header,
// truncation with the count, retries only to recipients not yet reached, numbers never logged.
import { identityHash } from '@slimstad/kit/identity';
import { describe, expect, it } from 'vitest';
import { buildNotification } from '../src/notify/content.js';
import { deliverWithRetries } from '../src/notify/delivery.js';
import { createSmsReceiver, fillTemplate } from '../src/notify/sms.receiver.js';
import {
  fastPolicy,
  recordingServers,
  type Script,
  sampleNotification,
} from './notify-fixtures.js';

const SECRET = 'municipality-identity-secret-0123456789';
const ALICE = '+32 470 12 34 56';
const BOB = '0031612345678';
const servers = recordingServers();
const gateway = (script: Script) => servers.start(script);
function capturingLogger() {
  const lines: string[] = [];
  const write = (obj: object, msg?: string) => lines.push(JSON.stringify({ ...obj, msg }));
  return { lines, logger: { info: write, warn: write } };
}

describe('SMS gateway receiver', () => {
  it('posts the templated JSON with the auth header and a truncated text that keeps the count', async () => {
    const gw = await gateway(() => ({ status: 202 }));
    const { lines, logger } = capturingLogger();
    const receiver = createSmsReceiver({
      name: 'duty-sms',
      url: gw.url,
      headers: { authorization: 'Bearer gw-token' },
      bodyTemplate: {
        messages: [{ destination: '{{to}}', content: { text: '{{text}}' } }],
        sender: 'Slimstad',
      },
      recipients: [ALICE, BOB],
      maxLength: 40,
      identitySecret: SECRET,
      logger,
    });
    const result = await receiver.send(sampleNotification());
    expect(result).toEqual({ outcome: 'delivered', detail: '2 messages accepted' });
    expect(gw.requests).toHaveLength(2);
    const bodies = gw.requests.map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.messages[0].destination)).toEqual([ALICE, BOB]);
    for (const [i, req] of gw.requests.entries()) {
      expect(req.headers.authorization).toBe('Bearer gw-token');
      const text: string = bodies[i].messages[0].content.text;
      expect(Array.from(text).length).toBeLessThanOrEqual(40);
      expect(text).toMatch(/^\[FIRING:2\] Mark at 4\.2 m/);
      expect(text.endsWith('…')).toBe(true);
    }
    // Numbers never reach the log, in any spelling; their keyed hashes do.
    const log = lines.join('\n');
    for (const digits of ['470123456', '470 12 34 56', '612345678'])
      expect(log).not.toContain(digits);
    expect(log).toContain(identityHash(SECRET, 'phone', ALICE));
    expect(log).toContain(identityHash(SECRET, 'phone', BOB));
  });

  it('retries only the recipient the gateway failed, and stops on a 4xx', async () => {
    // Bob's first message gets a 500; everything else is accepted.
    let bobTries = 0;
    const gw = await gateway((_, req) => {
      if (!req.body.includes('0031612345678')) return { status: 200 };
      bobTries++;
      return { status: bobTries === 1 ? 500 : 200 };
    });
    const receiver = createSmsReceiver({
      name: 's',
      url: gw.url,
      recipients: [ALICE, BOB],
      identitySecret: SECRET,
    });
    const seen: unknown[] = [];
    const { result, attempts } = await deliverWithRetries(receiver, sampleNotification(), {
      policy: fastPolicy,
      onAttempt: (_a, r) => seen.push(r),
    });
    expect(result.outcome).toBe('delivered');
    expect(attempts).toBe(2);
    expect(seen[0]).toMatchObject({
      outcome: 'retryable',
      pendingRecipients: [identityHash(SECRET, 'phone', BOB)],
    });
    expect(gw.requests.map((r) => JSON.parse(r.body).to)).toEqual([ALICE, BOB, BOB]);
    expect(JSON.stringify(seen)).not.toContain('612345678');

    const refusing = await gateway(() => ({ status: 401 }));
    const bad = createSmsReceiver({
      name: 's',
      url: refusing.url,
      recipients: [ALICE],
      identitySecret: SECRET,
    });
    const out = await deliverWithRetries(bad, sampleNotification(), { policy: fastPolicy });
    expect(out.result).toMatchObject({
      outcome: 'permanent',
      reason: expect.stringMatching(/HTTP 401/),
    });
    expect(out.attempts).toBe(1);
    expect(refusing.requests).toHaveLength(1);
  });

  it('times out a hanging gateway as retryable', async () => {
    const gw = await gateway(() => 'hang');
    const receiver = createSmsReceiver({
      name: 's',
      url: gw.url,
      recipients: [ALICE],
      identitySecret: SECRET,
      timeoutMs: 150,
    });
    expect(await receiver.send(sampleNotification())).toMatchObject({
      outcome: 'retryable',
      pendingRecipients: [identityHash(SECRET, 'phone', ALICE)],
    });
  });

  it('fills templates structurally (quotes and newlines stay valid JSON) and checks its config', () => {
    const text = 'He said "flood"\nnow';
    expect(
      fillTemplate({ a: ['{{to}}', 1, null], '{{to}}': 'x {{text}}' }, { to: '+32', text }),
    ).toEqual({
      a: ['+32', 1, null],
      '+32': `x ${text}`,
    });
    const resolved = buildNotification({
      ...sampleNotification(),
      alerts: [],
      now: new Date(),
      groupLabels: {},
    });
    expect(resolved.status).toBe('resolved');
    expect(() =>
      createSmsReceiver({
        name: 's',
        url: 'http://127.0.0.1/',
        recipients: [],
        identitySecret: SECRET,
      }),
    ).toThrow(/recipients needs at least one/);
    expect(() =>
      createSmsReceiver({
        name: 's',
        url: 'http://127.0.0.1/',
        recipients: [ALICE],
        identitySecret: SECRET,
        bodyTemplate: { to: '{{to}}' },
      }),
    ).toThrow(/must contain both/);
    expect(() =>
      createSmsReceiver({
        name: 's',
        url: 'http://127.0.0.1/',
        recipients: [ALICE],
        identitySecret: 'short',
      }),
    ).toThrow(/at least 32/);
  });
});

// The e-mail receiver against a real SMTP server (smtp-server) on a free loopback port: the
// message that arrives, and how SMTP 4xx/5xx replies and a dead server are classified.
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmailReceiver, groupId } from '../src/notify/email.receiver.js';
import { sampleNotification } from './notify-fixtures.js';

interface Received {
  from: string;
  to: string[];
  mail: ParsedMail;
}

const servers: SMTPServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(() => r(undefined)))));
});

/** A plain SMTP server; `rcptError` makes RCPT TO fail with that code. */
async function smtp(rcptError?: number) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (!rcptError) return callback();
      const err = Object.assign(
        new Error(rcptError >= 500 ? 'no such mailbox' : 'try again later'),
        { responseCode: rcptError },
      );
      callback(err);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            mail,
          });
          callback();
        })
        .catch(callback);
    },
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return { port, received };
}

const base = (port: number) => ({
  name: 'ops-mail',
  from: '"Slimstad alerts" <alerts@breda.example>',
  to: ['duty@breda.example', 'public-works@breda.example'],
  smtp: { host: '127.0.0.1', port, ignoreTLS: true, timeoutMs: 3_000 },
  subjectPrefix: '[Slimstad Breda]',
});

describe('e-mail receiver', () => {
  it('sends one message with a text and an HTML part rendered from the group', async () => {
    const server = await smtp();
    const lines: string[] = [];
    const write = (obj: object, msg?: string) => lines.push(JSON.stringify({ ...obj, msg }));
    const receiver = createEmailReceiver({
      ...base(server.port),
      logger: { info: write, warn: write },
    });
    try {
      const result = await receiver.send(sampleNotification());
      expect(result.outcome).toBe('delivered');
    } finally {
      await receiver.close?.();
    }
    expect(server.received).toHaveLength(1);
    // Addresses are personal data: the log says how many, not who.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"recipients":2');
    expect(lines.join()).not.toMatch(/duty@|public-works@/);
    const [{ from, to, mail }] = server.received as [Received];
    expect(from).toBe('alerts@breda.example');
    expect(to).toEqual(['duty@breda.example', 'public-works@breda.example']);
    expect(mail.subject).toBe('[Slimstad Breda] [FIRING:2] alertname=RiverLevelHigh');
    expect(mail.text).toContain('Firing (2):');
    expect(mail.text).toContain('- Mark at 4.2 m near the Haven — sandbags at Émile Zolastraat');
    expect(mail.text).toContain('Alerts: https://alerting.breda.example');
    expect(mail.html).toContain('<strong>Mark at 3.9 m at the north quay</strong>');
    expect(mail.html).toContain('Émile Zolastraat');
    expect(mail.headers.get('x-slimstad-group')).toBe(
      groupId('{}/{service="flood"}:{alertname="RiverLevelHigh"}'),
    );
    expect(mail.headers.get('x-slimstad-group')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('classifies SMTP 5xx as permanent and 4xx as retryable', async () => {
    const refusing = await smtp(550);
    const r1 = createEmailReceiver(base(refusing.port));
    const permanent = await r1.send(sampleNotification());
    await r1.close?.();
    expect(permanent).toMatchObject({ outcome: 'permanent', reason: expect.stringMatching(/550/) });

    const busy = await smtp(451);
    const r2 = createEmailReceiver(base(busy.port));
    const retryable = await r2.send(sampleNotification());
    await r2.close?.();
    expect(retryable).toMatchObject({ outcome: 'retryable', reason: expect.stringMatching(/451/) });
    expect(refusing.received.length + busy.received.length).toBe(0);
  });

  it('treats an unreachable server as retryable', async () => {
    const gone = await smtp();
    const port = gone.port;
    await new Promise((r) => servers.pop()!.close(() => r(undefined)));
    const receiver = createEmailReceiver(base(port));
    const result = await receiver.send(sampleNotification());
    await receiver.close?.();
    expect(result).toMatchObject({
      outcome: 'retryable',
      reason: expect.stringMatching(/ECONNECTION|ECONNREFUSED/),
    });
  });

  it('rejects bad configuration', () => {
    expect(() => createEmailReceiver({ ...base(25), to: [] })).toThrow(
      /ops-mail: to needs at least one address/,
    );
  });
});

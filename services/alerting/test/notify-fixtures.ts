// Shared by the notify integration tests: a real HTTP server on a free loopback port that
// records each request and answers from a scripted list, and a sample notification.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { buildNotification, type Notification } from '../src/notify/content.js';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What the server does with the n-th request: answer with a status, or hang (no answer). */
export type Script = (
  n: number,
  req: Recorded,
) => { status: number; headers?: Record<string, string> } | 'hang';

export async function startRecordingServer(script: Script) {
  const requests: Recorded[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      const answer = script(requests.length, rec);
      if (answer === 'hang') return void hanging.push(res);
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Starts recording servers for a test file and closes them after each test. */
export function recordingServers() {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return {
    async start(script: Script) {
      const s = await startRecordingServer(script);
      open.push(s);
      return s;
    },
    /** Closes the most recently started server now (to test a refused connection). */
    async closeLast() {
      await open.pop()?.close();
    },
  };
}

export function sampleNotification(receiver = 'duty'): Notification {
  return buildNotification({
    receiver,
    groupKey: '{}/{service="flood"}:{alertname="RiverLevelHigh"}',
    groupLabels: { alertname: 'RiverLevelHigh' },
    alerts: [
      {
        labels: { alertname: 'RiverLevelHigh', zone: 'centre', severity: 'critical' },
        annotations: { summary: 'Mark at 4.2 m near the Haven — sandbags at Émile Zolastraat' },
        startsAt: new Date('2026-12-03T11:00:00Z'),
      },
      {
        labels: { alertname: 'RiverLevelHigh', zone: 'north', severity: 'critical' },
        annotations: { summary: 'Mark at 3.9 m at the north quay' },
        startsAt: new Date('2026-12-03T11:05:00Z'),
      },
    ],
    externalURL: 'https://alerting.breda.example',
    now: new Date('2026-12-03T12:00:00Z'),
  });
}

export const fastPolicy = {
  initialDelayMs: 20,
  multiplier: 2,
  maxDelayMs: 200,
  jitter: 0.5,
  maxAttempts: 5,
  maxRetryAfterMs: 5_000,
};

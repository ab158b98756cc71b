// A webhook receiver on loopback that records every request, and can be told to fail first.
import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: {
    status: string;
    groupKey: string;
    alerts: {
      status: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
      fingerprint: string;
    }[];
  };
  raw: string;
}

export async function startWebhookSink(options: { failFirst?: number; status?: number } = {}) {
  const received: Received[] = [];
  let failures = options.failFirst ?? 0;
  let attempts = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts += 1;
      if (failures > 0) {
        failures -= 1;
        res.writeHead(options.status ?? 503).end('not now');
        return;
      }
      const raw = Buffer.concat(chunks).toString();
      received.push({ at: Date.now(), headers: req.headers, body: JSON.parse(raw), raw });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    attempts: () => attempts,
    failNext(n: number) {
      failures = n;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

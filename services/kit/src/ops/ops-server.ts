// The operations endpoint of every service: /metrics for Prometheus, /healthz (the process
// runs) and /readyz (every dependency answers). Kept apart from the gRPC port so probes and
// scrapes never compete with operator traffic.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readiness } from '../health.js';
import type { Metrics } from '../telemetry/metrics.js';

export interface OpsServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startOpsServer(options: {
  port: number;
  host?: string;
  metrics: Metrics;
  readiness: Readiness;
}): Promise<OpsServer> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
        res.end(await options.metrics.registry.metrics());
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'ok' }));
      } else if (path === '/readyz') {
        const { ready, checks } = await options.readiness.evaluate();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: ready ? 'ready' : 'not ready', checks }));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: `no such endpoint ${path}; try /metrics, /healthz or /readyz` }),
        );
      }
    } catch (error) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: (error as Error).message }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

import { afterEach, describe, expect, it } from 'vitest';
import { Readiness } from '../health.js';
import { createMetrics } from '../telemetry/metrics.js';
import { type OpsServer, startOpsServer } from './ops-server.js';

let ops: OpsServer | undefined;
afterEach(async () => {
  await ops?.close();
});

describe('ops endpoint', () => {
  it('serves metrics, liveness, and readiness that follows its checks', async () => {
    const metrics = createMetrics('ingest', { defaultMetrics: false });
    const readiness = new Readiness();
    let natsUp = false;
    readiness.add('nats', () =>
      natsUp ? { ok: true } : { ok: false, reason: 'nats: not connected' },
    );
    ops = await startOpsServer({ port: 0, host: '127.0.0.1', metrics, readiness });
    const base = `http://127.0.0.1:${ops.port}`;

    metrics.handled.inc({ kind: 'grpc', handler: '/x', outcome: 'OK' });
    const scraped = await (await fetch(`${base}/metrics`)).text();
    expect(scraped).toContain(
      'slimstad_ingest_handled_total{kind="grpc",handler="/x",outcome="OK",service="ingest"} 1',
    );

    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      status: 'not ready',
      checks: { nats: { ok: false, reason: 'nats: not connected' } },
    });

    natsUp = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    readiness.markDraining();
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('reports a check that throws as not ready, with its message', async () => {
    const readiness = new Readiness();
    readiness.add('postgres', () => {
      throw new Error('connection refused');
    });
    expect(await readiness.evaluate()).toEqual({
      ready: false,
      checks: { postgres: { ok: false, reason: 'connection refused' } },
    });
  });
});

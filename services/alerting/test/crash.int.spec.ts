// The alerting process killed (SIGKILL) after an alert fired and before its notification was
// sent still notifies exactly once after restart: the firing, its group and the schedule were
// committed together, and the outbox is worked off by the next process.
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { ReadingRecorded, sensorStreams } from '@slimstad/contracts';
import { Comparison, Severity } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { AlertingServiceClient } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting_service';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { Bus, createClient, createLogger, promisifyUnary, signToken } from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  eventually,
  type ServiceProcess,
  startService,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startWebhookSink } from './support/webhook-sink.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const KEY = 'alerting-crash-secret-0123456789abcdef';
let db: TestDatabase;
let ns: TestNamespace;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
let bus: Bus;
let pool: pg.Pool;
const processes: ServiceProcess[] = [];

function start(): ServiceProcess {
  const p = startService(repo, 'services/alerting/src/main.ts', {
    SERVICE_NAME: 'alerting',
    DATABASE_URL: db.url,
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: ns.namespace,
    AUTH_JWT_KEY: KEY,
    GRPC_PORT: '0',
    OPS_PORT: '0',
    HTTP_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ALERTING_RECEIVERS: JSON.stringify([
      {
        name: 'ops',
        type: 'webhook',
        url: sink.url,
        secret: 'crash-test-webhook-secret-0123456789',
      },
    ]),
    // Long enough to kill the process between the firing and the notification.
    ALERTING_ROUTE: JSON.stringify({
      receiver: 'ops',
      group_by: ['alertname'],
      group_wait: 4_000,
      group_interval: 60_000,
      repeat_interval: 3_600_000,
    }),
    ALERTING_DISPATCH_POLL_MS: '200',
    ALERTING_RULES_RELOAD_MS: '200',
  });
  processes.push(p);
  return p;
}

beforeAll(async () => {
  db = await createTestDatabase(inject('databaseUrl'), 'crash');
  ns = createTestNamespace(inject('natsUrl'), 'crash');
  sink = await startWebhookSink();
  const nc = await connect({ servers: inject('natsUrl') });
  bus = await Bus.create(nc, {
    namespace: ns.namespace,
    log: createLogger('crash-test', 'silent'),
  });
  await bus.declareStreams(...sensorStreams);
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  for (const p of processes) await p.stop().catch(() => undefined);
  await bus?.drain();
  await pool?.end();
  await sink?.close();
  await ns?.cleanup();
  await db?.drop();
});

describe('SIGKILL between firing and sending', () => {
  it('notifies exactly once after restart', { timeout: 120_000 }, async () => {
    const first = start();
    const line = await first.logLine('gRPC serving', 60_000);
    const token = await signToken({ key: KEY, subject: 'ada', roles: ['admin'] });
    const client = createClient(AlertingServiceClient, `127.0.0.1:${line.port}`, {
      token,
      deadlineMs: 10_000,
    });
    await promisifyUnary(
      client,
      client.createRule,
    )({
      rule: {
        id: 'crash-level',
        version: 0n,
        name: 'level high',
        enabled: true,
        severity: Severity.SEVERITY_CRITICAL,
        scope: {},
        labels: {},
        annotations: {},
        condition: {
          $case: 'threshold',
          value: { metric: 'level', comparison: Comparison.COMPARISON_ABOVE, value: 2.3 },
        },
        updatedBy: '',
      },
    });
    client.close();
    await first.logLine('alerting ready');
    // The readings consumer starts at new messages: give it a moment to be declared.
    await new Promise((r) => setTimeout(r, 500));
    await bus.publish(
      ReadingRecorded,
      { type: 'water_level', device: 'wl-k' },
      {
        deviceId: 'wl-k',
        metric: 'level',
        value: 2.9,
        unit: 'm',
        observedAt: new Date(),
        sequence: 1n,
        deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
      },
      { msgId: 'crash-1' },
    );
    await eventually(async () => {
      const { rows } = await pool.query(
        `select count(*)::int as n from alerting.alert where state = 'firing'`,
      );
      expect(rows[0].n).toBe(1);
    }, 15_000);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(sink.received).toHaveLength(0);
    const { rows: pending } = await pool.query(
      `select count(*)::int as n from alerting.notification_group where next_flush_at is not null`,
    );
    expect(pending[0].n).toBe(1);

    const second = start();
    await second.logLine('alerting ready', 60_000);
    await eventually(() => expect(sink.received).toHaveLength(1), 20_000);
    expect(sink.received[0]!.body.alerts[0]!.labels.device).toBe('wl-k');
    // Nothing more arrives for the same group interval.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(sink.received).toHaveLength(1);
    const { rows } = await pool.query(
      `select status, count(*)::int as n from alerting.notification group by status`,
    );
    expect(rows).toEqual([{ status: 'delivered', n: 1 }]);
  });
});

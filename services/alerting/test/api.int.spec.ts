// The API's promises: validation with field-level reasons, versioned rules, dry runs that raise
// nothing, resource points, role checks on every method that changes state; and deduplication
// that holds under concurrency — two replicas on one database make one alert and one notification.
import { status } from '@grpc/grpc-js';
import {
  Comparison,
  type Rule,
  Severity,
} from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { createDatabase, createLogger, createMetrics } from '@slimstad/kit';
import { eventually } from '@slimstad/test-harness';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlerting } from '../src/alerting-service.js';
import {
  createBuild,
  createDeliver,
  createReceivers,
  createRouter,
} from '../src/engine/notifications.js';
import type { AlertingDatabase } from '../src/store/db.js';
import {
  type AlertingFixture,
  startAlertingFixture,
  TEST_SETTINGS,
  WEBHOOK_SECRET,
} from './support/alerting-fixture.js';
import { startWebhookSink } from './support/webhook-sink.js';

let f: AlertingFixture;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;

const levelRule = (over: Partial<Rule> = {}): Rule => ({
  id: 'level-high',
  version: 0n,
  name: 'water level high',
  enabled: true,
  severity: Severity.SEVERITY_WARNING,
  scope: {},
  labels: {},
  annotations: {},
  condition: {
    $case: 'threshold',
    value: {
      metric: 'level',
      comparison: Comparison.COMPARISON_ABOVE,
      value: 2.3,
      clearValue: 2.1,
    },
  },
  updatedBy: '',
  ...over,
});

beforeAll(async () => {
  sink = await startWebhookSink();
  f = await startAlertingFixture('api', {
    webhookUrl: sink.url,
    timing: { groupWaitMs: 200, groupIntervalMs: 60_000, repeatIntervalMs: 3_600_000 },
  });
});
afterAll(async () => {
  await f?.close();
  await sink?.close();
});

describe('rules', () => {
  it('rejects an invalid rule naming every problem', async () => {
    const admin = await f.api(['admin']);
    const error = await admin
      .createRule({
        rule: levelRule({
          id: 'bad id',
          name: '',
          condition: {
            $case: 'threshold',
            value: {
              metric: 'level',
              comparison: Comparison.COMPARISON_ABOVE,
              value: 2.3,
              clearValue: 2.5,
            },
          },
        }),
      })
      .then(
        () => ({ code: 0, details: '' }),
        (e: unknown) => e as { code: number; details: string },
      );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/rule\.id/);
    expect(error.details).toMatch(/rule\.name is required/);
    expect(error.details).toMatch(/clear_value must be at or below the threshold 2.3/);
    const noCondition = await admin
      .createRule({ rule: levelRule({ id: 'x', condition: undefined }) })
      .then(
        () => ({ details: '' }),
        (e: unknown) => e as { details: string },
      );
    expect(noCondition.details).toMatch(/rule\.condition is required/);
  });

  it('versions every save, guards against lost updates, keeps old versions', async () => {
    const admin = await f.api(['admin'], 'ada');
    const { rule } = await admin.createRule({
      rule: levelRule({ id: 'versioned', enabled: false }),
    });
    expect(rule).toMatchObject({ version: 1n, updatedBy: 'ada' });
    const { rule: v2 } = await admin.updateRule({
      rule: { ...rule!, name: 'renamed' },
      expectedVersion: 1n,
    });
    expect(v2!.version).toBe(2n);
    await expect(
      admin.updateRule({ rule: { ...rule!, name: 'stale' }, expectedVersion: 1n }),
    ).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    expect((await admin.getRule({ id: 'versioned', version: 1n })).rule!.name).toBe(
      'water level high',
    );
    expect((await admin.getRule({ id: 'versioned', version: 0n })).rule!.name).toBe('renamed');
    await expect(admin.createRule({ rule: levelRule({ id: 'versioned' }) })).rejects.toMatchObject({
      code: status.ALREADY_EXISTS,
    });
    await admin.deleteRule({ id: 'versioned' });
    await expect(admin.getRule({ id: 'versioned', version: 0n })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it('dry-runs a rule over recorded samples without raising an alert', async () => {
    const op = await f.api(['operator']);
    const t = (min: number) => new Date(Date.parse('2026-12-01T00:00:00Z') + min * 60_000);
    const { transitions, source } = await op.dryRunRule({
      rule: levelRule({
        id: '',
        condition: {
          $case: 'threshold',
          value: {
            metric: 'level',
            comparison: Comparison.COMPARISON_ABOVE,
            value: 2.3,
            for: { seconds: 120n, nanos: 0 },
            clearValue: 2.1,
          },
        },
      }),
      samples: [2.2, 2.4, 2.5, 2.45, 2.2, 2.0].map((value, i) => ({
        time: t(i),
        value,
        deviceId: 'wl-1',
      })),
      deviceId: '',
    });
    expect(source).toBe('request');
    expect(transitions.map((x) => [x.time!.toISOString(), x.state])).toEqual([
      [t(1).toISOString(), 'pending'],
      [t(3).toISOString(), 'firing'],
      [t(5).toISOString(), 'resolved'],
    ]);
    const { alerts } = await op.listAlerts({ states: [], matchers: [] });
    expect(alerts).toHaveLength(0);
  });
});

describe('resource points', () => {
  it('stores the registry and finds points (validation names the field)', async () => {
    const admin = await f.api(['admin']);
    await admin.putResourcePoint({
      point: {
        id: 'sb-1',
        kind: 'sandbags',
        name: 'Vrijbroekpark',
        location: { latitude: 51.01, longitude: 4.5 },
        address: 'Vrijbroekpark',
        zone: 'dyle',
        note: '',
      },
    });
    await expect(
      admin.putResourcePoint({
        point: {
          id: 'sb-2',
          kind: 'sandbags',
          name: 'x',
          location: { latitude: 95, longitude: 4.5 },
          address: '',
          zone: '',
          note: '',
        },
      }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/resource point is invalid/),
    });
    const { points } = await admin.listResourcePoints({ kind: 'sandbags' });
    expect(points.map((p) => p.id)).toEqual(['sb-1']);
  });
});

describe('roles', () => {
  it('refuses every state-changing method to a caller without the role', async () => {
    const viewer = await f.api(['viewer']);
    const operator = await f.api(['operator']);
    const rule = levelRule({ id: 'roles' });
    const calls: [string, () => Promise<unknown>][] = [
      ['createRule (viewer)', () => viewer.createRule({ rule })],
      ['createRule (operator)', () => operator.createRule({ rule })],
      ['updateRule (operator)', () => operator.updateRule({ rule, expectedVersion: 0n })],
      ['deleteRule (operator)', () => operator.deleteRule({ id: 'roles' })],
      ['dryRunRule (viewer)', () => viewer.dryRunRule({ rule, samples: [], deviceId: '' })],
      ['acknowledgeAlert (viewer)', () => viewer.acknowledgeAlert({ id: 'x', comment: '' })],
      ['resolveAlert (viewer)', () => viewer.resolveAlert({ id: 'x', comment: '' })],
      ['assignAlert (viewer)', () => viewer.assignAlert({ id: 'x', assignee: 'y' })],
      ['commentAlert (viewer)', () => viewer.commentAlert({ id: 'x', text: 'y' })],
      ['createSilence (viewer)', () => viewer.createSilence({ silence: undefined })],
      ['expireSilence (viewer)', () => viewer.expireSilence({ id: 'x' })],
      ['putResourcePoint (operator)', () => operator.putResourcePoint({ point: undefined })],
      ['deleteResourcePoint (operator)', () => operator.deleteResourcePoint({ id: 'x' })],
    ];
    for (const [name, call] of calls) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e as { code: number },
      );
      expect(error?.code, name).toBe(status.PERMISSION_DENIED);
    }
  });
});

describe('two replicas', () => {
  it('make one alert and one notification from crossings a millisecond apart', async () => {
    const admin = await f.api(['admin']);
    await admin.createRule({
      rule: levelRule({ id: 'replicas', name: 'replicated level', scope: { device: 'wl-r' } }),
    });
    // A second service instance: its own pool, its own evaluators, the same database and bus.
    const log = createLogger('replica', 'silent');
    const db2 = createDatabase<AlertingDatabase>({ url: f.testDb.url, schema: 'alerting' });
    const replica = await startAlerting({
      db: db2.db,
      bus: f.bus,
      clock: { now: () => Date.now(), speed: 1 },
      log,
      metrics: createMetrics('alerting', { defaultMetrics: false }),
      settings: TEST_SETTINGS,
      router: createRouter(
        {
          receiver: 'ops',
          group_by: ['alertname', 'zone'],
          group_wait: 200,
          group_interval: 60_000,
        },
        ['ops'],
      ),
      deliver: createDeliver(
        createReceivers([{ type: 'webhook', name: 'ops', url: sink.url, secret: WEBHOOK_SECRET }], {
          log,
        }),
      ),
      build: createBuild('http://alerting.test'),
      inhibitRules: [],
      nearest: () => [],
      consumers: false,
    });
    try {
      await f.service.reloadRules();
      const before = sink.received.length;
      const reading = (ms: number) => ({
        deviceId: 'wl-r',
        metric: 'level',
        value: 2.6,
        unit: 'm',
        observedAt: new Date(ms),
        sequence: 1n,
        deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
      });
      const now = Date.now();
      await Promise.all([
        f.service.engine.onReadings([reading(now)]),
        replica.engine.onReadings([reading(now + 1)]),
        ...Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? replica : f.service).alerts.fire(
            replica.engine.enabledRules.find((r) => r.id === 'replicas')!,
            { device: 'wl-r', device_type: 'water_level' },
            'again',
          ),
        ),
      ]);
      const { rows } = await sql<{
        n: bigint;
      }>`select count(*) as n from alert where rule_id = 'replicas'`.execute(f.db);
      expect(Number(rows[0]!.n)).toBe(1);
      await eventually(() => expect(sink.received.length).toBe(before + 1), 10_000);
      await new Promise((r) => setTimeout(r, 800));
      expect(sink.received.length).toBe(before + 1);
    } finally {
      await replica.stop();
      await db2.close();
    }
  });
});

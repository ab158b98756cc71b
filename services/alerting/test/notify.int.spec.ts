// The end-to-end path: a rule saved through the API, readings on the bus, one alert, one
// grouped notification through the outbox to a webhook; repeats deduplicated; the clearing
// reading resolves it and the resolution is notified; a failing receiver is retried until it
// recovers.
import { ReadingRecorded } from '@slimstad/contracts';
import {
  AlertState,
  Comparison,
  MatchOperator,
  Severity,
} from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../src/notify/index.js';
import {
  type AlertingFixture,
  startAlertingFixture,
  WEBHOOK_SECRET,
} from './support/alerting-fixture.js';
import { startWebhookSink } from './support/webhook-sink.js';

let f: AlertingFixture;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
let seq = 0n;

const publishLevel = (device: string, value: number) =>
  f.bus.publish(
    ReadingRecorded,
    { type: 'water_level', device },
    {
      deviceId: device,
      metric: 'level',
      value,
      unit: 'm',
      observedAt: new Date(),
      sequence: ++seq,
      deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
    },
    { msgId: `r-${device}-${seq}` },
  );

beforeAll(async () => {
  sink = await startWebhookSink();
  f = await startAlertingFixture('notify', { webhookUrl: sink.url });
});
afterAll(async () => {
  await f?.close();
  await sink?.close();
});

describe('rule → alert → notification → webhook', () => {
  it('fires once, notifies once, resolves below the clear value and notifies that', async () => {
    const admin = await f.api(['admin'], 'ada');
    await admin.createRule({
      rule: {
        id: 'dyle-high',
        version: 0n,
        name: 'Dyle water level high',
        enabled: true,
        severity: Severity.SEVERITY_CRITICAL,
        scope: { device_type: 'water_level' },
        labels: { team: 'water' },
        annotations: { summary: 'Water level high' },
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
      },
    });
    await publishLevel('wl-1', 2.0);
    await publishLevel('wl-1', 2.4);
    await eventually(() => expect(sink.received).toHaveLength(1), 15_000);
    const first = sink.received[0]!;
    expect(first.body.status).toBe('firing');
    // Signed with the receiver's secret (HMAC-SHA256 over timestamp and body).
    expect(
      verifyWebhookSignature(
        WEBHOOK_SECRET,
        first.raw,
        String(first.headers['x-slimstad-signature']),
      ),
    ).toMatchObject({ ok: true });
    expect(first.body.alerts[0]!.labels).toMatchObject({
      alertname: 'Dyle water level high',
      device: 'wl-1',
      team: 'water',
      severity: 'critical',
    });

    // Still high, then between the values (hysteresis): no new alert, no new notification.
    await publishLevel('wl-1', 2.5);
    await publishLevel('wl-1', 2.2);
    const viewer = await f.api(['viewer']);
    await eventually(async () => {
      const { alerts } = await viewer.listAlerts({ states: [], matchers: [] });
      expect(alerts).toHaveLength(1);
      expect(alerts[0]!.state).toBe(AlertState.ALERT_STATE_FIRING);
    });
    await publishLevel('wl-1', 2.0);
    await eventually(() => expect(sink.received).toHaveLength(2), 15_000);
    expect(sink.received[1]!.body.status).toBe('resolved');
    const { alerts } = await viewer.listAlerts({
      states: [AlertState.ALERT_STATE_RESOLVED],
      matchers: [],
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.resolvedBy).toBe('system');
  });

  it('retries a failing receiver with backoff until it recovers, and records the delivery', async () => {
    sink.failNext(3);
    const before = sink.received.length;
    await publishLevel('wl-2', 2.6);
    await eventually(() => expect(sink.received.length).toBe(before + 1), 20_000);
    const viewer = await f.api(['viewer']);
    await eventually(async () => {
      const { notifications } = await viewer.listNotifications({ status: '' });
      expect(notifications[0]).toMatchObject({ attempts: 4, status: 'delivered' });
    });
  });
});

describe('a failed write', () => {
  it('is retried from the redelivered reading, not lost with the evaluator state', async () => {
    const alerts = f.service.alerts;
    const fire = alerts.fire.bind(alerts);
    let failures = 1;
    alerts.fire = async (...args) => {
      if (failures-- > 0) throw new Error('database unavailable (test)');
      return fire(...args);
    };
    try {
      const before = sink.received.length;
      await publishLevel('wl-3', 2.7);
      await eventually(
        () =>
          expect(
            sink.received
              .slice(before)
              .some((n) => n.body.alerts.some((a) => a.labels.device === 'wl-3')),
          ).toBe(true),
        20_000,
      );
    } finally {
      alerts.fire = fire;
    }
  });
});

describe('evaluator state lost', () => {
  // What the webhook was told of one device's alert (its group may hold others).
  const toldAbout = (device: string, from: number) =>
    sink.received
      .slice(from)
      .flatMap((n) => n.body.alerts.filter((a) => a.labels.device === device))
      .map((a) => a.status);

  it('a restart while an alert fires: the clearing after it still resolves the alert, once', async () => {
    const before = sink.received.length;
    await publishLevel('wl-4', 2.6);
    await eventually(() => expect(toldAbout('wl-4', before)).toEqual(['firing']), 15_000);
    // The new process knows nothing of the series but what the database says; the first
    // reading it sees of it is already below the clear value.
    await f.restart();
    await publishLevel('wl-4', 2.0);
    await eventually(
      () => expect(toldAbout('wl-4', before)).toEqual(['firing', 'resolved']),
      15_000,
    );
    const viewer = await f.api(['viewer']);
    const { alerts } = await viewer.listAlerts({
      states: [],
      matchers: [{ name: 'device', operator: MatchOperator.MATCH_OPERATOR_EQUAL, value: 'wl-4' }],
    });
    expect(alerts.map((a) => [a.state, a.resolvedBy])).toEqual([
      [AlertState.ALERT_STATE_RESOLVED, 'system'],
    ]);
  });

  it('a failed resolution is retried from the redelivered reading', async () => {
    const before = sink.received.length;
    await publishLevel('wl-5', 2.6);
    await eventually(() => expect(toldAbout('wl-5', before)).toEqual(['firing']), 15_000);
    const alerts = f.service.alerts;
    const clear = alerts.clear.bind(alerts);
    let failures = 1;
    alerts.clear = async (...args) => {
      if (failures-- > 0) throw new Error('database unavailable (test)');
      return clear(...args);
    };
    try {
      await publishLevel('wl-5', 2.0);
      await eventually(
        () => expect(toldAbout('wl-5', before)).toEqual(['firing', 'resolved']),
        20_000,
      );
    } finally {
      alerts.clear = clear;
    }
  });
});

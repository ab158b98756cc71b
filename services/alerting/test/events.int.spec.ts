// Event rules: any subject of any service or neighbour, labels from its tokens, no code per
// kind of event. Lamp failures (real lighting contract) fire and their recoveries resolve; a
// subject no contract knows yet (a neighbour's warnings on a stream declared later) fires
// once its stream exists; ingest's offline events fire absence rules.
import { DeviceWentOffline, LampFailed, LampRecovered, lightingStreams } from '@slimstad/contracts';
import { AlertState } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlertingFixture, startAlertingFixture } from './support/alerting-fixture.js';

let f: AlertingFixture;

beforeAll(async () => {
  f = await startAlertingFixture('events');
  await f.bus.declareStreams(...lightingStreams);
});
afterAll(async () => {
  await f?.close();
});

async function openAlerts(ruleId: string) {
  const viewer = await f.api(['viewer']);
  const { alerts } = await viewer.listAlerts({ states: [], matchers: [] });
  return alerts.filter((a) => a.ruleId === ruleId);
}

describe('event rules', () => {
  it('a lamp failure fires with zone and lamp labels; its recovery resolves', async () => {
    const admin = await f.api(['admin']);
    await admin.createRule({
      rule: {
        id: 'lamp-failed',
        version: 0n,
        name: 'lamp failed',
        enabled: true,
        severity: 0,
        scope: { zone: 'kruidtuin' },
        labels: { team: 'lighting' },
        annotations: {},
        condition: {
          $case: 'event',
          value: {
            subject: 'lighting.lamp.failed.{zone}.{lamp}',
            resolveSubject: 'lighting.lamp.recovered.{zone}.{lamp}',
          },
        },
        updatedBy: '',
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    const failed = {
      lampId: 'l-7',
      zoneId: 'kruidtuin',
      controllerId: 'c-7',
      reason: 1,
      detail: 'no ack',
      commandedLevel: 80,
      powerWatts: 0,
      failures: [],
    };
    await f.bus.publish(LampFailed, { zone: 'kruidtuin', lamp: 'l-7' }, failed, { msgId: 'lf-1' });
    await f.bus.publish(
      LampFailed,
      { zone: 'vismarkt', lamp: 'l-9' },
      { ...failed, lampId: 'l-9', zoneId: 'vismarkt' },
      { msgId: 'lf-2' },
    );
    await eventually(async () => {
      const alerts = await openAlerts('lamp-failed');
      expect(alerts.map((a) => a.labels)).toEqual([
        expect.objectContaining({ zone: 'kruidtuin', lamp: 'l-7', team: 'lighting' }),
      ]);
    });
    await f.bus.publish(
      LampRecovered,
      { zone: 'kruidtuin', lamp: 'l-7' },
      { lampId: 'l-7', zoneId: 'kruidtuin', previousReason: 1 },
      { msgId: 'lr-1' },
    );
    await eventually(async () => {
      expect((await openAlerts('lamp-failed')).map((a) => a.state)).toEqual([
        AlertState.ALERT_STATE_RESOLVED,
      ]);
    });
  });

  it('a neighbour warning on a stream that appears later fires once the stream exists', async () => {
    const admin = await f.api(['admin']);
    await admin.createRule({
      rule: {
        id: 'neighbour-cap',
        version: 0n,
        name: 'neighbour warning',
        enabled: true,
        severity: 0,
        scope: {},
        labels: {},
        annotations: {},
        condition: {
          $case: 'event',
          value: { subject: 'neighbour.{city}.alert.cap', resolveSubject: '' },
        },
        updatedBy: '',
      },
    });
    // No stream holds the subject yet: the rule waits (a warning in the log), nothing fails.
    // Federation declares its stream later; no code change here, only the next reload.
    await f.bus.jsm.streams.add({
      name: `${f.ns.namespace}_NEIGHBOURS`,
      subjects: [`${f.ns.namespace}.neighbour.>`],
    });
    await f.service.reloadRules();
    await f.bus.js.publish(
      `${f.ns.namespace}.neighbour.leuven.alert.cap`,
      new TextEncoder().encode('<alert/>'),
      {
        msgID: 'n-1',
      },
    );
    await eventually(async () =>
      expect((await openAlerts('neighbour-cap')).map((a) => a.labels.city)).toEqual(['leuven']),
    );
  });

  it('ingest declaring a device offline fires an absence rule for it', async () => {
    const admin = await f.api(['admin']);
    await admin.createRule({
      rule: {
        id: 'silent-meter',
        version: 0n,
        name: 'water meter silent',
        enabled: true,
        severity: 0,
        scope: { device_type: 'water_meter' },
        labels: {},
        annotations: {},
        condition: { $case: 'absence', value: { factor: 3 } },
        updatedBy: '',
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    await f.bus.publish(
      DeviceWentOffline,
      { device: 'wm-1' },
      {
        deviceId: 'wm-1',
        deviceType: DeviceType.DEVICE_TYPE_WATER_METER,
        lastSeenAt: new Date(),
        detectedAt: new Date(),
      },
      { msgId: 'off-1' },
    );
    await eventually(async () =>
      expect((await openAlerts('silent-meter')).map((a) => a.labels.device)).toEqual(['wm-1']),
    );
  });
});

// Public warnings end to end: a flood rule marked public fires from readings; its CAP 1.2
// message (valid against the OASIS schema) names the nearest sandbag points of the registry,
// is stored, served in the Atom feed and published on `share.alert.cap`; the resolution is a
// Cancel that references the Alert.
import { CapAlertShared } from '@slimstad/contracts';
import {
  AlertState,
  Comparison,
  Severity,
} from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { eventually } from '@slimstad/test-harness';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAP_SCHEMA, xmllint } from './cap-fixtures.js';
import { type AlertingFixture, startAlertingFixture } from './support/alerting-fixture.js';

let f: AlertingFixture;
const shared: { msgType: string; xml: string; references: string[]; identifier: string }[] = [];

beforeAll(async () => {
  f = await startAlertingFixture('cap');
  const sub = f.bus.nc.subscribe(`${f.ns.namespace}.share.alert.cap`);
  void (async () => {
    for await (const m of sub) shared.push(CapAlertShared.codec.decode(m.data));
  })();
});
afterAll(async () => {
  await f?.close();
});

const reading = (value: number) => ({
  deviceId: 'wl-dyle',
  metric: 'level',
  value,
  unit: 'm',
  observedAt: new Date(),
  sequence: 1n,
  deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
});

describe('public warnings (CAP 1.2)', () => {
  it('fires a schema-valid Alert naming the nearest sandbags, then a Cancel on resolve', async () => {
    const admin = await f.api(['admin']);
    const points = [
      ['sb-far', 'Depot Zuid', 51.0, 4.6],
      ['sb-near', 'Vrijbroekpark', 51.031, 4.49],
      ['sb-mid', 'Brusselsepoort', 51.02, 4.47],
      ['shelter-1', 'Sporthal', 51.03, 4.48],
    ] as const;
    for (const [id, name, latitude, longitude] of points) {
      await admin.putResourcePoint({
        point: {
          id,
          kind: id.startsWith('sb') ? 'sandbags' : 'shelter',
          name,
          location: { latitude, longitude },
          address: '',
          zone: 'dyle',
          note: '08:00–20:00',
        },
      });
    }
    const near = await admin.findNearestResourcePoints({
      kind: 'sandbags',
      location: { latitude: 51.03, longitude: 4.48 },
      count: 2,
    });
    expect(near.points.map((p) => p.point!.id)).toEqual(['sb-near', 'sb-mid']);

    const ring = [
      [51.02, 4.47],
      [51.04, 4.47],
      [51.04, 4.5],
      [51.02, 4.5],
      [51.02, 4.47],
    ].map(([latitude, longitude]) => ({
      latitude: latitude as number,
      longitude: longitude as number,
    }));
    await admin.createRule({
      rule: {
        id: 'dyle-flood',
        version: 0n,
        name: 'Dyle flood',
        enabled: true,
        severity: Severity.SEVERITY_CRITICAL,
        scope: { device: 'wl-dyle' },
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
        publicWarning: {
          event: 'Flood warning',
          category: 'Met',
          urgency: 'Immediate',
          certainty: 'Likely',
          headline: 'Flood warning for the Dyle banks',
          description: 'The Dyle is above 2.3 m and rising.',
          instruction: '',
          areaDesc: 'Dyle banks, Mechelen',
          polygon: ring,
          resourceKind: 'sandbags',
          resourceCount: 2,
        },
        updatedBy: '',
      },
    });
    await f.service.engine.onReadings([reading(2.6)]);
    await eventually(() => expect(shared.map((s) => s.msgType)).toEqual(['Alert']));
    const alert = shared[0]!;
    expect((await xmllint(alert.xml, { schema: CAP_SCHEMA })).ok).toBe(true);
    expect(alert.xml).toContain('<msgType>Alert</msgType>');
    expect(alert.xml).toContain('<polygon>');
    const instruction = /<instruction>([\s\S]*?)<\/instruction>/.exec(alert.xml)?.[1] ?? '';
    expect(instruction.indexOf('Vrijbroekpark')).toBeGreaterThan(-1);
    expect(instruction.indexOf('Vrijbroekpark')).toBeLessThan(
      instruction.indexOf('Brusselsepoort'),
    );
    expect(instruction).not.toContain('Depot Zuid');
    expect(instruction).not.toContain('Sporthal');

    const feed = await fetch(`${f.feedUrl}/cap/feed.atom`);
    expect(feed.status).toBe(200);
    const atom = await feed.text();
    expect(atom).toContain(alert.identifier);
    expect((await xmllint(atom)).ok).toBe(true);
    const one = await fetch(`${f.feedUrl}/cap/${alert.identifier}.xml`);
    expect(await one.text()).toBe(alert.xml);

    await f.service.engine.onReadings([reading(2.0)]);
    await eventually(() => expect(shared.map((s) => s.msgType)).toEqual(['Alert', 'Cancel']));
    const cancel = shared[1]!;
    expect(cancel.references).toEqual([alert.identifier]);
    expect((await xmllint(cancel.xml, { schema: CAP_SCHEMA })).ok).toBe(true);
    const { rows } = await sql<{
      msg_type: string;
    }>`select msg_type from cap_message order by id`.execute(f.db);
    expect(rows.map((r) => r.msg_type)).toEqual(['Alert', 'Cancel']);
  });

  it('a series that rises again is a new warning, with an identifier of its own', async () => {
    await f.service.engine.onReadings([reading(2.7)]);
    await eventually(() =>
      expect(shared.map((s) => s.msgType)).toEqual(['Alert', 'Cancel', 'Alert']),
    );
    const [first, , again] = shared;
    expect(again!.identifier).not.toBe(first!.identifier);
    expect(again!.references).toEqual([]);
    const viewer = await f.api(['viewer']);
    const { alerts } = await viewer.listAlerts({ states: [], matchers: [] });
    expect(alerts.map((a) => a.state).sort()).toEqual([
      AlertState.ALERT_STATE_FIRING,
      AlertState.ALERT_STATE_RESOLVED,
    ]);
  });
});

// Grouping, silences, inhibition, escalation and the operators' actions against the real
// database, with a hand-set clock: group_wait 30 s, group_interval 5 min, repeat 4 h.
import { AlertState, MatchOperator } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { ManualClock } from '@slimstad/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleDef } from '../src/domain/rules.js';
import { type AlertingFixture, startAlertingFixture } from './support/alerting-fixture.js';
import { startWebhookSink } from './support/webhook-sink.js';

const T0 = Date.parse('2026-12-03T08:00:00Z');
const clock = new ManualClock(T0);
let f: AlertingFixture;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;

const rule = (over: Partial<RuleDef> = {}): RuleDef => ({
  id: 'level',
  version: 1,
  name: 'water level high',
  enabled: true,
  severity: 'warning',
  scope: {},
  labels: {},
  annotations: {},
  condition: { kind: 'threshold', metric: 'level', comparison: 'above', value: 2.3, forMs: 0 },
  escalateAfterMs: 0,
  isPublic: false,
  ...over,
});

/** Advances the clock, runs the dispatcher, and returns the notifications that arrived. */
async function step(ms: number) {
  const before = sink.received.length;
  clock.advance(ms);
  await f.service.dispatcher.settle();
  await f.service.dispatcher.round();
  // A background poll may have taken the work: wait for it too.
  await f.service.dispatcher.settle();
  return sink.received.slice(before);
}

beforeAll(async () => {
  sink = await startWebhookSink();
  f = await startAlertingFixture('lifecycle', {
    clock,
    webhookUrl: sink.url,
    timing: { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3_600_000 },
    deps: {
      inhibitRules: [
        {
          source: [{ name: 'alertname', op: '=', value: 'zone flood' }],
          target: [{ name: 'alertname', op: '=', value: 'water level high' }],
          equal: ['zone'],
        },
      ],
    },
  });
});
afterAll(async () => {
  await f?.close();
  await sink?.close();
});

describe('grouping', () => {
  it('waits group_wait, batches the group, then group_interval, then repeat_interval', async () => {
    const r = rule();
    await f.service.alerts.fire(r, { zone: 'z1', device: 'd1' }, 'x');
    expect(await step(10_000)).toHaveLength(0);
    await f.service.alerts.fire(r, { zone: 'z1', device: 'd2' }, 'x');
    // Two readings of the same series: one alert.
    await f.service.alerts.fire(r, { zone: 'z1', device: 'd2' }, 'x');
    expect(await step(10_000)).toHaveLength(0);
    const first = await step(10_000);
    expect(first).toHaveLength(1);
    expect(first[0]!.body.alerts.map((a) => a.labels.device).sort()).toEqual(['d1', 'd2']);

    await f.service.alerts.fire(r, { zone: 'z1', device: 'd3' }, 'x');
    expect(await step(60_000)).toHaveLength(0);
    const second = await step(240_000);
    expect(second).toHaveLength(1);
    expect(second[0]!.body.alerts).toHaveLength(3);

    expect(await step(3_600_000)).toHaveLength(0);
    const repeat = await step(3 * 3_600_000);
    expect(repeat).toHaveLength(1);
    expect(repeat[0]!.body.alerts).toHaveLength(3);
  });
});

describe('silences and inhibition', () => {
  it('a silence mutes matching alerts; they are listed as silenced', async () => {
    const op = await f.api(['operator'], 'olga');
    const { silence } = await op.createSilence({
      silence: {
        id: '',
        matchers: [{ name: 'device', operator: MatchOperator.MATCH_OPERATOR_EQUAL, value: 'd9' }],
        startTime: new Date(clock.now()),
        endTime: new Date(clock.now() + 3_600_000),
        createdBy: '',
        comment: 'maintenance on d9',
      },
    });
    expect(silence!.createdBy).toBe('olga');
    await f.service.alerts.fire(
      rule({ id: 'noise', name: 'noise' }),
      { zone: 'z9', device: 'd9' },
      'x',
    );
    expect(await step(31_000)).toHaveLength(0);
    const { alerts } = await op.listAlerts({
      states: [],
      matchers: [{ name: 'device', operator: MatchOperator.MATCH_OPERATOR_EQUAL, value: 'd9' }],
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.silenced).toBe(true);
  });

  it('a zone-wide flood inhibits the per-sensor level alerts of its zone, not of others', async () => {
    await f.service.alerts.fire(rule({ id: 'flood', name: 'zone flood' }), { zone: 'dyle' }, 'x');
    await f.service.alerts.fire(rule(), { zone: 'dyle', device: 'wl-7' }, 'x');
    await f.service.alerts.fire(rule(), { zone: 'nete', device: 'wl-8' }, 'x');
    const sent = await step(31_000);
    const names = sent
      .flatMap((n) => n.body.alerts.map((a) => `${a.labels.alertname}/${a.labels.zone}`))
      .sort();
    expect(names).toEqual(['water level high/nete', 'zone flood/dyle']);
    const viewer = await f.api(['viewer']);
    const { alerts } = await viewer.listAlerts({
      states: [AlertState.ALERT_STATE_FIRING],
      matchers: [{ name: 'device', operator: MatchOperator.MATCH_OPERATOR_EQUAL, value: 'wl-7' }],
    });
    expect(alerts[0]!.inhibited).toBe(true);
  });
});

describe('escalation and operators', () => {
  it('escalates an unacknowledged alert after escalate_after, not an acknowledged one', async () => {
    const r = rule({ id: 'esc', name: 'pump failure', escalateAfterMs: 600_000 });
    const { alert } = await f.service.alerts.fire(r, { zone: 'z5', device: 'p1' }, 'x');
    const rules = new Map([[r.id, r]]);
    await step(31_000);
    expect(await f.service.alerts.escalateDue(rules)).toBe(0);
    clock.advance(600_000);
    expect(await f.service.alerts.escalateDue(rules)).toBe(1);
    const sent = await step(0);
    const escalated = sent
      .flatMap((n) => n.body.alerts)
      .find((a) => a.labels.alertname === 'pump failure');
    expect(escalated?.labels.escalation).toBe('1');

    const op = await f.api(['operator'], 'olga');
    const acked = await op.acknowledgeAlert({ id: alert.id, comment: 'on my way' });
    expect(acked.alert).toMatchObject({
      state: AlertState.ALERT_STATE_ACKNOWLEDGED,
      acknowledgedBy: 'olga',
    });
    clock.advance(1_200_000);
    expect(await f.service.alerts.escalateDue(rules)).toBe(0);

    await op.assignAlert({ id: alert.id, assignee: 'dirk' });
    await op.commentAlert({ id: alert.id, text: 'pump replaced' });
    const resolved = await op.resolveAlert({ id: alert.id, comment: 'fixed' });
    expect(resolved.alert).toMatchObject({
      state: AlertState.ALERT_STATE_RESOLVED,
      resolvedBy: 'olga',
      assignee: 'dirk',
    });
    await expect(op.acknowledgeAlert({ id: alert.id, comment: '' })).rejects.toMatchObject({
      details: expect.stringMatching(/resolved/),
    });
    const { alert: full } = await op.getAlert({ id: alert.id });
    expect(full!.history.map((h) => `${h.kind}:${h.actor}`)).toEqual([
      'fired:system',
      'escalated:system',
      'acknowledged:olga',
      'assigned:olga',
      'comment:olga',
      'resolved:olga',
    ]);
    // The resolution is notified (by a background round or the next step).
    await step(300_000);
    expect(
      sink.received
        .flatMap((n) => n.body.alerts)
        .some((a) => a.labels.alertname === 'pump failure' && a.status === 'resolved'),
    ).toBe(true);
  });
});

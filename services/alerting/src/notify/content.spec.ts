import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Alert,
  buildNotification,
  fingerprint,
  renderHtml,
  renderShortText,
  renderSubject,
  renderText,
} from './content.js';

const now = new Date('2026-12-03T12:00:00Z');
const flood: Alert = {
  labels: { alertname: 'RiverLevelHigh', zone: 'centre', severity: 'critical', river: 'Mark' },
  annotations: { summary: 'Mark at 4.2 m near <Haven> & quay', runbook: 'https://runbook/flood' },
  startsAt: new Date('2026-12-03T11:00:00Z'),
  generatorURL: 'https://alerting/rules/1',
};
const quayResolved: Alert = {
  labels: { alertname: 'RiverLevelHigh', zone: 'north', severity: 'critical', river: 'Mark' },
  annotations: { summary: 'Mark at 3.1 m at the north quay' },
  startsAt: new Date('2026-12-03T10:00:00Z'),
  endsAt: new Date('2026-12-03T11:30:00Z'),
};
const input = {
  receiver: 'duty',
  groupKey: '{}:{alertname="RiverLevelHigh"}',
  groupLabels: { alertname: 'RiverLevelHigh' },
  alerts: [quayResolved, flood],
  externalURL: 'https://alerting.breda.example',
  now,
};

describe('notification content', () => {
  it('computes Prometheus label-set fingerprints (prometheus/common signature_test vectors)', () => {
    expect(BigInt(`0x${fingerprint({})}`)).toBe(14695981039346656037n);
    expect(
      BigInt(`0x${fingerprint({ name: 'garland, briggs', fear: 'love is not enough' })}`),
    ).toBe(5799056148416392346n);
  });

  it('builds the Alertmanager webhook payload (version 4)', () => {
    const n = buildNotification(input);
    expect(n).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'duty',
      groupKey: '{}:{alertname="RiverLevelHigh"}',
      truncatedAlerts: 0,
      groupLabels: { alertname: 'RiverLevelHigh' },
      commonLabels: { alertname: 'RiverLevelHigh', river: 'Mark', severity: 'critical' },
      commonAnnotations: {},
      externalURL: 'https://alerting.breda.example',
    });
    expect(n.alerts.map((a) => [a.status, a.labels.zone, a.endsAt])).toEqual([
      ['firing', 'centre', '0001-01-01T00:00:00Z'],
      ['resolved', 'north', '2026-12-03T11:30:00.000Z'],
    ]);
    expect(n.alerts[0]).toMatchObject({
      startsAt: '2026-12-03T11:00:00.000Z',
      generatorURL: 'https://alerting/rules/1',
      fingerprint: fingerprint(flood.labels),
    });
    expect(buildNotification({ ...input, alerts: [quayResolved] }).status).toBe('resolved');
    // An endsAt in the future is still firing (Alertmanager's resolve timeout).
    expect(
      buildNotification({
        ...input,
        alerts: [{ ...flood, endsAt: new Date('2026-12-03T13:00:00Z') }],
      }).status,
    ).toBe('firing');
    const cut = buildNotification({ ...input, maxAlerts: 1 });
    expect([cut.alerts.length, cut.truncatedAlerts]).toEqual([1, 1]);
  });

  it('is deterministic: alert order and label order do not change the bytes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            zone: fc.constantFrom('a', 'b', 'c', 'd'),
            start: fc.integer({ min: 0, max: 1_000 }),
            end: fc.option(fc.integer({ min: -500, max: 500 }), { nil: undefined }),
          }),
          { maxLength: 6 },
        ),
        fc.integer(),
        (specs, seed) => {
          const alerts: Alert[] = specs.map((s) => ({
            labels: { zone: s.zone, alertname: 'X' },
            annotations: { summary: `zone ${s.zone}` },
            startsAt: new Date(now.getTime() - s.start * 1000),
            ...(s.end !== undefined ? { endsAt: new Date(now.getTime() + s.end * 1000) } : {}),
          }));
          const shuffled = [...alerts]
            .map((a, i) => ({
              a: { ...a, labels: Object.fromEntries(Object.entries(a.labels).reverse()) },
              k: (i * 7919 + seed) % 101,
            }))
            .sort((x, y) => x.k - y.k)
            .map((x) => x.a);
          const one = JSON.stringify(buildNotification({ ...input, alerts }));
          const two = JSON.stringify(buildNotification({ ...input, alerts: shuffled }));
          expect(two).toBe(one);
        },
      ),
    );
  });

  it('renders subject, text and escaped HTML', () => {
    const n = buildNotification(input);
    expect(renderSubject(n)).toBe('[FIRING:1] alertname=RiverLevelHigh');
    const text = renderText(n);
    expect(text).toContain('Firing (1):\n- Mark at 4.2 m near <Haven> & quay');
    expect(text).toContain('Resolved (1):\n- Mark at 3.1 m at the north quay');
    expect(text).toContain('runbook: https://runbook/flood');
    const html = renderHtml(n);
    expect(html).toContain('Mark at 4.2 m near &lt;Haven&gt; &amp; quay');
    expect(html).not.toContain('<Haven>');
    expect(renderSubject(buildNotification({ ...input, alerts: [quayResolved] }))).toBe(
      '[RESOLVED] alertname=RiverLevelHigh',
    );
  });

  it('short text: never longer than the limit, status and count always kept', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 80 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 24, max: 300 }),
        (summaries, max) => {
          const alerts = summaries.map((summary, i) => ({
            ...flood,
            labels: { ...flood.labels, i: String(i) },
            annotations: { summary },
          }));
          const text = renderShortText(buildNotification({ ...input, alerts }), max);
          expect(Array.from(text).length).toBeLessThanOrEqual(max);
          expect(text.startsWith(`[FIRING:${alerts.length}]`)).toBe(true);
        },
      ),
    );
    const n = buildNotification(input);
    expect(renderShortText(n, 160)).toBe('[FIRING:1] Mark at 4.2 m near <Haven> & quay');
    expect(renderShortText(n, 24)).toBe('[FIRING:1] Mark at 4.2…');
    expect(() => renderShortText(n, 10)).toThrow(/maxLength/);
  });
});

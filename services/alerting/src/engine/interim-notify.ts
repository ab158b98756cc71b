// INTERIM until notify/ is merged: one root route and a plain JSON POST per webhook receiver.
import { fingerprint as _fp } from '../domain/labels.js';
import type { BuildNotification, Deliver, Router } from './ports.js';

export function interimRouter(
  timing: { groupWaitMs: number; groupIntervalMs: number; repeatIntervalMs: number },
  receiver: string,
): Router {
  return () => [{ receiver, groupBy: ['alertname', 'zone'], timing }];
}

export const interimBuild: BuildNotification = (i) => ({
  version: '4',
  groupKey: i.groupKey,
  truncatedAlerts: 0,
  status: i.alerts.some((a) => !a.endsAt || a.endsAt > i.now) ? 'firing' : 'resolved',
  receiver: i.receiver,
  groupLabels: { ...i.groupLabels },
  commonLabels: {},
  commonAnnotations: {},
  externalURL: '',
  alerts: i.alerts.map((a) => ({
    status: a.endsAt && a.endsAt <= i.now ? 'resolved' : 'firing',
    labels: { ...a.labels },
    annotations: { ...a.annotations },
    startsAt: a.startsAt.toISOString(),
    endsAt: a.endsAt?.toISOString() ?? '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: a.fingerprint,
  })),
});

export function interimDeliver(receivers: { name: string; url: string }[]): Deliver {
  void _fp;
  return async (name, payload) => {
    const r = receivers.find((x) => x.name === name);
    if (!r) return { outcome: 'permanent', reason: `no receiver ${name}` };
    const res = await fetch(r.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    return res.ok
      ? { outcome: 'delivered' }
      : { outcome: 'retryable', reason: `HTTP ${res.status}` };
  };
}

// What a notification says: from an aggregation group of alerts (firing and resolved) the
// payload in Alertmanager's webhook format (version 4), which every receiver renders from — JSON
// for webhooks, subject/text/HTML for e-mail, a short text for SMS. Deterministic: the same
// group and time give byte-identical output, so a retry sends exactly what the first try did.
// Pure: no I/O.
import type { Labels } from './routing.js';

/** An alert as the alerting service holds it. */
export interface Alert {
  readonly labels: Labels;
  readonly annotations?: Labels;
  readonly startsAt: Date;
  /** When it resolved (or will, if in the future); absent while firing. */
  readonly endsAt?: Date;
  readonly generatorURL?: string;
  /** Defaults to `fingerprint(labels)`. */
  readonly fingerprint?: string;
}

export type AlertStatus = 'firing' | 'resolved';

/** One alert in the webhook payload (Alertmanager's `Alert` template type). */
export interface NotificationAlert {
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** `0001-01-01T00:00:00Z` while firing, as Alertmanager sends. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Alertmanager webhook payload, version 4: what every receiver is given. */
export interface Notification {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: AlertStatus;
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: NotificationAlert[];
}

export interface NotificationInput {
  receiver: string;
  /** From `groupKey(route, labels)`. */
  groupKey: string;
  /** From `groupLabels(route, labels)`. */
  groupLabels: Labels;
  alerts: readonly Alert[];
  /** The alerting service's public URL (links back to the alert list). */
  externalURL: string;
  /** Decides firing vs resolved (an `endsAt` in the future is still firing). */
  now: Date;
  /** Send at most this many alerts; the rest are counted in `truncatedAlerts`. */
  maxAlerts?: number;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Prometheus' label-set fingerprint (FNV-1a 64 over sorted names and values, each followed by
 * the 0xff separator), as 16 hex digits: the id Alertmanager shows for an alert.
 */
export function fingerprint(labels: Labels): string {
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  let h = 0xcbf29ce484222325n;
  const add = (bytes: Uint8Array) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * prime) & mask;
  };
  const enc = new TextEncoder();
  const sep = Uint8Array.of(0xff);
  for (const name of Object.keys(labels).sort()) {
    add(enc.encode(name));
    add(sep);
    add(enc.encode(labels[name] ?? ''));
    add(sep);
  }
  return h.toString(16).padStart(16, '0');
}

export function alertStatus(alert: Alert, now: Date): AlertStatus {
  return alert.endsAt !== undefined && alert.endsAt.getTime() <= now.getTime()
    ? 'resolved'
    : 'firing';
}

function sortedRecord(r: Labels | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r ?? {}).sort()) out[k] = r![k]!;
  return out;
}

function common(sets: readonly Labels[]): Record<string, string> {
  if (sets.length === 0) return {};
  const [first, ...rest] = sets;
  const out: Record<string, string> = {};
  for (const k of Object.keys(first!).sort()) {
    const v = first![k]!;
    if (rest.every((s) => s[k] === v)) out[k] = v;
  }
  return out;
}

/**
 * The webhook-format payload for a group: alerts ordered firing first, then by start time and
 * fingerprint; status `firing` while any alert fires; common labels/annotations are those
 * every alert shares.
 */
export function buildNotification(input: NotificationInput): Notification {
  const alerts = input.alerts
    .map((a): NotificationAlert => {
      const status = alertStatus(a, input.now);
      return {
        status,
        labels: sortedRecord(a.labels),
        annotations: sortedRecord(a.annotations),
        startsAt: a.startsAt.toISOString(),
        endsAt: status === 'resolved' && a.endsAt ? a.endsAt.toISOString() : ZERO_TIME,
        generatorURL: a.generatorURL ?? '',
        fingerprint: a.fingerprint ?? fingerprint(a.labels),
      };
    })
    .sort(
      (a, b) =>
        (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1) ||
        (a.startsAt < b.startsAt ? -1 : a.startsAt > b.startsAt ? 1 : 0) ||
        (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0),
    );
  const max = input.maxAlerts ?? Number.POSITIVE_INFINITY;
  const kept = alerts.slice(0, max);
  return {
    version: '4',
    groupKey: input.groupKey,
    truncatedAlerts: alerts.length - kept.length,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: input.receiver,
    groupLabels: sortedRecord(input.groupLabels),
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: input.externalURL,
    alerts: kept,
  };
}

function counts(n: Notification): { firing: number; resolved: number } {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  // Truncated alerts are counted as firing only if the group still fires; good enough for a title.
  return {
    firing: firing + (n.status === 'firing' ? n.truncatedAlerts : 0),
    resolved: n.alerts.length - firing,
  };
}

function labelList(l: Record<string, string>): string {
  return Object.entries(l)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** One line naming an alert: its summary annotation, else its alertname and labels. */
export function alertLine(a: NotificationAlert): string {
  return a.annotations.summary ?? a.annotations.title ?? a.labels.alertname ?? labelList(a.labels);
}

/** `[FIRING:3] name=value …`, as Alertmanager's default e-mail subject. */
export function renderSubject(n: Notification): string {
  const { firing } = counts(n);
  const tag = n.status === 'firing' ? `[FIRING:${firing}]` : '[RESOLVED]';
  const group = labelList(n.groupLabels) || labelList(n.commonLabels);
  return group ? `${tag} ${group}` : tag;
}

/** Plain text body: one block per alert with its labels, annotations and times. */
export function renderText(n: Notification): string {
  const lines = [renderSubject(n), ''];
  for (const status of ['firing', 'resolved'] as const) {
    const group = n.alerts.filter((a) => a.status === status);
    if (group.length === 0) continue;
    lines.push(status === 'firing' ? `Firing (${group.length}):` : `Resolved (${group.length}):`);
    for (const a of group) {
      lines.push(`- ${alertLine(a)}`);
      lines.push(`  labels: ${labelList(a.labels)}`);
      for (const [k, v] of Object.entries(a.annotations))
        if (k !== 'summary') lines.push(`  ${k}: ${v}`);
      lines.push(
        `  since: ${a.startsAt}${a.status === 'resolved' ? `  resolved: ${a.endsAt}` : ''}`,
      );
      if (a.generatorURL) lines.push(`  source: ${a.generatorURL}`);
    }
    lines.push('');
  }
  if (n.truncatedAlerts > 0) lines.push(`…and ${n.truncatedAlerts} more alert(s) not listed.`, '');
  if (n.externalURL) lines.push(`Alerts: ${n.externalURL}`);
  return `${lines.join('\n').trimEnd()}\n`;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** HTML body with the same content as `renderText`, every value escaped. */
export function renderHtml(n: Notification): string {
  const parts = [
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>',
    escapeHtml(renderSubject(n)),
    '</title></head><body style="font-family:sans-serif">',
    `<h2 style="color:${n.status === 'firing' ? '#b00020' : '#1b5e20'}">${escapeHtml(renderSubject(n))}</h2>`,
  ];
  for (const status of ['firing', 'resolved'] as const) {
    const group = n.alerts.filter((a) => a.status === status);
    if (group.length === 0) continue;
    parts.push(`<h3>${status === 'firing' ? 'Firing' : 'Resolved'} (${group.length})</h3><ul>`);
    for (const a of group) {
      parts.push(`<li><strong>${escapeHtml(alertLine(a))}</strong><table>`);
      const rows: Array<[string, string]> = [
        ...Object.entries(a.labels).map(([k, v]): [string, string] => [k, v]),
        ...Object.entries(a.annotations).filter(([k]) => k !== 'summary'),
        ['since', a.startsAt],
      ];
      if (a.status === 'resolved') rows.push(['resolved', a.endsAt]);
      for (const [k, v] of rows)
        parts.push(`<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`);
      parts.push('</table>');
      if (a.generatorURL) parts.push(`<a href="${escapeHtml(a.generatorURL)}">source</a>`);
      parts.push('</li>');
    }
    parts.push('</ul>');
  }
  if (n.truncatedAlerts > 0)
    parts.push(`<p>…and ${n.truncatedAlerts} more alert(s) not listed.</p>`);
  if (n.externalURL) parts.push(`<p><a href="${escapeHtml(n.externalURL)}">All alerts</a></p>`);
  parts.push('</body></html>');
  return parts.join('');
}

/**
 * A short text for SMS: `[FIRING:3] first summary; second summary…`, never longer than
 * `maxLength` characters (code points). The status and alert count always survive truncation.
 */
export function renderShortText(n: Notification, maxLength: number): string {
  if (!Number.isInteger(maxLength) || maxLength < 24)
    throw new Error('maxLength must be an integer ≥ 24');
  const { firing, resolved } = counts(n);
  const prefix = n.status === 'firing' ? `[FIRING:${firing}]` : `[RESOLVED:${resolved}]`;
  const shown = n.status === 'firing' ? n.alerts.filter((a) => a.status === 'firing') : n.alerts;
  const body = shown.map(alertLine).join('; ');
  const full = Array.from(`${prefix} ${body}`.replace(/\s+/g, ' ').trim());
  if (full.length <= maxLength) return full.join('');
  return `${full
    .slice(0, maxLength - 1)
    .join('')
    .trimEnd()}…`;
}

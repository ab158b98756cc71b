// Silences and inhibition (Alertmanager semantics). A silence mutes the alerts all of whose
// matchers match while it is active; an inhibition rule mutes target alerts while a source
// alert with equal values of the `equal` labels is open — a gateway offline inhibits its
// devices' offline alerts, a zone-wide flood inhibits per-sensor level alerts.
import { type LabelMatcher, type Labels, matchesAll } from './labels.js';

export interface SilenceWindow {
  id: string;
  matchers: readonly LabelMatcher[];
  startsAt: number;
  endsAt: number;
}

export const silenceActive = (s: SilenceWindow, now: number): boolean =>
  s.startsAt <= now && now < s.endsAt;

/** The ids of the active silences that mute an alert with these labels. */
export function silencedBy(
  labels: Labels,
  silences: readonly SilenceWindow[],
  now: number,
): string[] {
  return silences
    .filter((s) => silenceActive(s, now) && matchesAll(s.matchers, labels))
    .map((s) => s.id);
}

export interface InhibitRule {
  source: readonly LabelMatcher[];
  target: readonly LabelMatcher[];
  /** Labels whose values must be equal in source and target (absent counts as ''). */
  equal: readonly string[];
}

/**
 * Whether an alert is inhibited by one of the open `sources`. An alert never inhibits itself
 * (a rule matching both sides must not mute its own source).
 */
export function isInhibited(
  target: { fingerprint: string; labels: Labels },
  openAlerts: readonly { fingerprint: string; labels: Labels }[],
  rules: readonly InhibitRule[],
): boolean {
  for (const rule of rules) {
    if (!matchesAll(rule.target, target.labels)) continue;
    for (const source of openAlerts) {
      if (source.fingerprint === target.fingerprint) continue;
      if (!matchesAll(rule.source, source.labels)) continue;
      if (rule.equal.every((name) => (source.labels[name] ?? '') === (target.labels[name] ?? '')))
        return true;
    }
  }
  return false;
}

// Labels, fingerprints and matchers, with Alertmanager's semantics: an alert is identified by
// its label set (the fingerprint hashes the sorted pairs), and silences, inhibitions and routes
// select alerts by matchers (=, !=, =~, !~; regexes anchored; an absent label reads as '').
import { createHash } from 'node:crypto';

export type Labels = Readonly<Record<string, string>>;

/** Stable identity of a label set: sha256 over the sorted `name=value` pairs, 16 hex digits. */
export function fingerprint(labels: Labels): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(labels).sort()) {
    hash.update(name);
    hash.update('\u0000');
    hash.update(labels[name] ?? '');
    hash.update('\u0001');
  }
  return hash.digest('hex').slice(0, 16);
}

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

const regexCache = new Map<string, RegExp>();
function anchored(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`);
    regexCache.set(pattern, re);
  }
  return re;
}

/** Why a matcher cannot be used, or undefined when it can. */
export function matcherProblem(m: LabelMatcher): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(m.name))
    return `label name ${JSON.stringify(m.name)} is not a valid label name`;
  if (m.op === '=~' || m.op === '!~') {
    try {
      anchored(m.value);
    } catch (error) {
      return `invalid regular expression ${JSON.stringify(m.value)}: ${(error as Error).message}`;
    }
  }
  return undefined;
}

export function matches(m: LabelMatcher, labels: Labels): boolean {
  const value = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return anchored(m.value).test(value);
    case '!~':
      return !anchored(m.value).test(value);
  }
}

export const matchesAll = (matchers: readonly LabelMatcher[], labels: Labels): boolean =>
  matchers.every((m) => matches(m, labels));

/** A label selector (every pair must equal) as matchers. */
export const equalMatchers = (selector: Labels): LabelMatcher[] =>
  Object.entries(selector).map(([name, value]) => ({ name, op: '=' as const, value }));

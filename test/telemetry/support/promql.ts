// The metric names a PromQL expression reads, for checking dashboards against what services
// export. Prometheus 2.42 has no parse endpoint, so this is a small lexer: strings, label
// matchers, ranges, grouping clauses and numbers are removed; what remains and is not a
// function call or a keyword is a metric name. `{__name__=~"re"}` selectors come back as
// patterns.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

export interface MetricReferences {
  names: string[];
  patterns: RegExp[];
}

export function metricReferences(expr: string): MetricReferences {
  const patterns = [...expr.matchAll(/__name__\s*=~\s*"([^"]*)"/g)].map(
    ([, re]) => new RegExp(`^(?:${re})$`),
  );
  const stripped = expr
    .replace(/\{[^}]*\}/g, ' ') // label matchers (their strings included)
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ') // other strings (label_replace arguments)
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\boffset\s+-?\w+/g, ' ') // offset durations
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/(^|[^a-zA-Z0-9_:])\d+(\.\d+)?(e[+-]?\d+)?/gi, '$1 '); // numbers, 1e-9 too
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const token = match[0];
    const rest = stripped.slice((match.index ?? 0) + token.length);
    if (/^\s*\(/.test(rest)) continue; // a function or aggregation
    if (KEYWORDS.has(token.toLowerCase())) continue;
    names.add(token);
  }
  return { names: [...names], patterns };
}

/** Metric names in a Prometheus text exposition, histogram and summary series included. */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = line.match(/^# TYPE (\S+) (\S+)/);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      if (kind === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
      continue;
    }
    const sample = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/);
    if (sample) names.add(sample[1] as string);
  }
  return names;
}

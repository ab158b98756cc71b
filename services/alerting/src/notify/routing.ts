// The notification routing tree, with Alertmanager's semantics (prometheus/alertmanager
// dispatch/route.go): an alert's labels walk the tree from the root; a child whose matchers all
// hold takes the alert, and the walk stops at the first matching child unless that child has
// `continue: true`; a node none of whose children match keeps the alert itself. `receiver`,
// `group_by`, `group_wait`, `group_interval` and `repeat_interval` are inherited from the parent
// where a node leaves them out. The root has no matchers, so every label set reaches at least
// the root. Pure: no I/O.

/** A label set (name → value). A label that is absent matches as the empty string. */
export type Labels = Readonly<Record<string, string>>;

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
}

/** A route as written in configuration (YAML/JSON, Alertmanager's field names). */
export interface RouteConfig {
  receiver?: string;
  /** `name="value"`, `name!="v"`, `name=~"re"`, `name!~"re"` strings, or matcher objects. */
  matchers?: Array<string | Matcher>;
  continue?: boolean;
  /** Label names; `['...']` groups by all labels (one group per distinct label set). */
  group_by?: string[];
  /** Durations as `30s`, `5m`, `4h`, `1h30m`, or milliseconds as a number. */
  group_wait?: string | number;
  group_interval?: string | number;
  repeat_interval?: string | number;
  routes?: RouteConfig[];
}

/** A validated route with its effective (inherited) settings. */
export interface Route {
  /** Where the node sits in the configuration: `route`, `route.routes[1].routes[0]`. */
  readonly path: string;
  /** Alertmanager's route key: the parent's key, `/`, this node's matchers; part of group keys. */
  readonly key: string;
  readonly receiver: string;
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  /** Label names to group by (sorted); ignored when `groupByAll`. */
  readonly groupBy: readonly string[];
  readonly groupByAll: boolean;
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly routes: readonly Route[];
}

/** Alertmanager's defaults for the root route. */
export const ROUTE_DEFAULTS = Object.freeze({
  groupWaitMs: 30_000,
  groupIntervalMs: 5 * 60_000,
  repeatIntervalMs: 4 * 3_600_000,
});

export interface RoutingIssue {
  /** The offending node or field, e.g. `route.routes[2].matchers[0]`. */
  readonly path: string;
  readonly message: string;
}

/** A routing tree that failed validation; `issues` names every bad node by its path. */
export class RoutingTreeError extends Error {
  constructor(readonly issues: readonly RoutingIssue[]) {
    super(`invalid routing tree: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'RoutingTreeError';
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MATCHER =
  /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]*))\s*$/;
const ROUTE_KEYS = new Set([
  'receiver',
  'matchers',
  'continue',
  'group_by',
  'group_wait',
  'group_interval',
  'repeat_interval',
  'routes',
]);

/** Parses one matcher string (`severity=~"critical|page"`); throws naming what is wrong. */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER.exec(text);
  if (!m) {
    throw new Error(
      `cannot parse matcher ${JSON.stringify(text)}: expected name="value" with =, !=, =~ or !~`,
    );
  }
  const raw =
    m[3] !== undefined
      ? m[3].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
      : (m[4] ?? '');
  return { name: m[1]!, type: m[2] as MatchType, value: raw };
}

/** A matcher written back in Alertmanager's form (used in route keys). */
export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}

const regexCache = new Map<string, RegExp>();
function anchored(value: string): RegExp {
  let re = regexCache.get(value);
  if (!re) {
    // Alertmanager anchors matcher regexes at both ends; like Go's RE2 default, `.` stops at \n.
    re = new RegExp(`^(?:${value})$`, 'u');
    regexCache.set(value, re);
  }
  return re;
}

export function matcherMatches(m: Matcher, labels: Labels): boolean {
  const v = Object.hasOwn(labels, m.name) ? (labels[m.name] ?? '') : '';
  switch (m.type) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return anchored(m.value).test(v);
    case '!~':
      return !anchored(m.value).test(v);
  }
}

const DURATION = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [604_800_000, 86_400_000, 3_600_000, 60_000, 1_000, 1];

/** A Prometheus-style duration (`1h30m`, `30s`, `500ms`) or a number of ms → ms. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`duration ${value} ms is not a non-negative number`);
    return value;
  }
  const m = value === '' ? null : DURATION.exec(value);
  if (!m)
    throw new Error(
      `cannot parse duration ${JSON.stringify(value)}: expected e.g. 30s, 5m, 4h, 1h30m`,
    );
  return UNIT_MS.reduce((sum, unit, i) => sum + Number(m[i + 1] ?? 0) * unit, 0);
}

interface Inherited {
  key: string;
  receiver: string | undefined;
  groupBy: readonly string[];
  groupByAll: boolean;
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

/**
 * Validates a routing tree from configuration (`unknown`: parsed YAML or JSON) and resolves
 * every node's effective settings. Throws a `RoutingTreeError` listing every problem with the
 * path of the node. With `receivers`, each receiver name must be one of them.
 */
export function parseRoutingTree(
  input: unknown,
  options: { receivers?: Iterable<string> } = {},
): Route {
  const issues: RoutingIssue[] = [];
  const known = options.receivers ? new Set(options.receivers) : undefined;
  const issue = (path: string, message: string) => issues.push({ path, message });

  if (!isObject(input)) {
    throw new RoutingTreeError([{ path: 'route', message: 'the root route must be an object' }]);
  }
  if (
    input.matchers !== undefined &&
    !(Array.isArray(input.matchers) && input.matchers.length === 0)
  ) {
    issue('route.matchers', 'the root route must not have matchers: it catches every alert');
  }
  if (input.continue === true) issue('route.continue', 'the root route cannot have continue: true');
  if (typeof input.receiver !== 'string' || input.receiver === '') {
    issue('route.receiver', 'the root route needs a receiver (the default for every child)');
  }
  const root = walk(
    input,
    'route',
    {
      key: '',
      receiver: undefined,
      groupBy: [],
      groupByAll: false,
      ...ROUTE_DEFAULTS,
    },
    true,
  );
  if (issues.length > 0) throw new RoutingTreeError(issues);
  return root;

  function walk(
    node: Record<string, unknown>,
    path: string,
    parent: Inherited,
    isRoot: boolean,
  ): Route {
    for (const k of Object.keys(node)) {
      if (!ROUTE_KEYS.has(k))
        issue(`${path}.${k}`, `unknown field (known: ${[...ROUTE_KEYS].join(', ')})`);
    }
    let receiver = parent.receiver;
    if (node.receiver !== undefined) {
      if (typeof node.receiver !== 'string' || node.receiver === '') {
        issue(`${path}.receiver`, 'must be a non-empty string');
      } else {
        receiver = node.receiver;
        if (known && !known.has(receiver))
          issue(`${path}.receiver`, `no receiver named ${JSON.stringify(receiver)}`);
      }
    }
    const matchers: Matcher[] = [];
    if (!isRoot && node.matchers !== undefined) {
      if (!Array.isArray(node.matchers)) issue(`${path}.matchers`, 'must be a list');
      else {
        node.matchers.forEach((raw, i) => {
          const at = `${path}.matchers[${i}]`;
          try {
            const m = typeof raw === 'string' ? parseMatcher(raw) : checkMatcherObject(raw);
            if (m.type === '=~' || m.type === '!~') anchored(m.value);
            matchers.push(m);
          } catch (error) {
            issue(at, (error as Error).message);
          }
        });
      }
    }
    let cont = false;
    if (node.continue !== undefined) {
      if (typeof node.continue !== 'boolean') issue(`${path}.continue`, 'must be true or false');
      else cont = node.continue;
    }
    let groupBy = parent.groupBy;
    let groupByAll = parent.groupByAll;
    if (node.group_by !== undefined) {
      if (!Array.isArray(node.group_by) || !node.group_by.every((n) => typeof n === 'string')) {
        issue(`${path}.group_by`, 'must be a list of label names');
      } else {
        const names = node.group_by as string[];
        if (names.includes('...')) {
          if (names.length > 1)
            issue(`${path}.group_by`, "'...' groups by all labels and must stand alone");
          groupByAll = true;
          groupBy = [];
        } else {
          const bad = names.filter((n) => !LABEL_NAME.test(n));
          if (bad.length > 0) issue(`${path}.group_by`, `invalid label name(s): ${bad.join(', ')}`);
          if (new Set(names).size !== names.length)
            issue(`${path}.group_by`, 'has duplicate label names');
          groupByAll = false;
          groupBy = [...new Set(names)].sort();
        }
      }
    }
    const duration = (
      field: 'group_wait' | 'group_interval' | 'repeat_interval',
      inherited: number,
      positive: boolean,
    ) => {
      const raw = node[field];
      if (raw === undefined) return inherited;
      if (typeof raw !== 'string' && typeof raw !== 'number') {
        issue(`${path}.${field}`, 'must be a duration such as 30s, 5m or 4h');
        return inherited;
      }
      try {
        const ms = parseDuration(raw);
        if (positive && ms <= 0) issue(`${path}.${field}`, 'must be greater than zero');
        return ms;
      } catch (error) {
        issue(`${path}.${field}`, (error as Error).message);
        return inherited;
      }
    };
    const groupWaitMs = duration('group_wait', parent.groupWaitMs, false);
    const groupIntervalMs = duration('group_interval', parent.groupIntervalMs, true);
    const repeatIntervalMs = duration('repeat_interval', parent.repeatIntervalMs, true);
    const key = isRoot ? '{}' : `${parent.key}/{${matchers.map(formatMatcher).join(',')}}`;
    const here: Inherited = {
      key,
      receiver,
      groupBy,
      groupByAll,
      groupWaitMs,
      groupIntervalMs,
      repeatIntervalMs,
    };

    const children: Route[] = [];
    if (node.routes !== undefined) {
      if (!Array.isArray(node.routes)) issue(`${path}.routes`, 'must be a list of routes');
      else {
        const seen = new Set<string>();
        node.routes.forEach((child, i) => {
          const at = `${path}.routes[${i}]`;
          if (!isObject(child)) {
            issue(at, 'must be an object');
            return;
          }
          let route = walk(child, at, here, false);
          // Siblings with equal matchers (e.g. two `continue` routes to different receivers)
          // get their index appended, as Alertmanager's route ID does, so group keys differ.
          if (seen.has(route.key)) route = rekey(route, route.key, `${route.key}#${i}`);
          seen.add(route.key);
          children.push(route);
        });
      }
    }
    return Object.freeze({
      path,
      key,
      receiver: receiver ?? '',
      matchers: Object.freeze(matchers),
      continue: cont,
      groupBy: Object.freeze([...groupBy]),
      groupByAll,
      groupWaitMs,
      groupIntervalMs,
      repeatIntervalMs,
      routes: Object.freeze(children),
    });
  }
}

function rekey(route: Route, from: string, to: string): Route {
  return Object.freeze({
    ...route,
    key: to + route.key.slice(from.length),
    routes: Object.freeze(route.routes.map((r) => rekey(r, from, to))),
  });
}

function checkMatcherObject(raw: unknown): Matcher {
  if (!isObject(raw)) throw new Error('must be a matcher string or an object {name, type, value}');
  const { name, type, value } = raw;
  if (typeof name !== 'string' || !LABEL_NAME.test(name))
    throw new Error(`invalid label name ${JSON.stringify(name)}`);
  if (type !== '=' && type !== '!=' && type !== '=~' && type !== '!~') {
    throw new Error(`invalid match type ${JSON.stringify(type)}: expected =, !=, =~ or !~`);
  }
  if (typeof value !== 'string') throw new Error('value must be a string');
  return { name, type, value };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The routes that take an alert with these labels, in tree order (Alertmanager's `Match`):
 * never empty for a tree from `parseRoutingTree`, since the root matches everything.
 */
export function matchRoutes(route: Route, labels: Labels): Route[] {
  if (!route.matchers.every((m) => matcherMatches(m, labels))) return [];
  const all: Route[] = [];
  for (const child of route.routes) {
    const matches = matchRoutes(child, labels);
    all.push(...matches);
    if (matches.length > 0 && !child.continue) break;
  }
  if (all.length === 0) all.push(route);
  return all;
}

/** The labels an alert is grouped by on this route. */
export function groupLabels(route: Route, labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  const names = route.groupByAll ? Object.keys(labels).sort() : route.groupBy;
  for (const name of names) {
    const v = labels[name];
    if (v !== undefined && v !== '') out[name] = v;
  }
  return out;
}

/**
 * The aggregation group an alert lands in on this route, in Alertmanager's form
 * `<route key>:{name="value",...}`; alerts with equal keys are notified together.
 */
export function groupKey(route: Route, labels: Labels): string {
  const g = groupLabels(route, labels);
  const body = Object.keys(g)
    .sort()
    .map((n) => `${n}=${JSON.stringify(g[n])}`)
    .join(', ');
  return `${route.key}:{${body}}`;
}

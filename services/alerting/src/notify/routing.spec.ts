import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  groupKey,
  groupLabels,
  type Labels,
  type Matcher,
  matcherMatches,
  matchRoutes,
  parseDuration,
  parseMatcher,
  parseRoutingTree,
  type Route,
  type RouteConfig,
  RoutingTreeError,
} from './routing.js';

const tree = parseRoutingTree(
  {
    receiver: 'ops-mail',
    group_by: ['alertname'],
    group_wait: '30s',
    routes: [
      {
        matchers: ['service="bollards"'],
        receiver: 'bollards-pager',
        group_by: ['alertname', 'zone'],
        routes: [
          {
            matchers: ['severity="critical"'],
            receiver: 'bollards-sms',
            group_wait: '0s',
            repeat_interval: '15m',
          },
        ],
      },
      { matchers: ['severity=~"critical|page"'], receiver: 'duty-webhook', continue: true },
      { matchers: ['team!=""'], receiver: 'team-mail', group_by: ['...'] },
      { matchers: ['team!~"lighting|waste"'], receiver: 'fallback-team' },
    ],
  },
  {
    receivers: [
      'ops-mail',
      'bollards-pager',
      'bollards-sms',
      'duty-webhook',
      'team-mail',
      'fallback-team',
    ],
  },
);
const receivers = (labels: Labels) => matchRoutes(tree, labels).map((r) => r.receiver);

describe('routing tree', () => {
  it('routes like Alertmanager: first match wins, continue goes on, unmatched stays at the parent', () => {
    expect(receivers({ service: 'bollards', severity: 'critical' })).toEqual(['bollards-sms']);
    expect(receivers({ service: 'bollards', severity: 'warning' })).toEqual(['bollards-pager']);
    // continue: duty-webhook matches and the walk goes on to the team route.
    expect(receivers({ service: 'lighting', severity: 'page', team: 'lighting' })).toEqual([
      'duty-webhook',
      'team-mail',
    ]);
    // No team: team!="" fails (absent label = ""), team!~"lighting|waste" holds for "".
    expect(receivers({ service: 'lighting', severity: 'page' })).toEqual([
      'duty-webhook',
      'fallback-team',
    ]);
    expect(receivers({ team: 'lighting' })).toEqual(['team-mail']);
    expect(receivers({ alertname: 'x', team: '' })).toEqual(['fallback-team']);
  });

  it('falls back to the root when nothing below matches', () => {
    const t = parseRoutingTree({
      receiver: 'root',
      routes: [{ matchers: ['a="1"'], receiver: 'one' }],
    });
    expect(matchRoutes(t, { a: '2' })).toEqual([t]);
    expect(matchRoutes(t, {})[0]!.path).toBe('route');
  });

  it('inherits settings and resolves durations', () => {
    const [sms] = matchRoutes(tree, {
      service: 'bollards',
      severity: 'critical',
      zone: 'centre',
      alertname: 'Stuck',
    });
    expect(sms).toMatchObject({
      path: 'route.routes[0].routes[0]',
      receiver: 'bollards-sms',
      groupBy: ['alertname', 'zone'],
      groupWaitMs: 0,
      groupIntervalMs: 300_000,
      repeatIntervalMs: 900_000,
      key: '{}/{service="bollards"}/{severity="critical"}',
    });
    expect(
      groupLabels(sms!, {
        service: 'bollards',
        severity: 'critical',
        zone: 'centre',
        alertname: 'Stuck',
      }),
    ).toEqual({
      alertname: 'Stuck',
      zone: 'centre',
    });
    expect(groupKey(sms!, { zone: 'centre', alertname: 'Stuck', other: 'x' })).toBe(
      '{}/{service="bollards"}/{severity="critical"}:{alertname="Stuck", zone="centre"}',
    );
    const [team] = matchRoutes(tree, { team: 'waste', b: '2', a: '1' });
    expect(team!.groupByAll).toBe(true);
    expect(groupLabels(team!, { team: 'waste', b: '2', a: '1' })).toEqual({
      a: '1',
      b: '2',
      team: 'waste',
    });
  });

  it('gives siblings with equal matchers distinct keys', () => {
    const t = parseRoutingTree({
      receiver: 'r',
      routes: [
        { matchers: ['a="1"'], receiver: 'x', continue: true },
        { matchers: ['a="1"'], receiver: 'y' },
      ],
    });
    const keys = matchRoutes(t, { a: '1' }).map((r) => r.key);
    expect(keys).toEqual(['{}/{a="1"}', '{}/{a="1"}#1']);
  });

  it('parses matchers and durations', () => {
    expect(parseMatcher('severity=~"crit.*"')).toEqual({
      name: 'severity',
      type: '=~',
      value: 'crit.*',
    });
    expect(parseMatcher('a != "say \\"hi\\""')).toEqual({
      name: 'a',
      type: '!=',
      value: 'say "hi"',
    });
    expect(parseMatcher('zone=north')).toEqual({ name: 'zone', type: '=', value: 'north' });
    expect(() => parseMatcher('1a="x"')).toThrow(/cannot parse matcher/);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(() => parseDuration('5 minutes')).toThrow(/cannot parse duration/);
    // Regexes are anchored, as in Alertmanager.
    expect(matcherMatches({ name: 'a', type: '=~', value: 'b' }, { a: 'abc' })).toBe(false);
    expect(matcherMatches({ name: 'a', type: '!~', value: 'b' }, { a: 'abc' })).toBe(true);
    // As in Go's RE2 without (?s): `.` does not cross a newline.
    expect(matcherMatches({ name: 'a', type: '=~', value: '.*' }, { a: 'x\ny' })).toBe(false);
    expect(matcherMatches({ name: 'a', type: '=~', value: '(?:.|\\n)*' }, { a: 'x\ny' })).toBe(
      true,
    );
  });

  it('rejects a bad tree naming the path of every bad node', () => {
    const attempt = () =>
      parseRoutingTree(
        {
          receiver: 'root',
          matchers: ['a="1"'],
          routes: [
            { receiver: 'ok' },
            {
              receiver: 'nobody',
              group_wait: 'soon',
              routes: [
                {
                  matchers: ['x=~"("', 'oops'],
                  repeat_interval: '0s',
                  group_by: ['...', 'a'],
                  colour: 'red',
                },
              ],
            },
            'not a route',
          ],
        },
        { receivers: ['root', 'ok'] },
      );
    expect(attempt).toThrow(RoutingTreeError);
    let issues: readonly { path: string; message: string }[] = [];
    try {
      attempt();
    } catch (error) {
      issues = (error as RoutingTreeError).issues;
    }
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual([
      'route.matchers',
      'route.routes[1].receiver',
      'route.routes[1].group_wait',
      'route.routes[1].routes[0].colour',
      'route.routes[1].routes[0].matchers[0]',
      'route.routes[1].routes[0].matchers[1]',
      'route.routes[1].routes[0].group_by',
      'route.routes[1].routes[0].repeat_interval',
      'route.routes[2]',
    ]);
    expect(issues[1]!.message).toMatch(/no receiver named "nobody"/);
    expect(() => parseRoutingTree({ routes: [] })).toThrow(
      /route.receiver: the root route needs a receiver/,
    );
    expect(() => parseRoutingTree(null)).toThrow(/root route must be an object/);
  });
});

// --- properties -----------------------------------------------------------------------------

const NAMES = ['a', 'b', 'c'] as const;
const VALUES = ['', 'x', 'y', 'xy'] as const;
const matcherArb: fc.Arbitrary<Matcher> = fc.record({
  name: fc.constantFrom(...NAMES),
  type: fc.constantFrom('=', '!=', '=~', '!~'),
  value: fc.constantFrom('', 'x', 'y', 'x|y', 'x.*', '.*', '.+'),
}) as fc.Arbitrary<Matcher>;
const labelsArb: fc.Arbitrary<Labels> = fc.dictionary(
  fc.constantFrom(...NAMES),
  fc.constantFrom(...VALUES),
);

const settingsArb = fc.record(
  {
    receiver: fc.constantFrom('r1', 'r2', 'r3'),
    group_by: fc.oneof(fc.subarray([...NAMES]), fc.constant<string[]>(['...'])),
    group_wait: fc.constantFrom('0s', '10s', '1m'),
    group_interval: fc.constantFrom('1m', '5m'),
    repeat_interval: fc.constantFrom('1h', '3h'),
    continue: fc.boolean(),
  },
  { requiredKeys: [] },
);
const nodeArb = (depth: number): fc.Arbitrary<RouteConfig> =>
  fc
    .tuple(
      settingsArb,
      fc.array(matcherArb, { maxLength: 2 }),
      depth > 0 ? fc.array(nodeArb(depth - 1), { maxLength: 3 }) : fc.constant([]),
    )
    .map(([settings, matchers, routes]) => ({ ...settings, matchers, routes }) as RouteConfig);
const childArb = nodeArb(2);
const treeArb: fc.Arbitrary<RouteConfig> = fc
  .tuple(settingsArb, fc.array(childArb, { maxLength: 4 }))
  .map(([{ continue: _c, ...settings }, routes]) => ({
    ...settings,
    receiver: settings.receiver ?? 'root',
    routes,
  }));

function ancestry(root: Route, target: Route): Route[] | undefined {
  if (root === target) return [root];
  for (const c of root.routes) {
    const chain = ancestry(c, target);
    if (chain) return [root, ...chain];
  }
  return undefined;
}
const holds = (r: Route, labels: Labels) => r.matchers.every((m) => matcherMatches(m, labels));
const isUnder = (root: Route, target: Route) => ancestry(root, target) !== undefined;

describe('routing tree properties', () => {
  it('every label set reaches at least one route, each with all its ancestors matching', () => {
    fc.assert(
      fc.property(treeArb, labelsArb, (config, labels) => {
        const root = parseRoutingTree(config);
        const matched = matchRoutes(root, labels);
        expect(matched.length).toBeGreaterThan(0);
        for (const r of matched) {
          const chain = ancestry(root, r)!;
          expect(chain.every((n) => holds(n, labels))).toBe(true);
          // A returned route is where the walk ended: none of its children matched.
          expect(r.routes.some((c) => matchRoutes(c, labels).length > 0)).toBe(false);
        }
        expect(new Set(matched).size).toBe(matched.length);
      }),
      { numRuns: 300 },
    );
  });

  it('continue: siblings after the first matching non-continue child never receive the alert', () => {
    fc.assert(
      fc.property(treeArb, labelsArb, (config, labels) => {
        const root = parseRoutingTree(config);
        const matched = matchRoutes(root, labels);
        const check = (node: Route) => {
          let stopped = false;
          for (const child of node.routes) {
            const reached = matched.some((m) => isUnder(child, m));
            if (stopped) expect(reached).toBe(false);
            if (reached) {
              // A child matching (all of its own matchers hold) always contributes unless stopped.
              expect(holds(child, labels)).toBe(true);
              if (!child.continue) stopped = true;
              check(child);
            } else if (
              !stopped &&
              holds(child, labels) &&
              ancestry(root, node)!.every((n) => holds(n, labels))
            ) {
              throw new Error(`${child.path} matches but got nothing`);
            }
          }
        };
        check(root);
      }),
      { numRuns: 300 },
    );
  });

  it('each node inherits every unset setting from its parent', () => {
    fc.assert(
      fc.property(treeArb, (config) => {
        const root = parseRoutingTree(config);
        const check = (cfg: RouteConfig, route: Route, parent: Route | undefined) => {
          expect(route.receiver).toBe(cfg.receiver ?? parent?.receiver);
          if (cfg.group_wait === undefined)
            expect(route.groupWaitMs).toBe(parent ? parent.groupWaitMs : 30_000);
          else expect(route.groupWaitMs).toBe(parseDuration(cfg.group_wait));
          if (cfg.group_interval === undefined)
            expect(route.groupIntervalMs).toBe(parent ? parent.groupIntervalMs : 300_000);
          if (cfg.repeat_interval === undefined)
            expect(route.repeatIntervalMs).toBe(parent ? parent.repeatIntervalMs : 14_400_000);
          else expect(route.repeatIntervalMs).toBe(parseDuration(cfg.repeat_interval));
          if (cfg.group_by === undefined) {
            expect(route.groupBy).toEqual(parent?.groupBy ?? []);
            expect(route.groupByAll).toBe(parent?.groupByAll ?? false);
          } else expect(route.groupByAll).toBe(cfg.group_by.includes('...'));
          for (const [i, c] of (cfg.routes ?? []).entries()) check(c, route.routes[i]!, route);
        };
        check(config, root, undefined);
      }),
      { numRuns: 200 },
    );
  });

  it('group keys are equal exactly when route and group labels are equal', () => {
    fc.assert(
      fc.property(treeArb, labelsArb, labelsArb, (config, l1, l2) => {
        const root = parseRoutingTree(config);
        for (const r of matchRoutes(root, l1)) {
          const same = JSON.stringify(groupLabels(r, l1)) === JSON.stringify(groupLabels(r, l2));
          expect(groupKey(r, l1) === groupKey(r, l2)).toBe(same);
        }
      }),
      { numRuns: 200 },
    );
  });
});

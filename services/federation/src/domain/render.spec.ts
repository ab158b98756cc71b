import { describe, expect, it } from 'vitest';
import { parsePolicy } from './policy.js';
import type { Region } from './region.js';
import { extractCityUsers, renderRegion } from './render.js';

const cityConf = `
# a comment with [brackets] and "quotes"
accounts {
  CITY {
    jetstream: enabled
    users: [
      { user: ingest, password: $INGEST_NATS_PASSWORD, permissions: { publish: { allow: ["a.>", "]"] } } } # ]
    ]
  }
}`;
const region: Region = {
  region: 'r',
  cities: [
    { id: 'a', policyFile: 'a' },
    { id: 'b', policyFile: 'b' },
    { id: 'c', policyFile: 'c' },
  ],
};
const policies = new Map([
  [
    'a',
    parsePolicy(
      {
        city: 'a',
        shares: [
          { name: 'w', granularity: 'raw', metrics: ['x'], to: ['b'] },
          { name: 'alert', granularity: 'alerts', to: ['b', 'c'] },
          { name: 'mine', granularity: 'raw', metrics: ['y'] },
        ],
      },
      'a',
    ),
  ],
  ['b', parsePolicy({ city: 'b' }, 'b')],
  ['c', parsePolicy({ city: 'c' }, 'c')],
]);

describe('extractCityUsers', () => {
  it("takes the CITY account's users verbatim, skipping brackets in strings and comments", () => {
    const users = extractCityUsers(cityConf);
    expect(users.startsWith('[\n      { user: ingest')).toBe(true);
    expect(users.endsWith('# ]\n    ]')).toBe(true);
  });
  it('says what is missing', () => {
    expect(() => extractCityUsers('accounts { X {} }')).toThrow('city.conf: no CITY account');
  });
});

describe('renderRegion', () => {
  const files = renderRegion({ region, policies, cityConf, sources: ['region.yaml'] });

  it('exports exactly the shared subjects to exactly the neighbours named, and imports them remapped', () => {
    const hub = files.get('hub.conf') as string;
    const exports = [...hub.matchAll(/\{ stream: "([^"]+)", accounts: \[([^\]]+)\] \}/g)].map(
      (m) => `${m[1]} → ${m[2]}`,
    );
    expect(exports).toEqual(['region.a.w.> → B', 'region.a.alert.cap → B, C']);
    const imports = [...hub.matchAll(/account: (\w+), subject: "([^"]+)" \}, to: "([^"]+)"/g)].map(
      (m) => m.slice(1).join(' '),
    );
    expect(imports).toEqual([
      'A region.a.w.> neighbour.a.w.>',
      'A region.a.alert.cap neighbour.a.alert.cap',
      'A region.a.alert.cap neighbour.a.alert.cap',
    ]);
    expect(hub).not.toContain('region.a.mine');
    expect(hub).toMatch(/domain: hub/);
    // Each city's leaf user sees only its own JetStream domain.
    expect(hub).toContain('"$JS.a.API.CONSUMER.CREATE.SHARE"');
    expect(hub.match(/\$JS\.b\.API/g)?.length).toBe(4);
  });

  it("gives each city its domain, the hub remote and city.conf's users", () => {
    const a = files.get('a.conf') as string;
    expect(a).toMatch(/domain: a\n/);
    expect(a).toContain('{ url: $HUB_LEAF_URL, account: CITY }');
    expect(a).toContain('{ user: ingest, password: $INGEST_NATS_PASSWORD');
    expect(a).toContain('#   share.w.> (raw) → b');
    expect([...files.keys()]).toEqual(['hub.conf', 'a.conf', 'b.conf', 'c.conf']);
  });
});

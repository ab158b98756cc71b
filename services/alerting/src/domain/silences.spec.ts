import { describe, expect, it } from 'vitest';
import { fingerprint, matcherProblem, matches } from './labels.js';
import { isInhibited, silencedBy } from './silences.js';

describe('labels and matchers', () => {
  it('fingerprints do not depend on label order and differ by any value', () => {
    expect(fingerprint({ a: '1', b: '2' })).toBe(fingerprint({ b: '2', a: '1' }));
    expect(fingerprint({ a: '1', b: '2' })).not.toBe(fingerprint({ a: '1', b: '3' }));
    expect(fingerprint({ ab: '' })).not.toBe(fingerprint({ a: 'b' }));
  });
  it('match with Alertmanager semantics (anchored regexes, absent = "")', () => {
    expect(matches({ name: 'zone', op: '=~', value: 'grote.*' }, { zone: 'grote-markt' })).toBe(
      true,
    );
    expect(matches({ name: 'zone', op: '=~', value: 'markt' }, { zone: 'grote-markt' })).toBe(
      false,
    );
    expect(matches({ name: 'x', op: '=', value: '' }, {})).toBe(true);
    expect(matches({ name: 'x', op: '!~', value: 'a|b' }, { x: 'c' })).toBe(true);
    expect(matcherProblem({ name: 'x', op: '=~', value: '(' })).toMatch(
      /invalid regular expression/,
    );
    expect(matcherProblem({ name: '1x', op: '=', value: '' })).toMatch(/label name/);
  });
});

describe('silences', () => {
  const s = {
    id: 's1',
    matchers: [{ name: 'zone', op: '=' as const, value: 'z1' }],
    startsAt: 100,
    endsAt: 200,
  };
  it('mute matching alerts only between start and end', () => {
    expect(silencedBy({ zone: 'z1' }, [s], 99)).toEqual([]);
    expect(silencedBy({ zone: 'z1' }, [s], 100)).toEqual(['s1']);
    expect(silencedBy({ zone: 'z2' }, [s], 150)).toEqual([]);
    expect(silencedBy({ zone: 'z1' }, [s], 200)).toEqual([]);
  });
});

describe('inhibition', () => {
  const gateway = {
    source: [{ name: 'alertname', op: '=' as const, value: 'gateway offline' }],
    target: [{ name: 'alertname', op: '=' as const, value: 'device offline' }],
    equal: ['gateway'],
  };
  const flood = {
    source: [{ name: 'alertname', op: '=' as const, value: 'zone flood' }],
    target: [{ name: 'alertname', op: '=' as const, value: 'water level high' }],
    equal: ['zone'],
  };
  const a = (labels: Record<string, string>) => ({ labels, fingerprint: fingerprint(labels) });
  it('a gateway offline inhibits the offline alerts of its devices only', () => {
    const gw = a({ alertname: 'gateway offline', gateway: 'gw-1' });
    expect(
      isInhibited(
        a({ alertname: 'device offline', gateway: 'gw-1', device: 'd1' }),
        [gw],
        [gateway],
      ),
    ).toBe(true);
    expect(
      isInhibited(
        a({ alertname: 'device offline', gateway: 'gw-2', device: 'd2' }),
        [gw],
        [gateway],
      ),
    ).toBe(false);
  });
  it('a zone-wide flood inhibits per-sensor level alerts of that zone', () => {
    const z = a({ alertname: 'zone flood', zone: 'dyle' });
    expect(
      isInhibited(a({ alertname: 'water level high', zone: 'dyle', device: 'wl-1' }), [z], [flood]),
    ).toBe(true);
    expect(
      isInhibited(a({ alertname: 'water level high', zone: 'nete', device: 'wl-9' }), [z], [flood]),
    ).toBe(false);
    expect(isInhibited(z, [z], [{ ...flood, target: flood.source }])).toBe(false);
  });
});

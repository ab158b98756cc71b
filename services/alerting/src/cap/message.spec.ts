import { describe, expect, it } from 'vitest';
import { floodInfo, nearestSandbagPoints, sandbagAdvice, sandbagInstruction } from './flood.js';
import type { ResourcePoint } from './geo.js';
import {
  buildCapAlert,
  type CapAlert,
  CapValidationError,
  type CapWarningInput,
  capIdentifier,
  referenceTo,
  renderCapXml,
  validateCapAlert,
} from './message.js';
import { escapeAttribute, escapeText } from './xml.js';

const base: CapWarningInput = {
  alertId: 'a1',
  version: 1,
  state: 'active',
  sender: 'alerting@breda.example',
  sentAt: new Date('2026-12-03T13:00:00Z'),
  timeZone: 'Europe/Brussels',
  areas: [
    {
      areaDesc: 'Centre',
      polygons: [
        [
          { lat: 51.59, lon: 4.77 },
          { lat: 51.59, lon: 4.78 },
          { lat: 51.58, lon: 4.78 },
        ],
      ],
    },
  ],
  info: [
    {
      language: 'en-GB',
      categories: ['Met'],
      event: 'Storm',
      urgency: 'Expected',
      severity: 'Moderate',
      certainty: 'Likely',
    },
  ],
};

describe('CAP messages from alerts', () => {
  it('Alert for version 1, Update with references after, Cancel on resolve', () => {
    const first = buildCapAlert(base);
    expect(first).toMatchObject({
      msgType: 'Alert',
      status: 'Actual',
      scope: 'Public',
      sent: '2026-12-03T14:00:00+01:00',
    });
    expect(first.references).toBeUndefined();
    // The builder closes polygons.
    expect(first.info[0]!.areas[0]!.polygons![0]).toHaveLength(4);
    const second = buildCapAlert({ ...base, version: 2, previous: [referenceTo(first)] });
    expect(second.msgType).toBe('Update');
    expect(second.references).toEqual([
      { sender: first.sender, identifier: first.identifier, sent: first.sent },
    ]);
    const cancel = buildCapAlert({
      ...base,
      version: 3,
      state: 'resolved',
      previous: [referenceTo(first), referenceTo(second)],
    });
    expect(cancel).toMatchObject({ msgType: 'Cancel' });
    expect(cancel.info[0]).toMatchObject({ urgency: 'Past', responseTypes: ['AllClear'] });
    expect(() => buildCapAlert({ ...base, version: 2 })).toThrow(
      /previous: a Update \(version 2\) needs the earlier messages/,
    );
    expect(() => buildCapAlert({ ...base, state: 'resolved' })).toThrow(CapValidationError);
  });

  it('identifiers are stable per alert and version, distinct otherwise, and CAP-safe', () => {
    const id = capIdentifier('alerting@breda.example', 'a1', 1);
    expect(capIdentifier('alerting@breda.example', 'a1', 1)).toBe(id);
    expect(capIdentifier('alerting@breda.example', 'a1', 2)).not.toBe(id);
    expect(capIdentifier('alerting@tilburg.example', 'a1', 1)).not.toBe(id);
    expect(capIdentifier('s', 'a b,c<&', 1)).toMatch(/^[^\s,<&]+$/);
    expect(capIdentifier('s', 'a b,c<&', 1)).not.toBe(capIdentifier('s', 'a b,c<', 1));
    expect(() => capIdentifier('s', 'a', 0)).toThrow(/version/);
  });

  it('validation names every bad field', () => {
    const bad = {
      ...buildCapAlert(base),
      identifier: 'has space',
      sent: '2026-12-03T13:00:00Z',
      msgType: 'Update',
      scope: 'Private',
    } as CapAlert;
    bad.info = [
      {
        ...bad.info[0]!,
        urgency: 'Soon' as never,
        categories: [],
        web: 'not a url',
        areas: [{ areaDesc: ' ', polygons: [[{ lat: 1, lon: 1 }]] }],
      },
    ];
    const paths = validateCapAlert(bad).map((i) => i.path);
    expect(paths).toEqual([
      'identifier',
      'sent',
      'scope',
      'references',
      'info[0].category',
      'info[0].urgency',
      'info[0].web',
      'info[0].area[0].areaDesc',
      'info[0].area[0].polygon[0]',
    ]);
    expect(() => renderCapXml(bad)).toThrow(/invalid CAP message: identifier: must be non-empty/);
    expect(validateCapAlert(bad, { publishing: false }).map((i) => i.path)).not.toContain('scope');
  });

  it('refuses characters XML cannot carry, escapes the rest', () => {
    expect(escapeText('a & b < c > d "e"')).toBe('a &amp; b &lt; c &gt; d "e"');
    expect(escapeAttribute(`"it's" <&>\n`)).toBe('&quot;it&apos;s&quot; &lt;&amp;&gt;&#10;');
    expect(() => escapeText('bell\u0007', 'headline')).toThrow(
      /headline: character U\+0007 at position 4/,
    );
    expect(() => escapeText('lone \uD800 surrogate')).toThrow(/U\+D800/);
    expect(escapeText('🌊 Émile')).toBe('🌊 Émile');
    const withBell = { ...base, info: [{ ...base.info[0]!, headline: 'ding\u0007' }] };
    expect(() => renderCapXml(buildCapAlert(withBell))).toThrow(
      /info\[0\]\.headline: character U\+0007/,
    );
  });
});

describe('flood instructions', () => {
  const registry: ResourcePoint[] = [
    { id: 'far', name: 'Far depot', kind: 'sandbags', lat: 51.7, lon: 4.9 },
    {
      id: 'near',
      name: 'Sporthal Émile & Zoon',
      kind: 'sandbags',
      lat: 51.5705,
      lon: 4.781,
      opening: '08:00–20:00',
    },
    { id: 'mid', name: 'Depot Ginneken', kind: 'sandbags', lat: 51.5663, lon: 4.7898 },
    {
      id: 'shelter',
      name: 'Nearest of all, but a shelter',
      kind: 'shelter',
      lat: 51.57,
      lon: 4.781,
    },
  ];
  const circle = { center: { lat: 51.57, lon: 4.781 }, radiusKm: 0.5 };

  it('names the nearest sandbag points, in three languages', () => {
    const nearest = nearestSandbagPoints({ circle }, registry, 2);
    expect(nearest.map((n) => n.point.id)).toEqual(['near', 'mid']);
    expect(sandbagInstruction(nearest, 'en')).toBe(
      'Protect doors, basement windows and other low openings against water. Sandbags are available at the nearest distribution points: 1. Sporthal Émile & Zoon (0.1 km; 08:00–20:00) 2. Depot Ginneken (0.7 km)',
    );
    expect(sandbagInstruction(nearest, 'nl')).toContain(
      'Zandzakken zijn verkrijgbaar bij de dichtstbijzijnde uitdeelpunten: 1. Sporthal Émile & Zoon (0,1 km; 08:00–20:00)',
    );
    expect(sandbagInstruction(nearest, 'fr')).toContain(
      'points de distribution les plus proches : 1. Sporthal Émile & Zoon (0,1 km',
    );
    expect(sandbagInstruction([], 'en')).toMatch(/No sandbag distribution point/);
  });

  it('advice for a polygon area measures from its centroid', () => {
    const square = [
      { lat: 51.565, lon: 4.776 },
      { lat: 51.565, lon: 4.786 },
      { lat: 51.575, lon: 4.786 },
      { lat: 51.575, lon: 4.776 },
    ];
    const advice = sandbagAdvice({ polygon: square }, registry, 5);
    expect(advice.center.lat).toBeCloseTo(51.57, 9);
    expect(advice.center.lon).toBeCloseTo(4.781, 9);
    // Only sandbag points, never the (nearer) shelter; all three, nearest first.
    expect(advice.nearest.map((n) => n.point.id)).toEqual(['near', 'mid', 'far']);
    expect(advice.nearest[0]!.distanceKm).toBeCloseTo(0.0556, 3);
    expect(advice.instructions.en).toBe(sandbagInstruction(advice.nearest, 'en'));
    expect(advice.instructions.nl).toMatch(/^Bescherm deuren/);
    expect(advice.instructions.fr).toMatch(/^Protégez les portes/);
    expect(sandbagAdvice({ circle }, registry, 0).nearest).toEqual([]);
  });

  it('builds one info block per language with the instruction and the points as parameters', () => {
    const { info, nearest } = floodInfo({
      area: { areaDesc: 'Ginneken', circles: [circle] },
      registry,
      k: 1,
      common: {
        categories: ['Met'],
        event: 'Flood warning',
        urgency: 'Immediate',
        severity: 'Severe',
        certainty: 'Likely',
      },
      texts: {
        en: { headline: 'Flood', description: 'Water' },
        fr: { headline: 'Crue', description: 'Eau' },
      },
    });
    expect(nearest).toHaveLength(1);
    expect(info.map((i) => i.language)).toEqual(['en-GB', 'fr-BE']);
    expect(info[1]!.instruction).toContain('Sporthal Émile & Zoon');
    expect(info[0]!.parameters).toEqual([{ valueName: 'sandbagPoint', value: 'near 0.06 km' }]);
    const xml = renderCapXml(buildCapAlert({ ...base, areas: [], info }));
    expect(xml).toContain('Sporthal Émile &amp; Zoon (0.1 km; 08:00–20:00)');
    expect(() =>
      floodInfo({
        area: { areaDesc: 'x' },
        registry,
        common: info[0]!,
        texts: { en: { headline: '', description: '' } },
      }),
    ).toThrow(/needs a polygon or a circle/);
  });
});

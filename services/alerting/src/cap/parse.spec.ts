import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCapDateTime } from './datetime.js';
import type { LatLon } from './geo.js';
import {
  CAP_CATEGORIES,
  CAP_CERTAINTIES,
  CAP_MSG_TYPES,
  CAP_RESPONSE_TYPES,
  CAP_SEVERITIES,
  CAP_STATUSES,
  CAP_URGENCIES,
  type CapAlert,
  type CapInfo,
  renderCapXml,
} from './message.js';
import { CapParseError, parseCapXml } from './parse.js';

// --- generators -----------------------------------------------------------------------------

const chars = fc.constantFrom(
  ...'aZ09 .&<>"\'\n\téΩß]'.split(''),
  '🌊',
  '\r',
  ']]>',
  '&amp;',
  '&#233;',
);
const text = fc.string({ unit: chars, maxLength: 24 }).map((s) => s.trim());
const nonEmpty = text.filter((s) => s.length > 0);
const idText = fc.stringMatching(/^[A-Za-z0-9._@:-]{1,20}$/);
const capTime = fc
  .tuple(
    fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2090-01-01T00:00:00Z'),
      noInvalidDate: true,
    }),
    fc.constantFrom('UTC', 'Europe/Brussels', 'Asia/Kolkata', 'America/St_Johns'),
  )
  .map(([d, z]) => formatCapDateTime(d, z));
const coordinate = (max: number) =>
  fc.integer({ min: -max * 1e6, max: max * 1e6 }).map((x) => x / 1e6);
const point: fc.Arbitrary<LatLon> = fc.record({ lat: coordinate(90), lon: coordinate(180) });
const ring = fc
  .uniqueArray(point, { minLength: 3, maxLength: 6, selector: (p) => `${p.lat},${p.lon}` })
  .map((ps) => [...ps, ps[0]!]);
const pairs = fc.array(fc.record({ valueName: nonEmpty, value: text }), {
  minLength: 1,
  maxLength: 3,
});
const area = fc.record(
  {
    areaDesc: nonEmpty,
    polygons: fc.array(ring, { minLength: 1, maxLength: 2 }),
    circles: fc.array(
      fc.record({
        center: point,
        radiusKm: fc.integer({ min: 0, max: 500_000 }).map((r) => r / 1000),
      }),
      { minLength: 1, maxLength: 2 },
    ),
    geocodes: pairs,
  },
  { requiredKeys: ['areaDesc'] },
);
const info: fc.Arbitrary<CapInfo> = fc.record(
  {
    language: fc.constantFrom('en-GB', 'nl-BE', 'fr-BE', 'de'),
    categories: fc.uniqueArray(fc.constantFrom(...CAP_CATEGORIES), { minLength: 1, maxLength: 3 }),
    event: nonEmpty,
    responseTypes: fc.uniqueArray(fc.constantFrom(...CAP_RESPONSE_TYPES), {
      minLength: 1,
      maxLength: 2,
    }),
    urgency: fc.constantFrom(...CAP_URGENCIES),
    severity: fc.constantFrom(...CAP_SEVERITIES),
    certainty: fc.constantFrom(...CAP_CERTAINTIES),
    eventCodes: pairs,
    effective: capTime,
    onset: capTime,
    expires: capTime,
    senderName: text,
    headline: text,
    description: text,
    instruction: text,
    web: fc.constantFrom('https://alerts.breda.example/w?a=1&b=2', 'http://x.example/é'),
    contact: text,
    parameters: pairs,
    areas: fc.array(area, { maxLength: 2 }),
  },
  {
    requiredKeys: ['language', 'categories', 'event', 'urgency', 'severity', 'certainty', 'areas'],
  },
);
const reference = fc.record({ sender: idText, identifier: idText, sent: capTime });
const alertArb: fc.Arbitrary<CapAlert> = fc
  .record(
    {
      identifier: idText,
      sender: idText,
      sent: capTime,
      status: fc.constantFrom(...CAP_STATUSES),
      msgType: fc.constantFrom(...CAP_MSG_TYPES),
      source: text,
      scope: fc.constant('Public' as const),
      note: text,
      references: fc.array(reference, { minLength: 1, maxLength: 3 }),
      incidents: nonEmpty,
      info: fc.array(info, { maxLength: 3 }),
    },
    {
      requiredKeys: [
        'identifier',
        'sender',
        'sent',
        'status',
        'msgType',
        'scope',
        'info',
        'references',
      ],
    },
  )
  .map((a) => {
    if (a.msgType !== 'Update' && a.msgType !== 'Cancel' && a.identifier.length % 2 === 0) {
      const { references: _r, ...rest } = a;
      return rest;
    }
    return a;
  });

describe('CAP parsing', () => {
  it('round-trips: build → XML → parse gives the same message (property)', () => {
    fc.assert(
      fc.property(alertArb, (alert) => {
        expect(parseCapXml(renderCapXml(alert))).toEqual(alert);
      }),
      { numRuns: 300 },
    );
  });

  it("reads a neighbour's message: prefixed namespace, CDATA, character references, extra elements", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">
  <cap:identifier>BE-ANTW-2026-0042</cap:identifier>
  <cap:sender>crisis@antwerpen.example</cap:sender>
  <cap:sent>2026-12-03T14:00:00+01:00</cap:sent>
  <cap:status>Actual</cap:status>
  <cap:msgType>Update</cap:msgType>
  <cap:scope>Public</cap:scope>
  <cap:references>crisis@antwerpen.example,BE-ANTW-2026-0041,2026-12-03T12:00:00+01:00</cap:references>
  <cap:info>
    <cap:language>nl-BE</cap:language>
    <cap:category>Met</cap:category>
    <cap:event>Hoogwater Schelde</cap:event>
    <cap:urgency>Expected</cap:urgency>
    <cap:severity>Severe</cap:severity>
    <cap:certainty>Likely</cap:certainty>
    <cap:headline>Hoogwater &#8211; Schelde &amp; kaaien</cap:headline>
    <cap:description><![CDATA[Tij tot 6,8 m <TAW> verwacht.]]></cap:description>
    <cap:resource>
      <cap:resourceDesc>map</cap:resourceDesc>
      <cap:mimeType>image/png</cap:mimeType>
    </cap:resource>
    <cap:area>
      <cap:areaDesc>Antwerpen kaaien</cap:areaDesc>
      <cap:polygon>51.23,4.39 51.24,4.40 51.22,4.41 51.23,4.39</cap:polygon>
      <cap:geocode><cap:valueName>NIS</cap:valueName><cap:value>11002</cap:value></cap:geocode>
    </cap:area>
  </cap:info>
</cap:alert>`;
    const alert = parseCapXml(xml);
    expect(alert).toMatchObject({
      identifier: 'BE-ANTW-2026-0042',
      sender: 'crisis@antwerpen.example',
      sent: '2026-12-03T14:00:00+01:00',
      status: 'Actual',
      msgType: 'Update',
      references: [
        {
          sender: 'crisis@antwerpen.example',
          identifier: 'BE-ANTW-2026-0041',
          sent: '2026-12-03T12:00:00+01:00',
        },
      ],
    });
    expect(alert.info[0]).toMatchObject({
      language: 'nl-BE',
      event: 'Hoogwater Schelde',
      urgency: 'Expected',
      severity: 'Severe',
      certainty: 'Likely',
      headline: 'Hoogwater – Schelde & kaaien',
      description: 'Tij tot 6,8 m <TAW> verwacht.',
      areas: [
        {
          areaDesc: 'Antwerpen kaaien',
          polygons: [
            [
              { lat: 51.23, lon: 4.39 },
              { lat: 51.24, lon: 4.4 },
              { lat: 51.22, lon: 4.41 },
              { lat: 51.23, lon: 4.39 },
            ],
          ],
          geocodes: [{ valueName: 'NIS', value: '11002' }],
        },
      ],
    });
  });

  it('rejects bad input with the path of each problem', () => {
    const ours = `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier><sender>s</sender><sent>2026-12-03T14:00:00Z</sent><status>Actual</status><msgType>Cancel</msgType><scope>Public</scope><info><category>Met</category><event>E</event><urgency>Soon</urgency><severity>Minor</severity><certainty>Likely</certainty><area><areaDesc>A</areaDesc><polygon>1,1 2,2 3,3 4,4</polygon></area></info></alert>`;
    const issues = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(CapParseError);
        return (error as CapParseError).issues.map((i) => `${i.path}: ${i.message}`);
      }
      throw new Error('expected a CapParseError');
    };
    expect(issues(() => parseCapXml(ours))).toEqual([
      'info[0].area[0].polygon[0]: the first and last points must be equal (closed ring)',
    ]);
    expect(
      issues(() => parseCapXml(ours.replace('<polygon>1,1 2,2 3,3 4,4</polygon>', ''))),
    ).toEqual([
      'sent: "2026-12-03T14:00:00Z" is not YYYY-MM-DDThh:mm:ss±hh:mm',
      'references: a Cancel must reference the earlier message(s)',
      'info[0].urgency: "Soon" is not one of Immediate, Expected, Future, Past, Unknown',
    ]);
    expect(issues(() => parseCapXml(ours.replace('<identifier>x</identifier>', '')))[0]).toBe(
      'identifier: is missing',
    );
    expect(issues(() => parseCapXml(ours.replace('cap:1.2', 'cap:1.1')))[0]).toMatch(
      /not in the CAP 1.2 namespace/,
    );
    expect(issues(() => parseCapXml('<alert><identifier>x</alert>'))[0]).toMatch(
      /^document: not well-formed XML at line 1/,
    );
    expect(issues(() => parseCapXml('<feed xmlns="http://www.w3.org/2005/Atom"/>'))[0]).toMatch(
      /root element is not <alert>/,
    );
    expect(issues(() => parseCapXml('<!DOCTYPE alert [<!ENTITY x "y">]><alert/>'))[0]).toMatch(
      /DOCTYPE is not allowed/,
    );
  });
});

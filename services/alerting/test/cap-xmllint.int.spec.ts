// Our CAP messages against the official OASIS CAP 1.2 schema with libxml2's xmllint: Alert,
// Update, Cancel, polygon and circle areas, escaping; and the Atom feed's well-formedness.
import { describe, expect, it } from 'vitest';
import { renderAtomFeed } from '../src/cap/atom.js';
import { buildCapAlert, type CapAlert, referenceTo, renderCapXml } from '../src/cap/message.js';
import { parseCapXml } from '../src/cap/parse.js';
import { CAP_SCHEMA, floodWarning, xmllint } from './cap-fixtures.js';

async function expectValid(alert: CapAlert): Promise<string> {
  const xml = renderCapXml(alert);
  const result = await xmllint(xml, { schema: CAP_SCHEMA });
  expect(result.output).toMatch(/validates/);
  expect(result.ok, result.output).toBe(true);
  return xml;
}

describe('CAP 1.2 schema validation (xmllint)', () => {
  const v1 = floodWarning(1, 'active');
  const v2 = floodWarning(2, 'active', [referenceTo(v1)]);
  const cancel = floodWarning(3, 'resolved', [referenceTo(v1), referenceTo(v2)]);

  it('Alert with a polygon area in three languages validates', async () => {
    const xml = await expectValid(v1);
    expect(v1.msgType).toBe('Alert');
    expect(xml).toContain('<msgType>Alert</msgType>');
    expect(xml).toContain('<sent>2026-12-03T14:10:00+01:00</sent>');
    expect(xml).toContain('<expires>2026-12-04T07:00:00+01:00</expires>');
    expect(xml).toContain(
      '<polygon>51.5905,4.7745 51.5912,4.7801 51.5869,4.7822 51.5861,4.776 51.5905,4.7745</polygon>',
    );
    expect(xml.match(/<info>/g)).toHaveLength(3);
    expect(xml).toContain('<language>nl-BE</language>');
    // Escaping: & < > and quotes in names, non-ASCII kept as UTF-8.
    expect(xml).toContain(
      '<senderName>Gemeente Breda &lt;crisis&gt; &amp; "Veiligheidsregio"</senderName>',
    );
    expect(xml).toContain('<areaDesc>Breda centrum — Haven &amp; Oude Vest</areaDesc>');
    expect(xml).toContain(
      '1. Parkeergarage Haven (0.1 km; 24/7) 2. Gemeentewerf Noord (1.5 km; 07:00–22:00)',
    );
    expect(xml).toContain('Alerte crue : la Mark dépasse 4 m au Haven');
  });

  it('Update references the Alert; Cancel references both and says AllClear', async () => {
    const xmlUpdate = await expectValid(v2);
    expect(v2.msgType).toBe('Update');
    expect(xmlUpdate).toContain(
      `<references>alerting@breda.example,${v1.identifier},2026-12-03T14:10:00+01:00</references>`,
    );
    const xmlCancel = await expectValid(cancel);
    expect(cancel.msgType).toBe('Cancel');
    expect(xmlCancel).toContain(
      `<references>alerting@breda.example,${v1.identifier},${v1.sent} alerting@breda.example,${v2.identifier},${v2.sent}</references>`,
    );
    expect(xmlCancel).toContain('<responseType>AllClear</responseType>');
    expect(xmlCancel).toContain('<urgency>Past</urgency>');
  });

  it('circle areas, Test/Exercise status and hostile text validate too', async () => {
    const circle = floodWarning(1, 'active', [], {
      areaDesc: 'Within 1.5 km of the "Haven" <lock> & weir',
      circles: [{ center: { lat: 51.5887, lon: 4.7782 }, radiusKm: 1.5 }],
    });
    const xml = await expectValid(circle);
    expect(xml).toContain('<circle>51.5887,4.7782 1.5</circle>');
    expect(xml).toContain(
      '<areaDesc>Within 1.5 km of the "Haven" &lt;lock&gt; &amp; weir</areaDesc>',
    );
    for (const status of ['Exercise', 'Test', 'System', 'Draft'] as const) {
      await expectValid({ ...circle, status });
    }
    const hostile = buildCapAlert({
      alertId: 'odd id with spaces, commas & <brackets>',
      version: 1,
      state: 'active',
      sender: 'alerting@breda.example',
      sentAt: new Date('2026-12-03T12:00:00Z'),
      timeZone: 'UTC',
      areas: [
        { areaDesc: 'Ω ℃ 🌊 ]]> end', circles: [{ center: { lat: 0, lon: 0 }, radiusKm: 0 }] },
      ],
      info: [
        {
          language: 'en-GB',
          categories: ['Safety'],
          event: 'Test <event> & "quotes" \'single\'',
          urgency: 'Unknown',
          severity: 'Minor',
          certainty: 'Unknown',
          description: 'line one\nline two\r\nline three',
        },
      ],
    });
    expect(hostile.identifier).toMatch(/^[^\s,<&]+$/);
    expect(hostile.sent).toBe('2026-12-03T12:00:00-00:00');
    const hostileXml = await expectValid(hostile);
    expect(hostileXml).toContain(']]&gt; end');
    // And it reads back exactly.
    expect(parseCapXml(hostileXml)).toEqual(hostile);
  });

  it('xmllint does catch an invalid message (the check can fail)', async () => {
    const bad = renderCapXml(v1).replace('<urgency>Immediate</urgency>', '<urgency>Soon</urgency>');
    const result = await xmllint(bad, { schema: CAP_SCHEMA });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/urgency/);
    const unknown = renderCapXml(v1).replace(
      '<msgType>Alert</msgType>',
      '<msgType>Alert</msgType><bogus/>',
    );
    expect((await xmllint(unknown, { schema: CAP_SCHEMA })).ok).toBe(false);
    const zulu = renderCapXml(v1).replace(
      '<sent>2026-12-03T14:10:00+01:00</sent>',
      '<sent>2026-12-03T13:10:00Z</sent>',
    );
    expect((await xmllint(zulu, { schema: CAP_SCHEMA })).ok).toBe(false);
  });

  it('the Atom feed is well-formed XML', async () => {
    const feed = renderAtomFeed([v1, v2, cancel], {
      id: 'https://alerts.breda.example/cap/feed.atom',
      title: 'Breda — public warnings & alerts',
      selfUrl: 'https://alerts.breda.example/cap/feed.atom',
      author: 'Gemeente Breda',
      capUrl: (id) => `https://alerts.breda.example/cap/${encodeURIComponent(id)}.xml`,
      emptyUpdated: new Date('2026-12-03T00:00:00Z'),
    });
    const result = await xmllint(feed);
    expect(result.ok, result.output).toBe(true);
  });
});

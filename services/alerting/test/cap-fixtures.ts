// Shared by the CAP tests: xmllint (libxml2) on a document, with or without the CAP 1.2
// schema, and a flood scenario in Breda with a registry of resource points.
import { spawn } from 'node:child_process';
import { floodInfo } from '../src/cap/flood.js';
import type { ResourcePoint } from '../src/cap/geo.js';
import {
  buildCapAlert,
  type CapAlert,
  type CapArea,
  type CapReference,
} from '../src/cap/message.js';

export const CAP_SCHEMA = '/work/shared/schemas/cap-1.2.xsd';

/** Runs `xmllint --noout [--schema CAP] -` on `xml`; ok when it exits 0. */
export function xmllint(
  xml: string,
  options: { schema?: string } = {},
): Promise<{ ok: boolean; output: string }> {
  const args = ['--noout', ...(options.schema ? ['--schema', options.schema] : []), '-'];
  return new Promise((resolve, reject) => {
    const child = spawn('xmllint', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', (e) =>
      reject(
        new Error(
          `xmllint is not installed (apt-get install libxml2-utils; deploy/local/bootstrap.sh does it): ${e.message}`,
        ),
      ),
    );
    child.on('close', (code) => resolve({ ok: code === 0, output }));
    child.stdin.end(xml);
  });
}

/** Around the Haven in Breda's centre. */
export const HAVEN_POLYGON = [
  { lat: 51.5905, lon: 4.7745 },
  { lat: 51.5912, lon: 4.7801 },
  { lat: 51.5869, lon: 4.7822 },
  { lat: 51.5861, lon: 4.776 },
];

export const REGISTRY: ResourcePoint[] = [
  {
    id: 'sb-noord',
    name: 'Gemeentewerf Noord',
    kind: 'sandbags',
    lat: 51.6021,
    lon: 4.7795,
    opening: '07:00–22:00',
  },
  {
    id: 'sb-centrum',
    name: 'Parkeergarage Haven',
    kind: 'sandbags',
    lat: 51.5889,
    lon: 4.7771,
    opening: '24/7',
  },
  { id: 'sb-zuid', name: 'Sporthal Émile & Zoon', kind: 'sandbags', lat: 51.5702, lon: 4.781 },
  {
    id: 'sb-oost',
    name: 'Brandweerkazerne Oost',
    kind: 'sandbags',
    lat: 51.5901,
    lon: 4.8052,
    opening: 'bring ID',
  },
  { id: 'sb-ginneken', name: 'Depot Ginneken', kind: 'sandbags', lat: 51.5663, lon: 4.7898 },
  { id: 'shelter-1', name: 'Chassé Theater', kind: 'shelter', lat: 51.5894, lon: 4.7789 },
];

/** A flood warning for the Haven in English, Dutch and French, as the alerting service builds it. */
export function floodWarning(
  version: number,
  state: 'active' | 'resolved',
  previous: CapReference[] = [],
  area: CapArea = { areaDesc: 'Breda centrum — Haven & Oude Vest', polygons: [HAVEN_POLYGON] },
): CapAlert {
  const { info } = floodInfo({
    area,
    registry: REGISTRY,
    common: {
      categories: ['Met', 'Env'],
      event: 'Flood warning',
      urgency: 'Immediate',
      severity: 'Severe',
      certainty: 'Likely',
      senderName: 'Gemeente Breda <crisis> & "Veiligheidsregio"',
      web: 'https://alerts.breda.example/flood/haven',
      parameters: [{ valueName: 'riverLevelMeters', value: '4.2' }],
    },
    texts: {
      en: {
        headline: 'Flood warning: Mark above 4 m at the Haven',
        description: 'The Mark is at 4.2 m & rising; quays may flood tonight.',
      },
      nl: {
        headline: 'Overstromingswaarschuwing: Mark boven 4 m bij de Haven',
        description: 'De Mark staat op 4,2 m en stijgt; kades kunnen vannacht overstromen.',
      },
      fr: {
        headline: 'Alerte crue : la Mark dépasse 4 m au Haven',
        description: 'La Mark est à 4,2 m et monte ; les quais peuvent être inondés cette nuit.',
      },
    },
  });
  return buildCapAlert({
    alertId: 'flood-haven-7f3a',
    version,
    state,
    sender: 'alerting@breda.example',
    sentAt: new Date(Date.UTC(2026, 11, 3, 13, version * 10, 0)),
    timeZone: 'Europe/Brussels',
    previous,
    areas: [],
    info,
    expiresAt: new Date('2026-12-04T06:00:00Z'),
  });
}

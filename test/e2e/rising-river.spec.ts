// Scenario: the Zenne rises, and Vilvoorde, downstream, is warned. A region on loopback — the
// demo city (Brussels), Vilvoorde and their regional hub as real nats-servers started from
// configurations rendered from `support/zenne-region/` by the federation service's renderer —
// with the demo city's ingest, alerting and federation as processes on its server, each as its
// own NATS user, and Vilvoorde's federation on Vilvoorde's. The demo devices are imported and
// the demo alerting seeded by the simulator's own seeding. On a city clock at 1,000×, three
// hours of heavy rain fall on the rain gauges and the Zenne answers as the simulator's river
// does: hours later the level at the Anderlecht inlet climbs past its flood level while Haren,
// downstream, is still low. Alerting raises `zenne-rising`, then, 20 minutes above 2.0 m,
// the public `zenne-flood` alert; its CAP 1.2 warning (valid against the OASIS schema) names
// the three sandbag points nearest to the warning's area; the control room acknowledges it.
// Vilvoorde receives every CAP message the city published exactly once, byte for byte, and the
// Zenne's levels beside them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CapAlertShared } from '@slimstad/contracts';
import {
  AlertState,
  MatchOperator,
  Severity,
} from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import {
  LinkState,
  SharedAggregate,
} from '@slimstad/contracts/gen/slimstad/federation/v1/federation';
import { createLogger } from '@slimstad/kit';
import { DEMO_ALERTING_FILE, loadAlertingFile } from '@slimstad/simulator/alerting/alerting-file';
import { seedAlerting } from '@slimstad/simulator/alerting/alerting-seed';
import { parseDevicesCsv, type SimDevice } from '@slimstad/simulator/domain/devices';
import { MODELS, RIVER_LAG_MS, riverBase, riverRise } from '@slimstad/simulator/domain/models';
import { createRandom, hash32 } from '@slimstad/simulator/domain/random';
import { importDevices } from '@slimstad/simulator/registry';
import { chirpstackMqttWay, connectMqtt, type MqttConnection } from '@slimstad/simulator/ways/mqtt';
import type { Way } from '@slimstad/simulator/ways/way';
import { eventually, freePort } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAP_SCHEMA, xmllint } from '../../services/alerting/test/cap-fixtures.js';
import { renderFromFiles } from '../../services/federation/src/region-files.js';
import { RegionFixture, type Session } from '../../services/federation/test/region-fixture.js';
import { lastLocal, type ServiceName, startCity, type TestCity } from './support/city.js';

const REGION_FILE = fileURLToPath(new URL('./support/zenne-region/region.yaml', import.meta.url));
const csv = readFileSync(
  new URL('../../services/simulator/demo/devices.csv', import.meta.url),
  'utf8',
);
const devices = parseDevicesCsv(csv);
const alertingFile = loadAlertingFile(readFileSync(DEMO_ALERTING_FILE, 'utf8'), devices);
const FLOOD = alertingFile.rules.find((r) => r.id === 'zenne-flood')!;
const FLOOD_LEVEL = FLOOD.threshold!.value;
const FLOOD_FOR_MS = Number(FLOOD.threshold!.for!.seconds) * 1000;
const device = (id: string) => devices.find((d) => d.id === id)!;
const ANDERLECHT = device('wl-zenne-anderlecht');
const HAREN = device('wl-zenne-haren');
const CANAL = device('wl-kanaal-sainctelette');
const rainGauges = devices.filter((d) => d.type === 'rain_gauge');
const SEED = 2026;
const SPEED = 1_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
/** Heavy rain on the catchment: 8 mm/h for three hours. */
const RAIN_MM_PER_H = 8;
const RAIN_MS = 3 * HOUR;
/** Haren hears the wave later: two hours through Brussels's vaults and collectors. */
const HAREN_DELAY_MS = 2 * HOUR;
/** The rain, the rise, and the flood at Anderlecht: about 4.7 h; then a little more. */
const PLAYED_MS = 5.5 * HOUR;
const log = createLogger('e2e-rising-river', 'silent');

let renderedDir: string;
let region: RegionFixture;
let city: TestCity | undefined;
let neighbour: TestCity | undefined;
let atVilvoorde: Session;
let mqtt: MqttConnection;
let way: Way;
let feedUrl: string;

beforeAll(async () => {
  // The region's nats-server configurations, rendered as `pnpm federation:render` does.
  renderedDir = mkdtempSync(join(tmpdir(), 'e2e-zenne-region-'));
  for (const [name, text] of renderFromFiles(REGION_FILE))
    writeFileSync(join(renderedDir, name), text);
  region = new RegionFixture(REGION_FILE, renderedDir);
  await region.start();
  // As ingest does at start-up in every city: federation replays and consumes its streams.
  await region.declareIngestStreams();
  const users = (...names: ServiceName[]) =>
    Object.fromEntries(
      names.map((n) => [
        n,
        { user: n, password: region.userPasswords.get(`${n.toUpperCase()}_NATS_PASSWORD`)! },
      ]),
    );
  const federation = (id: string) => ({
    FEDERATION_CITY: id,
    FEDERATION_POLICY_FILE: join(dirname(REGION_FILE), `${id}.policy.yaml`),
    FEDERATION_REGION_FILE: REGION_FILE,
  });
  const feedPort = await freePort();
  feedUrl = `http://127.0.0.1:${feedPort}`;
  // Two to three days back: however slow the start-up, the city stays in the past (ingest
  // refuses readings from the future) and within ingest's seven days.
  const clockStartMs = lastLocal('16:00', [0, 1, 2, 3, 4, 5, 6], 48 * HOUR);
  const [mine, theirs] = await Promise.allSettled([
    startCity({
      label: 'river',
      services: ['ingest', 'alerting', 'federation'],
      clockStartMs,
      speed: SPEED,
      nats: {
        url: region.servers.get('demo')!.url,
        users: users('ingest', 'alerting', 'federation'),
      },
      env: {
        federation: federation('demo'),
        alerting: {
          MUNICIPALITY_CODE: 'demo',
          HTTP_PORT: String(feedPort),
          ALERTING_PUBLIC_URL: feedUrl,
        },
      },
    }),
    startCity({
      label: 'vilvoorde',
      services: ['federation'],
      clockStartMs,
      speed: SPEED,
      nats: { url: region.servers.get('vilvoorde')!.url, users: users('federation') },
      env: { federation: federation('vilvoorde') },
    }),
  ]);
  if (mine.status === 'fulfilled') city = mine.value;
  if (theirs.status === 'fulfilled') neighbour = theirs.value;
  if (mine.status === 'rejected') throw mine.reason;
  if (theirs.status === 'rejected') throw theirs.reason;
  const here = city!;

  const imported = await importDevices({
    address: here.service('ingest').address,
    csv,
    token: await here.token(['operator']),
  });
  expect(imported.created).toBe(devices.length);
  const seeded = await seedAlerting({
    address: here.service('alerting').address,
    file: alertingFile,
    token: await here.token(['admin']),
    log,
  });
  expect(seeded.resourcePoints.created).toBe(alertingFile.resourcePoints.length);
  mqtt = await connectMqtt({
    url: 'mqtt://127.0.0.1:1883',
    clientId: `e2e-river-${hostname()}-${process.pid}`,
    log,
  });
  way = chirpstackMqttWay(mqtt, here.mqttPrefix);
  atVilvoorde = await region.connect('vilvoorde', 'federation');
  // Both cities' streams at the hub are declared (their first link checks) before anything
  // is shared: what the hub republishes reaches Vilvoorde's INBOX only once it exists.
  for (const c of [here, neighbour!]) {
    const api = await c.federation();
    await eventually(async () => expect((await api.listLinks({})).hubUp).toBe(true), 30_000);
    api.close();
  }
}, 180_000);

afterAll(async () => {
  await mqtt?.close();
  await city?.close();
  await neighbour?.close();
  await region?.stop();
  if (renderedDir) rmSync(renderedDir, { recursive: true, force: true });
}, 60_000);

/** Resolves once the city clock reaches `ms`. */
async function until(ms: number): Promise<void> {
  const wait = (ms - city!.clock.now()) / SPEED;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/** Every message Vilvoorde holds on `subject` in its NEIGHBOURS stream, oldest first. */
async function neighbours(subject: string): Promise<{ data: Uint8Array; msgId?: string }[]> {
  const consumer = await atVilvoorde.bus.js.consumers.get('NEIGHBOURS', {
    filter_subjects: subject,
  });
  const out: { data: Uint8Array; msgId?: string }[] = [];
  try {
    const pending = (await consumer.info(true)).num_pending;
    while (out.length < pending) {
      const m = await consumer.next({ expires: 2_000 });
      if (!m) break;
      out.push({ data: m.data, msgId: m.headers?.get('Nats-Msg-Id') });
    }
  } finally {
    await consumer.delete().catch(() => {});
  }
  return out;
}

/** Planar shoelace centroid of a closed ring of degrees (as a city map would place it). */
function centroid(ring: readonly { latitude: number; longitude: number }[]) {
  let area = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const p = ring[i]!;
    const q = ring[i + 1]!;
    const cross = p.longitude * q.latitude - q.longitude * p.latitude;
    area += cross;
    x += (p.longitude + q.longitude) * cross;
    y += (p.latitude + q.latitude) * cross;
  }
  return { latitude: y / (3 * area), longitude: x / (3 * area) };
}

/** Great-circle distance in km (haversine). */
function km(a: { latitude: number; longitude: number }, b: typeof a): number {
  const rad = Math.PI / 180;
  const h =
    Math.sin(((b.latitude - a.latitude) * rad) / 2) ** 2 +
    Math.cos(a.latitude * rad) *
      Math.cos(b.latitude * rad) *
      Math.sin(((b.longitude - a.longitude) * rad) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
}

const text = (xml: string, tag: string) =>
  [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);

describe('a rising river', () => {
  it('raises the flood alert, publishes a CAP warning naming the nearest sandbags, and Vilvoorde receives it once', async () => {
    const here = city!;
    // The gauges as the simulator starts them (their base level), the river's physics with
    // the scenario's rain.
    const base = (d: SimDevice) =>
      MODELS.water_level!.initial(d, createRandom(hash32(SEED, d.id))).meanM!;
    const start = Math.ceil(here.clock.now() / (5 * MIN)) * 5 * MIN;
    const rain = (t: number) => (t >= start && t < start + RAIN_MS ? RAIN_MM_PER_H : 0);
    const rise = { anderlecht: 0, haren: 0 };
    const buckets = new Map(rainGauges.map((g) => [g.id, 0]));
    let crossedAt: number | undefined;
    let harenHighest = 0;
    let sequence = Math.floor(Date.now() / 1000);

    for (let t = start; t <= start + PLAYED_MS; t += 5 * MIN) {
      await until(t);
      sequence += 1;
      const reports: Promise<unknown>[] = [];
      for (const g of rainGauges) {
        // A tipping bucket: 0.2 mm a tip, the rest carried over.
        const bucket = buckets.get(g.id)! + (rain(t) * 5) / 60;
        const tips = Math.floor(bucket / 0.2 + 1e-9);
        buckets.set(g.id, bucket - tips * 0.2);
        const rainfall = Math.round(tips * 2) / 10;
        reports.push(
          way.send({ device: g, values: { rainfall }, observedAt: new Date(t), sequence }),
        );
      }
      if ((t - start) % (10 * MIN) === 0) {
        rise.anderlecht = riverRise(rise.anderlecht, rain(t - RIVER_LAG_MS), 600);
        rise.haren = riverRise(rise.haren, rain(t - RIVER_LAG_MS - HAREN_DELAY_MS), 600);
        const levels: [SimDevice, number][] = [
          [ANDERLECHT, riverBase(base(ANDERLECHT)) + rise.anderlecht],
          [HAREN, riverBase(base(HAREN)) + rise.haren],
          [CANAL, base(CANAL) + 1.2],
        ];
        for (const [d, level] of levels) {
          const waterLevel = Math.round(level * 1000) / 1000;
          if (d === ANDERLECHT && waterLevel > FLOOD_LEVEL) crossedAt ??= t;
          if (d === HAREN) harenHighest = Math.max(harenHighest, waterLevel);
          reports.push(
            way.send({
              device: d,
              values: { water_level: waterLevel, temperature: 11.5 },
              observedAt: new Date(t),
              sequence,
            }),
          );
        }
      }
      expect(await Promise.all(reports)).toEqual(reports.map(() => ({ ok: true })));
    }
    // The script did what the scenario says: Anderlecht flooded, Haren stayed below.
    expect(crossedAt).toBeDefined();
    expect(harenHighest).toBeLessThan(FLOOD_LEVEL);

    // 1. The alerts, through alerting's API: rising first, then the flood, at Anderlecht only.
    const control = await here.alerting(['operator']);
    const of = async (rule: string) =>
      (
        await control.listAlerts({
          states: [],
          matchers: [
            { name: 'rule_id', operator: MatchOperator.MATCH_OPERATOR_EQUAL, value: rule },
          ],
          page: { pageSize: 100, pageToken: '' },
        })
      ).alerts;
    const flood = await eventually(async () => {
      const alerts = await of('zenne-flood');
      expect(alerts.map((a) => a.labels.device)).toEqual([ANDERLECHT.id]);
      return alerts[0]!;
    }, 30_000);
    expect(flood).toMatchObject({
      public: true,
      severity: Severity.SEVERITY_CRITICAL,
      labels: { alertname: 'Zenne flood', zone: 'zenne', regime: 'river' },
    });
    // Not before the level had stood above the flood level for the rule's 20 minutes.
    expect(flood.startTime!.getTime()).toBeGreaterThanOrEqual(crossedAt! + FLOOD_FOR_MS);
    const rising = (await of('zenne-rising')).find((a) => a.labels.device === ANDERLECHT.id);
    expect(rising, 'zenne-rising at Anderlecht').toBeDefined();
    expect(rising!.startTime!.getTime()).toBeLessThan(flood.startTime!.getTime());
    // The control room takes it on (no more escalations, so no more CAP updates).
    const { alert: acknowledged } = await control.acknowledgeAlert({
      id: flood.id,
      comment: 'sandbag points opened',
    });
    expect(acknowledged?.state).toBe(AlertState.ALERT_STATE_ACKNOWLEDGED);
    control.close();

    // 2. The CAP warning, through the public feed: the latest message of the flood alert
    // references every earlier one; the first is the Alert.
    const atom = await (await fetch(`${feedUrl}/cap/feed.atom`)).text();
    const latest = [...atom.matchAll(/<id>[^<]*\/cap\/([^<]+)\.xml<\/id>/g)].map((m) => m[1]!);
    expect(latest).toHaveLength(1);
    const latestXml = await (await fetch(`${feedUrl}/cap/${latest[0]}.xml`)).text();
    const earlier = (text(latestXml, 'references')[0] ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((ref) => ref.split(',')[1]!);
    const published = [...earlier, latest[0]!];
    const xmlOf = new Map<string, string>();
    for (const id of published) {
      const response = await fetch(`${feedUrl}/cap/${id}.xml`);
      expect(response.status, id).toBe(200);
      xmlOf.set(id, await response.text());
    }
    for (const [id, xml] of xmlOf) {
      const lint = await xmllint(xml, { schema: CAP_SCHEMA });
      expect(lint, `${id} against the CAP 1.2 schema`).toMatchObject({ ok: true });
    }
    const first = xmlOf.get(published[0]!)!;
    expect(text(first, 'msgType')).toEqual(['Alert']);
    expect(text(first, 'sender')).toEqual(['alerting@demo.slimstad']);
    expect(text(first, 'event')).toEqual(['Flood warning']);
    expect(text(first, 'severity')).toEqual(['Severe']);
    expect(text(first, 'areaDesc')).toEqual([FLOOD.publicWarning!.areaDesc]);
    for (const id of published.slice(1))
      expect(text(xmlOf.get(id)!, 'msgType')).toEqual(['Update']);

    // The instruction names the sandbag points nearest to the warning's area, nearest first,
    // and no other point (nor the shelter).
    const middle = centroid(FLOOD.publicWarning!.polygon!);
    const byDistance = alertingFile.resourcePoints
      .filter((p) => p.kind === 'sandbags')
      .map((p) => ({ p, d: km(middle, p.location) }))
      .sort((a, b) => a.d - b.d);
    const count = FLOOD.publicWarning!.resourceCount!;
    const nearest = byDistance.slice(0, count).map((x) => x.p);
    // Clear-cut: the last one named is well nearer than the first one left out.
    expect(byDistance[count]!.d - byDistance[count - 1]!.d).toBeGreaterThan(0.1);
    const [instruction = ''] = text(first, 'instruction');
    const at = nearest.map((p) => instruction.indexOf(p.name));
    expect(
      at.every((i) => i >= 0),
      instruction,
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    for (const p of alertingFile.resourcePoints.filter((x) => !nearest.includes(x)))
      expect(instruction).not.toContain(p.name);
    const points = text(first, 'parameter')
      .filter((p) => p.includes('<valueName>sandbagPoint</valueName>'))
      .map((p) => text(p, 'value')[0]!.split(' ')[0]);
    expect(points).toEqual(nearest.map((p) => p.id));

    // 3. Vilvoorde: every message the city published, each exactly once, byte for byte.
    const subject = 'neighbour.demo.alert.cap';
    const received = async () =>
      (await neighbours(subject)).map((m) => CapAlertShared.codec.decode(m.data));
    await eventually(async () => {
      expect((await received()).map((m) => m.identifier).sort()).toEqual([...published].sort());
    }, 30_000);
    // And no second copy later (the hub's and Vilvoorde's sources, retried, deduplicate).
    await new Promise((r) => setTimeout(r, 3_000));
    const arrived = await received();
    expect(arrived.map((m) => m.identifier).sort()).toEqual([...published].sort());
    for (const m of arrived) {
      expect(m).toMatchObject({ municipalityCode: 'demo', event: 'Flood warning' });
      expect(m.xml).toBe(xmlOf.get(m.identifier));
    }
    expect(arrived.find((m) => m.identifier === published[0])?.msgType).toBe('Alert');
    // Vilvoorde's federation sees the link from Brussels up and caught up.
    const theirs = await neighbour!.federation();
    await eventually(async () => {
      const { links } = await theirs.listLinks({});
      expect(
        links.filter((l) => l.neighbour === 'demo' && l.direction === 'in' && l.stream === 'alert'),
      ).toMatchObject([{ state: LinkState.LINK_STATE_UP }]);
    }, 20_000);
    theirs.close();

    // 4. Beside the warning, Vilvoorde saw the river itself: the highest level per gauge and
    // quarter of an hour, above the flood level at Anderlecht, below it at Haren.
    const highest = async (gauge: string) =>
      Math.max(
        ...(await neighbours(`neighbour.demo.water_levels.agg.${gauge}`)).map(
          (m) => SharedAggregate.decode(m.data).value,
        ),
      );
    await eventually(
      async () => expect(await highest(ANDERLECHT.id)).toBeGreaterThan(FLOOD_LEVEL),
      20_000,
    );
    const haren = await highest(HAREN.id);
    expect(haren).toBeGreaterThan(0);
    expect(haren).toBeLessThan(FLOOD_LEVEL);
  }, 150_000);
});

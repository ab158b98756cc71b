// Scenario: faults of the newer services. Ingest, alerting, waste and federation as processes on
// their own nats-server (so it can be restarted), the demo devices imported, a city clock at 60×
// from 05:00 (a real second is a city minute: federation's 15-minute windows pass in 15 s).
// Through ingest's gRPC push, the Zenne's water levels cross an alert rule's threshold and fall
// back below its clear value again and again, the canal's stays high until alerting is killed
// and falls while it is down (a public rule: each alert is also a CAP warning on
// share.alert.cap); residual bins fill, one past full (another rule alerts on it), one past its
// threshold; every water level reading feeds the demo federation policy's `water_levels` share
// (15-minute averages per station). Alert rules, the webhook receiver's route, the truck and
// the bins are set up through the public APIs; the plan is made through PlanRoutes before waste
// is killed. Alerting, waste, federation and ingest are killed (SIGKILL, as a crash) and
// started again, then the nats-server is restarted, in turn. Afterwards:
// - alerting: every alert reached the webhook in the state it is in, none was told twice in
//   one state (by fingerprint and start; a delivery repeated after a crash is the same bytes
//   under the same `X-Slimstad-Delivery`), every resolved alert was told resolved exactly once,
//   the full bin's alert firing exactly once, every notification is delivered, and no water
//   level alert is left firing — the canal's included;
// - every public alert is one CAP Alert on share.alert.cap and one Cancel, each its own
//   identifier;
// - waste knows every bin's last reading, raised each overflow risk once (one
//   `waste.overflow.risk` per bin at risk), lists the due bins, and the plan made before it
//   crashed is still the one plan of its stream (one `waste.route.planned`);
// - ingest recorded every water level it accepted, and each window of each station is shared
//   once on `share.water_levels.agg.<station>`, with exactly the count and average of what
//   ingest recorded in it.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { connect } from '@nats-io/transport-node';
import { FederationShareStream, WasteEventsStream } from '@slimstad/contracts';
import {
  AlertState,
  Comparison,
  Severity,
} from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { CapAlertShared } from '@slimstad/contracts/gen/slimstad/alerting/v1/events';
import { SharedAggregate } from '@slimstad/contracts/gen/slimstad/federation/v1/federation';
import { OverflowRiskRaised, RoutePlanned } from '@slimstad/contracts/gen/slimstad/waste/v1/events';
import { WasteStream } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { Bus, createLogger } from '@slimstad/kit';
import { parseDevicesCsv, type SimDevice } from '@slimstad/simulator/domain/devices';
import { importDevices } from '@slimstad/simulator/registry';
import { grpcPushWay } from '@slimstad/simulator/ways/grpc-push';
import type { Way } from '@slimstad/simulator/ways/way';
import { eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastLocal, startCity, type TestCity } from './support/city.js';

const csv = readFileSync(
  new URL('../../services/simulator/demo/devices.csv', import.meta.url),
  'utf8',
);
const devices = parseDevicesCsv(csv);
const device = (id: string) => devices.find((d) => d.id === id) as SimDevice;
const SPEED = 60;
const MINUTE = 60_000;
/** The demo policy's water_levels share: 15-minute windows (deploy/federation/demo.policy.yaml). */
const WINDOW_MS = 15 * MINUTE;
/** Ingest's intake ack wait here (real ms): what a killed ingest held comes back this soon. */
const INTAKE_ACK_WAIT_MS = 5_000;
const GRACE_MS = 12 * MINUTE;
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];
const HIGH = 2.3;
const CLEAR = 2.1;
const WEBHOOK_SECRET = 'e2e-faults-webhook-secret-0123456789';
const CLOCK_START = lastLocal('05:00', ALL_DAYS);

/** The Zenne's stations rise and fall, out of step; the canal stays high until alerting dies. */
const WAVES = ['wl-zenne-anderlecht', 'wl-zenne-haren'];
const CANAL = 'wl-kanaal-sainctelette';
const STATIONS = [...WAVES, CANAL];
/**
 * Residual bins: one filling fast (full, at risk), one steadily (due, never full: it levels off
 * below the bin-full rule however long a slow machine makes the scenario), one barely (neither).
 */
const BINS = [
  { id: 'bin-grote-markt-1', from: 70, perMinute: 1.5, max: 99 },
  { id: 'bin-beenhouwers', from: 62, perMinute: 0.4, max: 88 },
  { id: 'bin-warandepark-1', from: 20, perMinute: 0.02, max: 99 },
];

interface Delivery {
  headers: IncomingHttpHeaders;
  raw: string;
  body: {
    status: string;
    alerts: {
      status: string;
      fingerprint: string;
      startsAt: string;
      labels: Record<string, string>;
    }[];
  };
}

const log = createLogger('e2e-faults-new', 'silent');
let city: TestCity;
let push: Way;
let bus: Bus;
let closeNats: () => Promise<void>;
let closeSink: () => Promise<void>;
const deliveries: Delivery[] = [];

/** Every reading sent: its device, metric, city time and whether ingest accepted it. */
const sent: { device: string; metric: string; at: number; accepted: boolean }[] = [];
let running = true;
let canalHigh = true;
let allLow = false;

async function startSink(): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      deliveries.push({ headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closeSink = () => new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
}

/** Levels: each Zenne station 6 city minutes above the threshold, then 6 below clear. */
function level(id: string, at: number, tick: number): number {
  const jitter = (tick % 7) / 1000;
  if (allLow) return 1.5 + jitter;
  if (id === CANAL) return (canalHigh ? 2.6 : 1.7) + jitter;
  const phase = Math.floor(at / (6 * MINUTE) + WAVES.indexOf(id) / 2) % 2;
  return (phase === 0 ? 2.5 : 1.8) + jitter;
}

/** Readings every quarter of a real second (15 city seconds), stamped with the city's time. */
async function load(startedAt: number) {
  let tick = 0;
  const last = new Map<string, number>();
  while (running) {
    tick += 1;
    const now = city.clock.now();
    const minutes = (now - startedAt) / MINUTE;
    const values = [
      ...STATIONS.map((id) => ({ id, metric: 'water_level', value: level(id, now, tick) })),
      ...BINS.map((b) => ({
        id: b.id,
        metric: 'fill_level',
        value: Math.min(b.max, Math.round((b.from + b.perMinute * minutes) * 10) / 10),
      })),
    ];
    await Promise.all(
      values.map(async ({ id, metric, value }) => {
        // Ingest identifies a reading by device, metric and time: one millisecond apart at least.
        const at = Math.max(Math.floor(now), (last.get(id) ?? 0) + 1);
        last.set(id, at);
        const result = await push.send({
          device: device(id),
          values: { [metric]: value },
          observedAt: new Date(at),
          sequence: tick,
        });
        sent.push({ device: id, metric, at, accepted: result.ok });
      }),
    );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every message a stream holds, with its subject and `Nats-Msg-Id`. */
async function streamMessages(name: string) {
  const stream = bus.ns.stream(name);
  const info = await bus.jsm.streams.info(stream);
  const out: { subject: string; msgId: string; data: Uint8Array }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (m)
      out.push({
        subject: bus.ns.strip(m.subject),
        msgId: m.header?.get('Nats-Msg-Id') ?? '',
        data: m.data,
      });
  }
  return out;
}

const count = <T>(items: readonly T[], key: (t: T) => string) => {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
};

beforeAll(async () => {
  const url = await startSink();
  city = await startCity({
    label: 'faults-new',
    services: ['ingest', 'alerting', 'waste', 'federation'],
    clockStartMs: CLOCK_START,
    speed: SPEED,
    ownNats: true,
    env: {
      alerting: {
        ALERTING_RECEIVERS: JSON.stringify([
          { name: 'ops', type: 'webhook', url, secret: WEBHOOK_SECRET },
        ]),
        // One group per alert (all its labels), notified at once; changes a city minute apart
        // at the most; no reminder of a firing alert within the scenario.
        ALERTING_ROUTE: JSON.stringify({
          receiver: 'ops',
          group_by: ['...'],
          group_wait: 0,
          group_interval: MINUTE,
          repeat_interval: 24 * 60 * MINUTE,
        }),
      },
      // A reading a killed ingest had taken from its intake comes back after the consumer's
      // ack wait, 5 real seconds here: five minutes of this city's clock. The grace before a
      // window is shared covers it (the default, a minute, does at the real pace).
      ingest: { INGEST_INTAKE_ACK_WAIT_MS: String(INTAKE_ACK_WAIT_MS) },
      federation: { FEDERATION_WINDOW_GRACE_MS: String(GRACE_MS) },
    },
  });
  const nc = await connect({
    servers: city.natsUrl,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  closeNats = () => nc.drain();
  bus = await Bus.create(nc, { namespace: city.namespace.prefix, log });
  await importDevices({
    address: city.service('ingest').address,
    csv,
    token: await city.token(['operator']),
  });
  const alerting = await city.alerting(['admin']);
  try {
    await alerting.createRule({
      rule: {
        id: 'water-high',
        version: 0n,
        name: 'water high',
        enabled: true,
        severity: Severity.SEVERITY_CRITICAL,
        scope: { device_type: 'water_level' },
        labels: {},
        annotations: {},
        condition: {
          $case: 'threshold',
          value: {
            metric: 'water_level',
            comparison: Comparison.COMPARISON_ABOVE,
            value: HIGH,
            clearValue: CLEAR,
          },
        },
        publicWarning: {
          event: 'Flood warning',
          category: 'Met',
          urgency: 'Immediate',
          certainty: 'Likely',
          headline: 'High water on the Zenne and the canal',
          description: 'The water is above 2.3 m.',
          instruction: 'Keep away from the banks.',
          areaDesc: 'Brussels, Zenne and canal banks',
          polygon: [],
          circle: { center: { latitude: 50.85, longitude: 4.35 }, radiusKm: 5 },
          resourceKind: '',
          resourceCount: 0,
        },
        updatedBy: '',
      },
    });
    await alerting.createRule({
      rule: {
        id: 'bin-full',
        version: 0n,
        name: 'bin full',
        enabled: true,
        severity: Severity.SEVERITY_WARNING,
        scope: { device_type: 'bin_fill' },
        labels: {},
        annotations: {},
        condition: {
          $case: 'threshold',
          value: { metric: 'fill_level', comparison: Comparison.COMPARISON_ABOVE, value: 95 },
        },
        updatedBy: '',
      },
    });
  } finally {
    alerting.close();
  }
  const waste = await city.waste(['admin']);
  try {
    await waste.createVehicle({
      vehicle: {
        id: 'residual-1',
        name: 'Residual truck 1',
        streams: [WasteStream.WASTE_STREAM_RESIDUAL],
        capacityLitres: 8_000,
        capacityKg: 4_000,
        depot: { latitude: 50.8402, longitude: 4.3385 },
        unloadLocation: { latitude: 50.8402, longitude: 4.3385 },
        shiftStartMinute: 7 * 60,
        shiftEndMinute: 15 * 60,
        maxRouteMinutes: 0,
        serviceSeconds: 120,
        unloadSeconds: 600,
        version: 0n,
      },
    });
    for (const b of BINS) {
      const d = device(b.id);
      await waste.createBin({
        bin: {
          id: b.id,
          name: d.name,
          location: { latitude: d.latitude, longitude: d.longitude },
          volumeLitres: 240,
          stream: WasteStream.WASTE_STREAM_RESIDUAL,
          deviceId: b.id,
          accessWindow: undefined,
          mustVisit: false,
          version: 0n,
          createTime: undefined,
        },
      });
    }
  } finally {
    waste.close();
  }
  push = grpcPushWay({
    address: city.service('ingest').address,
    token: () => city.token(['operator']),
  });
  // The clock stands before its start until every process is up.
  while (city.clock.now() < CLOCK_START) await new Promise((r) => setTimeout(r, 100));
}, 180_000);

afterAll(async () => {
  running = false;
  await push?.close();
  await closeNats?.();
  await city?.close();
  await closeSink?.();
}, 60_000);

describe('faults of alerting, waste, federation and ingest', () => {
  it('notifies every alert once, plans once and shares every reading once while they crash and NATS restarts', async () => {
    const startedAt = city.clock.now();
    const loading = load(startedAt);
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let planId = '';

    // Alerting dies while the canal's alert is firing; the canal falls while it is down.
    const alertingApi = await city.alerting(['admin']);
    try {
      await eventually(async () => {
        const { alerts } = await alertingApi.listAlerts({
          states: [AlertState.ALERT_STATE_FIRING],
          matchers: [],
          page: { pageSize: 100, pageToken: '' },
        });
        expect(alerts.map((a) => a.labels.device)).toContain(CANAL);
      }, 30_000);
    } finally {
      alertingApi.close();
    }
    const alertingBack = city.service('alerting').restart('SIGKILL'); // killed at once
    canalHigh = false;
    await alertingBack;
    await pause(2_000);

    // Waste dies after it raised the fast bin's overflow risk and planned the morning round.
    const wasteApi = await city.waste(['admin']);
    try {
      await eventually(async () => {
        const { fill } = await wasteApi.getBin({ binId: 'bin-grote-markt-1' });
        expect(fill?.overflowRisk).toBe(true);
        const { bins } = await wasteApi.listDueBins({
          stream: WasteStream.WASTE_STREAM_RESIDUAL,
          shiftDate: '',
        });
        expect(bins.map((b) => b.binId)).toContain('bin-beenhouwers');
      }, 30_000);
      const { plan } = await wasteApi.planRoutes({
        stream: WasteStream.WASTE_STREAM_RESIDUAL,
        shiftDate: '',
        vehicleIds: [],
        timeLimitMs: 0,
        seed: 0,
      });
      planId = plan?.id ?? '';
      expect(planId).not.toBe('');
    } finally {
      wasteApi.close();
    }
    for (const target of ['waste', 'federation', 'ingest'] as const) {
      await city.service(target).restart('SIGKILL');
      await pause(2_000);
    }
    await city.restartNats();
    await pause(2_000);

    // The end: every level falls below clear; the last readings are sent just before a
    // window ends, so the last aggregate follows the grace later.
    let end = Math.floor(city.clock.now() / WINDOW_MS) * WINDOW_MS + WINDOW_MS;
    if (end - city.clock.now() < 4 * MINUTE) end += WINDOW_MS;
    while (city.clock.now() < end - 3 * MINUTE) await pause(100);
    allLow = true;
    while (city.clock.now() < end - 0.5 * MINUTE) await pause(50);
    running = false;
    await loading;
    const accepted = sent.filter((s) => s.accepted);
    expect(accepted.length).toBeGreaterThan(sent.length * 0.5);

    // --- alerting: every alert notified, none twice in one state, none left firing ---
    const alerting = await city.alerting(['admin']);
    try {
      type Alert = Awaited<ReturnType<typeof alerting.listAlerts>>['alerts'][number];
      let alerts: Alert[] = [];
      await eventually(async () => {
        ({ alerts } = await alerting.listAlerts({
          states: [],
          matchers: [],
          page: { pageSize: 1000, pageToken: '' },
        }));
        // No level alert left firing (the canal fell while alerting was down).
        expect(
          alerts
            .filter((a) => a.ruleId === 'water-high' && a.state !== AlertState.ALERT_STATE_RESOLVED)
            .map((a) => a.labels.device),
        ).toEqual([]);
        // Every notification delivered, each one to the webhook.
        const { notifications } = await alerting.listNotifications({
          status: '',
          page: { pageSize: 1000, pageToken: '' },
        });
        expect(notifications.filter((n) => n.status !== 'delivered')).toEqual([]);
        expect(new Set(deliveries.map((d) => d.headers['x-slimstad-delivery'])).size).toBe(
          notifications.length,
        );
        // Every alert reached it in the state it is in.
        const told = new Set(
          deliveries.flatMap((d) => d.body.alerts.map((a) => `${a.fingerprint}@${a.status}`)),
        );
        for (const a of alerts) {
          const state = a.state === AlertState.ALERT_STATE_RESOLVED ? 'resolved' : 'firing';
          expect(told, `${a.labels.device} ${a.ruleId} ${state}`).toContain(
            `${a.fingerprint}@${state}`,
          );
        }
      }, 60_000);

      const water = alerts.filter((a) => a.ruleId === 'water-high');
      const bins = alerts.filter((a) => a.ruleId === 'bin-full');
      expect(water.length).toBeGreaterThanOrEqual(5);
      expect(bins.map((a) => a.labels.device)).toEqual(['bin-grote-markt-1']);
      // A delivery repeated after a crash (same X-Slimstad-Delivery) is the same bytes.
      const byDelivery = new Map<string, Delivery[]>();
      for (const d of deliveries) {
        const id = String(d.headers['x-slimstad-delivery']);
        byDelivery.set(id, [...(byDelivery.get(id) ?? []), d]);
      }
      for (const [id, same] of byDelivery) expect(new Set(same.map((d) => d.raw)).size, id).toBe(1);
      // Told once per state: no alert (fingerprint and start) in two deliveries as firing, or
      // as resolved; each resolved alert told resolved, the full bin told firing.
      const told = count(
        [...byDelivery.values()].flatMap((same) => (same[0] as Delivery).body.alerts),
        (a) => `${a.labels.device} ${a.fingerprint} ${Date.parse(a.startsAt)} ${a.status}`,
      );
      expect([...told].filter(([, n]) => n > 1)).toEqual([]);
      const key = (a: Alert, status: string) =>
        `${a.labels.device} ${a.fingerprint} ${a.startTime?.getTime()} ${status}`;
      for (const a of water) expect(told.get(key(a, 'resolved')), key(a, 'resolved')).toBe(1);
      for (const a of bins) expect(told.get(key(a, 'firing')), key(a, 'firing')).toBe(1);
      // An alert that fired and cleared within one batch of a restarted alerting's backlog is
      // told resolved only (Alertmanager's grouping); the others were told firing too.
      const toldFiring = water.filter((a) => told.get(key(a, 'firing')) === 1);
      expect(toldFiring.length).toBeGreaterThanOrEqual(water.length / 2);

      // Public warnings: one CAP Alert per water alert, one Cancel per resolution.
      await eventually(async () => {
        const cap = (await streamMessages(FederationShareStream.name))
          .filter((m) => m.subject === 'share.alert.cap')
          .map((m) => CapAlertShared.decode(m.data));
        expect(new Set(cap.map((c) => c.identifier)).size).toBe(cap.length);
        expect(cap.filter((c) => c.msgType === 'Alert')).toHaveLength(water.length);
        expect(cap.filter((c) => c.msgType === 'Cancel')).toHaveLength(water.length);
      }, 30_000);
      console.log(
        `alerts: ${water.length} water (${toldFiring.length} told firing), ${bins.length} bin; ${deliveries.length} deliveries, ${byDelivery.size} distinct`,
      );
    } finally {
      alerting.close();
    }

    // --- waste: every bin's last reading, each overflow risk once, the one plan still one ---
    const waste = await city.waste(['admin']);
    try {
      await eventually(async () => {
        for (const b of BINS) {
          const mine = sent.filter((s) => s.device === b.id);
          const { fill } = await waste.getBin({ binId: b.id });
          const seen = fill?.lastReadingTime?.getTime() ?? 0;
          expect(seen, b.id).toBeGreaterThanOrEqual(
            Math.max(...mine.filter((s) => s.accepted).map((s) => s.at)),
          );
          expect(seen, b.id).toBeLessThanOrEqual(Math.max(...mine.map((s) => s.at)));
        }
      }, 30_000);
      const { fills } = await waste.listBins({
        stream: WasteStream.WASTE_STREAM_RESIDUAL,
        page: { pageSize: 100, pageToken: '' },
      });
      const atRisk = fills
        .filter((f) => f.overflowRisk)
        .map((f) => f.binId)
        .sort();
      expect(atRisk).toContain('bin-grote-markt-1');
      expect(atRisk).not.toContain('bin-warandepark-1');
      const { bins: due } = await waste.listDueBins({
        stream: WasteStream.WASTE_STREAM_RESIDUAL,
        shiftDate: '',
      });
      expect(due.map((d) => d.binId).sort()).toEqual(['bin-beenhouwers', 'bin-grote-markt-1']);
      const { plans } = await waste.listPlans({
        stream: WasteStream.WASTE_STREAM_RESIDUAL,
        page: { pageSize: 100, pageToken: '' },
      });
      expect(plans.map((p) => p.id)).toEqual([planId]);
      await eventually(async () => {
        const events = await streamMessages(WasteEventsStream.name);
        expect(
          events
            .filter((e) => e.subject.startsWith('waste.overflow.risk.'))
            .map((e) => OverflowRiskRaised.decode(e.data).binId)
            .sort(),
        ).toEqual(atRisk);
        expect(
          events
            .filter((e) => e.subject.startsWith('waste.route.planned.'))
            .map((e) => RoutePlanned.decode(e.data).plan?.id),
        ).toEqual([planId]);
      }, 30_000);
    } finally {
      waste.close();
    }

    // --- federation: every water level ingest recorded counted once in its window ---
    const windows = new Map<string, { sent: number; accepted: number }>();
    for (const s of sent.filter((r) => r.metric === 'water_level')) {
      const id = `${s.device}@${Math.floor(s.at / WINDOW_MS) * WINDOW_MS}`;
      const w = windows.get(id) ?? { sent: 0, accepted: 0 };
      w.sent += 1;
      w.accepted += s.accepted ? 1 : 0;
      windows.set(id, w);
    }
    // What ingest recorded, per station and window (its buckets are aligned as the windows):
    // everything it accepted — a reading a killed ingest had in hand comes back after its ack
    // wait — and each window shared once with exactly that.
    const ingest = await city.ingest();
    try {
      await eventually(async () => {
        const recorded = new Map<string, { count: number; avg: number }>();
        for (const station of STATIONS) {
          const { buckets } = await ingest.queryReadings({
            deviceId: station,
            metric: 'water_level',
            startTime: new Date(startedAt - WINDOW_MS),
            endTime: new Date(end + WINDOW_MS),
            bucket: { seconds: BigInt(WINDOW_MS / 1000), nanos: 0 },
          });
          for (const b of buckets)
            recorded.set(`${station}@${b.startTime?.getTime()}`, {
              count: Number(b.count),
              avg: b.avg,
            });
        }
        // Every window with an accepted reading is recorded; a window whose every reading met a
        // dead ingest (refused at the door, nothing accepted) may have nothing to record.
        const withAccepted = [...windows].filter(([, w]) => w.accepted > 0).map(([id]) => id);
        expect([...recorded.keys()].filter((id) => windows.has(id)).sort()).toEqual(
          [...recorded.keys()].sort(),
        );
        expect([...recorded.keys()]).toEqual(expect.arrayContaining(withAccepted));
        for (const [id, w] of windows) {
          const n = recorded.get(id)?.count ?? 0;
          expect(n, `${id} recorded`).toBeGreaterThanOrEqual(w.accepted);
          expect(n, `${id} recorded`).toBeLessThanOrEqual(w.sent);
        }
        const shared = (await streamMessages(FederationShareStream.name)).filter((m) =>
          m.subject.startsWith('share.water_levels.agg.'),
        );
        expect([...count(shared, (m) => m.msgId)].filter(([, n]) => n > 1)).toEqual([]);
        const aggregates = count(
          shared.map((m) => SharedAggregate.decode(m.data)),
          (a) => `${a.key}@${a.windowStart?.getTime()} ${a.count} ${a.value.toFixed(6)}`,
        );
        expect([...aggregates.keys()].sort()).toEqual(
          [...recorded].map(([id, r]) => `${id} ${r.count} ${r.avg.toFixed(6)}`).sort(),
        );
        expect([...aggregates.values()].filter((n) => n > 1)).toEqual([]);
      }, 90_000);
    } finally {
      ingest.close();
    }
    console.log(
      `load: ${((end - startedAt) / SPEED / 1000).toFixed(0)} s, ${sent.length} readings (${accepted.length} accepted), ${windows.size} windows shared`,
    );
  }, 300_000);
});

// Scenario: a leak behind a water meter. The real ingest and alerting services as processes,
// the demo devices imported into ingest and the demo alerting seeded into alerting by the
// simulator's own seeding, and a city clock at 4,800× from 22:00 four and a half days ago. The
// demo's four water meters report every city hour through ChirpStack over MQTT, their values
// from the simulator's own model: the sound ones draw water in bursts and stand still most of
// the night, `wm-warandepark-paviljoen` loses 35 L/h day and night. The demo's leak rule
// (minimum night flow 01:00–05:00 above 5 L/h, three nights in a row) raises a leak alert for
// that meter on the third morning — not after the first or second night — and for no other.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { AlertState, MatchOperator } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { createLogger, localTime } from '@slimstad/kit';
import { DEMO_ALERTING_FILE, loadAlertingFile } from '@slimstad/simulator/alerting/alerting-file';
import { seedAlerting } from '@slimstad/simulator/alerting/alerting-seed';
import { parseDevicesCsv } from '@slimstad/simulator/domain/devices';
import { clampToSpec, MODELS, type ModelState } from '@slimstad/simulator/domain/models';
import { createRandom, hash32 } from '@slimstad/simulator/domain/random';
import { importDevices } from '@slimstad/simulator/registry';
import { chirpstackMqttWay, connectMqtt, type MqttConnection } from '@slimstad/simulator/ways/mqtt';
import type { Way } from '@slimstad/simulator/ways/way';
import { eventually } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastLocal, startCity, type TestCity } from './support/city.js';

const csv = readFileSync(
  new URL('../../services/simulator/demo/devices.csv', import.meta.url),
  'utf8',
);
const devices = parseDevicesCsv(csv);
const alertingFile = loadAlertingFile(readFileSync(DEMO_ALERTING_FILE, 'utf8'), devices);
const LEAK_RULE = alertingFile.rules.find((r) => r.id === 'water-leak')!;
const NIGHT = LEAK_RULE.nightFlow!;
const TZ = NIGHT.timeZone;
const meters = devices.filter((d) => d.type === 'water_meter');
const LEAKING = 'wm-warandepark-paviljoen';
/** The simulator's default seed: the values `npm start` plays. */
const SEED = 2026;
// Three nights and the mornings after in ~20 s: a city hour is 0.375 s.
const SPEED = 9_600;
const HOUR = 3_600_000;
const log = createLogger('e2e-leak', 'silent');

/**
 * Four and a half to five and a half days back: three nights later the city is still in the
 * past (ingest refuses readings from the future), even after a start-up half a minute slower
 * than the clock's anchor, and its first readings are within ingest's seven days.
 */
const CLOCK_START = lastLocal('22:00', [0, 1, 2, 3, 4, 5, 6], 4.5 * 24 * HOUR);
let city: TestCity;
let mqtt: MqttConnection;
let way: Way;
let alerting: Awaited<ReturnType<TestCity['alerting']>>;

beforeAll(async () => {
  city = await startCity({
    label: 'leak',
    services: ['ingest', 'alerting'],
    clockStartMs: CLOCK_START,
    speed: SPEED,
  });
  const imported = await importDevices({
    address: city.service('ingest').address,
    csv,
    token: await city.token(['operator']),
  });
  expect(imported.created).toBe(devices.length);
  const seeded = await seedAlerting({
    address: city.service('alerting').address,
    file: alertingFile,
    token: await city.token(['admin']),
    log,
  });
  expect(seeded.rules.created).toBe(alertingFile.rules.length);
  mqtt = await connectMqtt({
    url: 'mqtt://127.0.0.1:1883',
    clientId: `e2e-leak-${hostname()}-${process.pid}`,
    log,
  });
  way = chirpstackMqttWay(mqtt, city.mqttPrefix);
  alerting = await city.alerting(['viewer']);
}, 150_000);

afterAll(async () => {
  await mqtt?.close();
  alerting?.close();
  await city?.close();
}, 60_000);

const leakAlerts = async () =>
  (
    await alerting.listAlerts({
      states: [],
      matchers: [
        { name: 'rule_id', operator: MatchOperator.MATCH_OPERATOR_EQUAL, value: LEAK_RULE.id },
      ],
      page: { pageSize: 100, pageToken: '' },
    })
  ).alerts;

/** Resolves once the city clock reaches `ms`. */
async function until(ms: number): Promise<void> {
  const wait = (ms - city.clock.now()) / SPEED;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

const localHour = (ms: number) => Math.floor(localTime(ms, TZ).minuteOfDay / 60);
const inNight = (ms: number) => localHour(ms) >= NIGHT.startHour && localHour(ms) < NIGHT.endHour;

describe('a leak behind a water meter', () => {
  it('raises a leak alert for the leaking meter on the third morning, and for no other meter', async () => {
    const play = meters.map((device) => {
      const random = createRandom(hash32(SEED, device.id));
      return { device, random, state: MODELS.water_meter!.initial(device, random) as ModelState };
    });
    /** Per meter, each played night's lowest flow (L/h). */
    const minima = new Map(meters.map((m) => [m.id, [] as number[]]));
    /** When each played night ended (its end hour, city time). */
    const nightEnds: number[] = [];
    /** Leak alerts seen two city hours after each of the first two nights. */
    const early: string[][] = [];
    let sequence = Math.floor(Date.now() / 1000);
    // From the clock's start (before its anchor the clock runs behind it) or the next hour.
    let first = Math.max(CLOCK_START, Math.ceil(city.clock.now() / HOUR) * HOUR);
    // A night already begun is not played: it would count as a whole night for the rule.
    while (inNight(first)) first += HOUR;

    for (let t = first, open = false; nightEnds.length < 3; t += HOUR) {
      await until(t);
      sequence += 1;
      const night = inNight(t);
      const sent = await Promise.all(
        play.map(async (p) => {
          const step = MODELS.water_meter!.step(p.device, p.state, {
            simMs: t,
            elapsedS: 3600,
            random: p.random,
            seed: SEED,
            timeZone: TZ,
          });
          p.state = step.state;
          const values = clampToSpec(p.device, step.values);
          if (night) {
            const list = minima.get(p.device.id)!;
            if (!open) list.push(Infinity);
            list[list.length - 1] = Math.min(list.at(-1)!, values.flow as number);
          }
          return way.send({ device: p.device, values, observedAt: new Date(t), sequence });
        }),
      );
      expect(sent).toEqual(play.map(() => ({ ok: true })));
      if (open && !night) nightEnds.push(t);
      open = night;
      // Two city hours after the first and the second night: time enough for alerting to judge
      // the night (it would have fired by then), and long before the next.
      if (
        nightEnds.length === early.length + 1 &&
        nightEnds.length < 3 &&
        t >= nightEnds.at(-1)! + 2 * HOUR
      )
        early.push((await leakAlerts()).map((a) => a.labels.device!));
    }

    // The morning after the third night: the leak, and only the leak, on the leaking meter.
    const fired = await eventually(async () => {
      const alerts = await leakAlerts();
      expect(alerts.map((a) => a.labels.device)).toEqual([LEAKING]);
      return alerts[0]!;
    }, 30_000);
    // Not before the third night was over, and with nothing after the first two.
    expect(early).toEqual([[], []]);
    expect(fired.startTime!.getTime()).toBeGreaterThanOrEqual(nightEnds[2]!);
    expect(fired.startTime!.getTime()).toBeLessThan(nightEnds[2]! + 6 * HOUR);
    expect(fired).toMatchObject({
      state: AlertState.ALERT_STATE_FIRING,
      labels: {
        alertname: LEAK_RULE.name,
        device: LEAKING,
        device_type: 'water_meter',
        zone: 'warandepark',
        leak: '35',
      },
    });
    expect(fired.annotations.detail).toMatch(/above 5 for 3 nights/);

    // What was played: the leaking meter never fell below its leak at night; every sound one
    // stood still (at or below the threshold) in at least one of the three nights.
    expect(Math.min(...minima.get(LEAKING)!)).toBeGreaterThanOrEqual(35);
    for (const m of meters.filter((x) => x.id !== LEAKING))
      expect(Math.min(...minima.get(m.id)!), m.id).toBeLessThanOrEqual(NIGHT.threshold);

    // A few city hours on: still no leak alert for a sound meter.
    await until(nightEnds[2]! + 3 * HOUR);
    expect((await leakAlerts()).map((a) => a.labels.device)).toEqual([LEAKING]);
  }, 120_000);
});

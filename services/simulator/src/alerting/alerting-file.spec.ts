import { readFileSync } from 'node:fs';
import { localTime } from '@slimstad/kit';
import { describe, expect, it } from 'vitest';
import { parseDevicesCsv } from '../domain/devices.js';
import { clampToSpec, MODELS, type ModelState } from '../domain/models.js';
import { createRandom, hash32 } from '../domain/random.js';
import {
  AlertingFileError,
  DEMO_ALERTING_FILE,
  loadAlertingFile,
  parseAlertingFile,
  ruleMessage,
  sameRule,
} from './alerting-file.js';

const text = readFileSync(DEMO_ALERTING_FILE, 'utf8');
const devices = parseDevicesCsv(
  readFileSync(new URL('../../demo/devices.csv', import.meta.url), 'utf8'),
);
const file = loadAlertingFile(text, devices);
const rule = (id: string) => file.rules.find((r) => r.id === id)!;
const selected = (scope: Record<string, string>) =>
  devices
    .filter((d) =>
      Object.entries(scope).every(
        ([k, v]) =>
          ({ ...d.labels, device: d.id, device_type: d.type, zone: d.zone })[k as 'device'] === v,
      ),
    )
    .map((d) => d.id);

/** Ray casting, in degrees: plenty for a few kilometres of Brussels. */
function inside(p: { latitude: number; longitude: number }, ring: (typeof p)[]): boolean {
  let within = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i]!;
    const b = ring[j]!;
    if (
      a.latitude > p.latitude !== b.latitude > p.latitude &&
      p.longitude <
        ((b.longitude - a.longitude) * (p.latitude - a.latitude)) / (b.latitude - a.latitude) +
          a.longitude
    )
      within = !within;
  }
  return within;
}

describe('the demo alerting file', () => {
  it('warns the public of a Zenne flood over both river gauges, naming sandbag points along the river', () => {
    const flood = rule('zenne-flood');
    expect(selected(flood.scope)).toEqual(['wl-zenne-anderlecht', 'wl-zenne-haren']);
    expect(flood.threshold).toMatchObject({
      metric: 'water_level',
      comparison: 'COMPARISON_ABOVE',
    });
    expect(flood.threshold!.clearValue).toBeLessThan(flood.threshold!.value);
    const pw = flood.publicWarning!;
    expect(pw).toMatchObject({ event: 'Flood warning', category: 'Met', resourceKind: 'sandbags' });
    const ring = pw.polygon!;
    for (const id of ['wl-zenne-anderlecht', 'wl-zenne-haren']) {
      const d = devices.find((x) => x.id === id)!;
      expect(inside(d, ring), `${id} in the warning's area`).toBe(true);
    }
    const sandbags = file.resourcePoints.filter((p) => p.kind === 'sandbags');
    expect(sandbags.length).toBeGreaterThan(pw.resourceCount ?? 3);
    // In the Zenne valley in Brussels: inside the warning's area, or within a few hundred metres.
    for (const p of sandbags) {
      const nearest = Math.min(
        ...ring.map((v) =>
          Math.hypot(
            (v.latitude - p.location.latitude) * 111,
            (v.longitude - p.location.longitude) * 70,
          ),
        ),
      );
      expect(inside(p.location, ring) || nearest < 0.8, p.id).toBe(true);
    }
    // The river rising fast warns the control room first, not the public.
    expect(selected(rule('zenne-rising').scope)).toEqual(selected(flood.scope));
    expect(rule('zenne-rising').publicWarning).toBeUndefined();
  });

  it('finds the leaking demo meter by its night flow, and none of the sound ones', () => {
    const leak = rule('water-leak');
    const c = leak.nightFlow!;
    const meters = devices.filter((d) => selected(leak.scope).includes(d.id));
    expect(meters.map((d) => d.id)).toEqual([
      'wm-stadhuis',
      'wm-beenhouwers-12',
      'wm-warandepark-paviljoen',
      'wm-sint-goriks-hallen',
    ]);
    // Four weeks of the demo meters, as the simulator plays them: each night's minimum flow.
    const start = Date.parse('2026-11-01T00:00:00Z');
    for (const meter of meters) {
      const model = MODELS.water_meter!;
      const random = createRandom(hash32(2026, meter.id));
      let state: ModelState = model.initial(meter, random);
      const minima = new Map<string, number>();
      for (let h = 0; h < 28 * 24; h++) {
        const simMs = start + h * 3_600_000;
        const step = model.step(meter, state, {
          simMs,
          elapsedS: 3600,
          random,
          seed: 2026,
          timeZone: c.timeZone,
        });
        state = step.state;
        const t = localTime(simMs, c.timeZone);
        const hour = Math.floor(t.minuteOfDay / 60);
        if (hour < c.startHour || hour >= c.endHour) continue;
        const flow = clampToSpec(meter, step.values).flow as number;
        minima.set(t.date, Math.min(minima.get(t.date) ?? Infinity, flow));
      }
      const above = [...minima.values()].map((m) => m > c.threshold);
      const longest = above.reduce(
        (acc, a) => ({ run: a ? acc.run + 1 : 0, max: Math.max(acc.max, a ? acc.run + 1 : 0) }),
        { run: 0, max: 0 },
      ).max;
      if (meter.labels?.leak) expect(longest, meter.id).toBe(minima.size);
      else expect(longest, meter.id).toBeLessThan(c.nights);
    }
  });

  it('is what `slimstad alerts rules apply -f` reads, rule by rule', () => {
    for (const r of file.rules) {
      const message = ruleMessage(r);
      expect(message.id).toBe(r.id);
      expect(message.condition).toBeDefined();
      expect(sameRule(message, ruleMessage(JSON.parse(JSON.stringify(r))))).toBe(true);
    }
    expect(sameRule(ruleMessage(rule('zenne-flood')), ruleMessage(rule('zenne-rising')))).toBe(
      false,
    );
  });

  it('refuses misspelt fields, two conditions, open polygons and rules that select nothing, naming each', () => {
    const bad = JSON.parse(text);
    bad.rules[0].publicWarning.polygon.pop();
    bad.rules[1].threshold = { metric: 'water_level', comparison: 'COMPARISON_ABOVE', value: 1 };
    bad.rules[2].nightFlow.tresholdd = 5;
    bad.rules.push({ ...bad.rules[3], id: 'zenne-level', scope: { regime: 'river' } });
    bad.rules.push({
      ...bad.rules[2],
      id: 'water-level',
      nightFlow: { ...bad.rules[2].nightFlow },
    });
    delete bad.rules.at(-1).nightFlow.tresholdd;
    bad.rules.at(-1).nightFlow.metric = 'level';
    bad.rules.push({ ...bad.rules[4], id: 'device-silent' });
    let error: AlertingFileError | undefined;
    try {
      parseAlertingFile(JSON.stringify(bad));
    } catch (e) {
      error = e as AlertingFileError;
    }
    expect(error).toBeInstanceOf(AlertingFileError);
    expect(error?.problems).toEqual([
      'rules.1: needs exactly one condition of threshold, rateOfChange, absence, nightFlow, baseline, event (has threshold, rateOfChange)',
      'rules.2.nightFlow: Unrecognized key: "tresholdd"',
    ]);
    delete bad.rules[1].threshold;
    delete bad.rules[2].nightFlow.tresholdd;
    try {
      loadAlertingFile(JSON.stringify(bad), devices);
    } catch (e) {
      error = e as AlertingFileError;
    }
    expect(error?.problems).toEqual([
      'rules.0 (zenne-flood): publicWarning.polygon must have at least 4 points, the first repeated last (CAP 1.2 §3.2.4)',
      'rules.10 (water-level): no device the scope selects reports level (they report volume, flow)',
      'rules.11 (device-silent): id appears twice',
    ]);
    bad.rules.splice(9);
    bad.rules[0].publicWarning.polygon = [];
    bad.rules[3].scope = { zone: 'atlantis' };
    try {
      loadAlertingFile(JSON.stringify(bad), devices);
    } catch (e) {
      error = e as AlertingFileError;
    }
    expect(error?.problems).toEqual([
      "rules.0 (zenne-flood): publicWarning needs a polygon or a circle (the warning's area)",
      'rules.3 (device-silent): scope {"zone":"atlantis"} selects no device of the file',
    ]);
  });
});

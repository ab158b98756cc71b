import { readFileSync } from 'node:fs';
import { WasteStream } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { greatCircleMeters } from '@slimstad/kit';
import { describe, expect, it } from 'vitest';
import { parseDevicesCsv } from '../domain/devices.js';
import {
  binMessage,
  DEMO_WASTE_FILE,
  loadWasteLayout,
  parseWasteLayout,
  vehicleMessage,
  WasteLayoutError,
  wasteLayoutProblems,
} from './waste-layout.js';
import { sameBin, sameVehicle } from './waste-seed.js';

const devices = parseDevicesCsv(
  readFileSync(new URL('../../demo/devices.csv', import.meta.url), 'utf8'),
);
const text = readFileSync(DEMO_WASTE_FILE, 'utf8');
const layout = loadWasteLayout(text, devices);
const GROTE_MARKT = { latitude: 50.8467, longitude: 4.3525 };

const problemsOf = (edit: (json: ReturnType<typeof JSON.parse>) => void) => {
  const json = JSON.parse(text);
  edit(json);
  return wasteLayoutProblems(parseWasteLayout(JSON.stringify(json)), devices);
};

describe('the demo waste file', () => {
  it('has one bin per fill sensor of the device file, of the stream its sensor is labelled with', () => {
    const sensors = devices.filter((d) => d.type === 'bin_fill');
    expect(layout.bins.map((b) => b.id).sort()).toEqual(sensors.map((d) => d.id).sort());
    for (const bin of layout.bins) {
      const sensor = sensors.find((d) => d.id === bin.id)!;
      expect(bin.stream, bin.id).toBe(sensor.labels?.stream);
      expect(binMessage(bin).deviceId).toBe(sensor.id);
      expect(
        greatCircleMeters(
          bin.location.latitude,
          bin.location.longitude,
          sensor.latitude,
          sensor.longitude,
        ),
      ).toBeLessThan(1);
    }
  });

  it('has a vehicle for every stream, from a depot near the centre, on a morning shift', () => {
    for (const bin of layout.bins) {
      const fleet = layout.vehicles.filter((v) => v.streams.includes(bin.stream));
      expect(fleet.length, bin.id).toBeGreaterThan(0);
      expect(Math.max(...fleet.map((v) => v.capacityLitres))).toBeGreaterThanOrEqual(
        bin.volumeLitres,
      );
    }
    for (const v of layout.vehicles) {
      const km =
        greatCircleMeters(
          v.depot.latitude,
          v.depot.longitude,
          GROTE_MARKT.latitude,
          GROTE_MARKT.longitude,
        ) / 1000;
      expect(km, v.id).toBeLessThan(2);
      const message = vehicleMessage(v);
      expect(message.shiftStartMinute, v.id).toBeLessThanOrEqual(7 * 60);
      expect(message.shiftEndMinute).toBeGreaterThan(message.shiftStartMinute);
    }
  });

  it('becomes the messages WasteService takes', () => {
    const square = layout.bins.find((b) => b.id === 'bin-grote-markt-1')!;
    expect(binMessage(square)).toMatchObject({
      id: 'bin-grote-markt-1',
      stream: WasteStream.WASTE_STREAM_RESIDUAL,
      volumeLitres: 660,
      deviceId: 'bin-grote-markt-1',
      accessWindow: { startMinute: 360, endMinute: 600, soft: true },
    });
    expect(binMessage(layout.bins.find((b) => !b.accessWindow)!).accessWindow).toBeUndefined();
    const truck = vehicleMessage(layout.vehicles.find((v) => v.id === 'centrum-rest')!);
    expect(truck).toMatchObject({
      streams: [WasteStream.WASTE_STREAM_RESIDUAL, WasteStream.WASTE_STREAM_ORGANIC],
      shiftStartMinute: 360,
      shiftEndMinute: 840,
      maxRouteMinutes: 0,
    });
    expect(truck.unloadLocation).toBeUndefined();
  });

  it('refuses a file whose bins do not match the sensors or cannot be collected, naming each', () => {
    expect(
      problemsOf((json) => {
        json.bins[1].id = json.bins[0].id;
        json.bins[1].deviceId = 'bin-grote-markt-2';
        json.bins[2].stream = 'pmd';
        json.bins[3].location = { latitude: 50.85, longitude: 4.36 };
        json.bins[4].deviceId = 'wm-warandepark-paviljoen';
        json.bins[5].deviceId = 'no-such-sensor';
        json.bins[6].accessWindow = { from: '10:00', to: '06:00', soft: false };
        json.vehicles[0].shift = { from: '14:00', to: '06:00' };
        json.vehicles[1].streams = ['pmd', 'paper'];
      }),
    ).toEqual([
      'bin bin-grote-markt-1 is listed twice',
      'bin bin-beenhouwers: collects pmd, but its sensor bin-beenhouwers is labelled stream=residual',
      expect.stringMatching(
        /^bin bin-nieuwstraat: stands \d+ m from its sensor bin-nieuwstraat \(at most 50\)$/,
      ),
      'bin bin-sint-goriks: sensor wm-warandepark-paviljoen is a water_meter, not a bin_fill sensor',
      'bin bin-sint-goriks: no vehicle collects glass',
      'bin bin-warandepark-1: sensor no-such-sensor is not a device of the device file',
      'bin bin-warandepark-2: its access window ends (06:00) before it starts (10:00)',
      'vehicle centrum-rest: its shift ends (06:00) before it starts (14:00)',
    ]);
    expect(
      problemsOf((json) => {
        json.vehicles[0].capacityLitres = 600;
      }),
    ).toEqual([
      'bin bin-grote-markt-1: 660 l fits in no vehicle that collects residual (largest 600 l)',
    ]);
    expect(() => loadWasteLayout(text.replace('"pmd"', '"plastic"'), devices)).toThrow(
      WasteLayoutError,
    );
    expect(() => parseWasteLayout('{"bins": [], "vehicles": []}')).toThrow(
      /bins: at least one bin/,
    );
    expect(() => parseWasteLayout('{"bins": [{"id": "Bin 1"}], "vehicles": []}')).toThrow(
      /bins\.0\.id: must be 1-63 lower-case letters/,
    );
  });
});

describe('what seeding leaves alone', () => {
  it('a stored bin as in the file, whatever its version, mark and times', () => {
    const wanted = binMessage(layout.bins[0]!);
    const stored = { ...wanted, version: 3n, mustVisit: true, createTime: new Date() };
    expect(sameBin(stored, wanted)).toBe(true);
    expect(sameBin({ ...stored, volumeLitres: 240 }, wanted)).toBe(false);
    expect(sameBin({ ...stored, accessWindow: undefined }, wanted)).toBe(false);
    expect(
      sameBin(
        { ...stored, accessWindow: { startMinute: 360, endMinute: 600, soft: false } },
        wanted,
      ),
    ).toBe(false);
    expect(sameBin({ ...stored, deviceId: 'other' }, wanted)).toBe(false);
    expect(sameBin({ ...stored, location: { latitude: 50.8, longitude: 4.35 } }, wanted)).toBe(
      false,
    );
  });

  it('a stored vehicle as in the file, its streams in any order', () => {
    const wanted = vehicleMessage(layout.vehicles[1]!);
    const stored = { ...wanted, streams: [...wanted.streams].reverse(), version: 2n };
    expect(sameVehicle(stored, wanted)).toBe(true);
    expect(sameVehicle({ ...stored, capacityLitres: 3000 }, wanted)).toBe(false);
    expect(sameVehicle({ ...stored, streams: wanted.streams.slice(1) }, wanted)).toBe(false);
    expect(sameVehicle({ ...stored, shiftStartMinute: 300 }, wanted)).toBe(false);
    expect(sameVehicle({ ...stored, unloadLocation: stored.depot }, wanted)).toBe(false);
  });
});

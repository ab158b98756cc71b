// Bin and vehicle validation: every problem is reported with the field it concerns.
import { describe, expect, it } from 'vitest';
import { binViolations, vehicleViolations } from './rules.js';

const bin = {
  id: 'gm-glass-1',
  name: 'Grote Markt glass',
  location: { latitude: 51.0543, longitude: 3.7174 },
  volumeLitres: 3000,
  stream: 'glass',
  deviceId: 'bin-gm-1',
};
const vehicle = {
  id: 'truck-1',
  name: 'Truck 1',
  streams: ['glass'],
  capacityLitres: 20_000,
  capacityKg: 8_000,
  depot: { latitude: 51.05, longitude: 3.7 },
  shiftStartMinute: 360,
  shiftEndMinute: 840,
  maxRouteMinutes: 420,
  serviceSeconds: 120,
  unloadSeconds: 900,
};
const fields = (v: { field: string }[]) => v.map((x) => x.field);

describe('bins', () => {
  it('accepts a valid bin', () => {
    expect(binViolations(bin)).toEqual([]);
  });

  it('names every wrong field', () => {
    const violations = binViolations({
      ...bin,
      id: 'Bad Id',
      name: ' ',
      location: { latitude: 91, longitude: -181 },
      volumeLitres: 0,
      stream: 'nuclear',
      deviceId: '',
      accessWindow: { startMinute: 600, endMinute: 500, soft: false },
    });
    expect(fields(violations)).toEqual([
      'bin.id',
      'bin.name',
      'bin.location.latitude',
      'bin.location.longitude',
      'bin.volume_litres',
      'bin.stream',
      'bin.device_id',
      'bin.access_window.end_minute',
    ]);
    expect(violations.find((v) => v.field === 'bin.stream')?.description).toBe(
      'is required: one of residual, paper, glass, pmd, organic',
    );
  });

  it('refuses a missing location and the 0,0 of an unset one', () => {
    expect(fields(binViolations({ ...bin, location: undefined }))).toEqual(['bin.location']);
    expect(binViolations({ ...bin, location: { latitude: 0, longitude: 0 } })).toEqual([
      { field: 'bin.location', description: 'is 0,0 (in the ocean): set the real location' },
    ]);
  });
});

describe('vehicles', () => {
  it('accepts a valid vehicle', () => {
    expect(vehicleViolations(vehicle)).toEqual([]);
  });

  it('names every wrong field', () => {
    expect(
      fields(
        vehicleViolations({
          ...vehicle,
          streams: ['glass', 'gold'],
          capacityLitres: -1,
          capacityKg: Number.NaN,
          depot: undefined,
          unloadLocation: { latitude: 100, longitude: 0 },
          shiftStartMinute: 900,
          shiftEndMinute: 800,
          maxRouteMinutes: 2000,
          serviceSeconds: 0,
          unloadSeconds: -5,
        }),
      ),
    ).toEqual([
      'vehicle.streams[1]',
      'vehicle.capacity_litres',
      'vehicle.capacity_kg',
      'vehicle.depot',
      'vehicle.unload_location.latitude',
      'vehicle.shift_end_minute',
      'vehicle.max_route_minutes',
      'vehicle.service_seconds',
      'vehicle.unload_seconds',
    ]);
  });
});

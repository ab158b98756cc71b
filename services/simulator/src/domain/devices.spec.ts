import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeviceFileError, NETWORK_WAYS, parseDevicesCsv, parseDuration } from './devices.js';
import { MODELS, modelProblems } from './models.js';

const demo = readFileSync(new URL('../../demo/devices.csv', import.meta.url), 'utf8');
const HEADER =
  'id,type,name,latitude,longitude,zone,metrics,owner_department,classification,expected_report_interval,network_kind,network_id';

describe('the demo device file', () => {
  const devices = parseDevicesCsv(demo);

  it('holds a small city centre: 25-40 devices, every simulated type and every way in', () => {
    expect(devices.length).toBeGreaterThanOrEqual(25);
    expect(devices.length).toBeLessThanOrEqual(40);
    // Bollard controllers talk to the bollards service (demo/bollards.json), not to ingest.
    expect(new Set(devices.map((d) => d.type))).toEqual(
      new Set(Object.keys(MODELS).filter((t) => t !== 'bollard_controller')),
    );
    expect(new Set(devices.map((d) => d.network))).toEqual(new Set(NETWORK_WAYS));
  });

  it('declares every metric its models report, in their units', () => {
    expect(modelProblems(devices)).toEqual([]);
  });

  it('stands in the centre of Brussels (within 1.5 km of the Grote Markt; the Zenne and canal gauges within 7 km)', () => {
    for (const d of devices) {
      const dy = (d.latitude - 50.8467) * 111_000;
      const dx = (d.longitude - 4.3525) * 111_000 * Math.cos((50.8467 * Math.PI) / 180);
      const water = d.zone === 'zenne' || d.zone === 'kanaal';
      expect(Math.hypot(dx, dy), d.id).toBeLessThan(water ? 7_000 : 1_500);
    }
  });

  it('has unique ids and network ids', () => {
    expect(new Set(devices.map((d) => d.id)).size).toBe(devices.length);
    expect(new Set(devices.map((d) => `${d.network}:${d.networkId}`)).size).toBe(devices.length);
  });
});

describe('parseDevicesCsv', () => {
  it('reads metrics, intervals and DevEUIs as the registry does', () => {
    const [device] = parseDevicesCsv(
      `${HEADER}\nwl-1,water_level,Gauge,51.0,4.4,dijle,water_level:m:-2:8;temperature:Cel,water,public,15m,lorawan_chirpstack,24-e1-24-71-3c-14-00-01`,
    );
    expect(device).toEqual({
      id: 'wl-1',
      type: 'water_level',
      name: 'Gauge',
      latitude: 51,
      longitude: 4.4,
      zone: 'dijle',
      metrics: [
        { name: 'water_level', unit: 'm', min: -2, max: 8 },
        { name: 'temperature', unit: 'Cel', min: undefined, max: undefined },
      ],
      intervalS: 900,
      network: 'lorawan_chirpstack',
      networkId: '24E124713C140001',
    });
  });

  it('names every row it cannot simulate', () => {
    const attempt = () =>
      parseDevicesCsv(
        [
          HEADER,
          'a,noise,A,51,4,z,sound_level:dB[A],env,public,,mqtt,a',
          'b,noise,B,51,4,z,sound_level:dB[A],env,public,5m,nats,b',
          'c,noise,C,north,4,z,sound_level:dB[A],env,public,5m,grpc,c',
        ].join('\n'),
      );
    expect(attempt).toThrow(DeviceFileError);
    expect(attempt).toThrow(/row 1 \(a\): expected_report_interval/);
    expect(attempt).toThrow(/row 2 \(b\): network_kind "nats" is not simulated/);
    expect(attempt).toThrow(/row 3 \(c\): latitude and longitude/);
  });

  it('reads durations like the registry', () => {
    expect(['900', '900s', '15m', '1h', '1.5h', '1d', '500ms', 'soon'].map(parseDuration)).toEqual([
      900,
      900,
      900,
      3600,
      5400,
      86_400,
      0.5,
      undefined,
    ]);
  });
});

describe('modelProblems', () => {
  it('finds unsimulated types, missing metrics and other units', () => {
    const devices = parseDevicesCsv(
      [
        HEADER,
        'v,vehicle_loop,V,51,4,z,vehicles:{count},mobility,public,5m,mqtt,v',
        'n,noise,N,51,4,z,volume:dB[A],env,public,5m,mqtt,n',
        'w,water_level,W,51,4,z,water_level:cm;temperature:Cel,water,public,5m,mqtt,w',
      ].join('\n'),
    );
    expect(modelProblems(devices)).toEqual([
      expect.stringMatching(/^v: type "vehicle_loop" is not simulated/),
      'n: must declare metric sound_level:dB[A]',
      'w: metric water_level is simulated in m, declared in cm',
    ]);
  });
});

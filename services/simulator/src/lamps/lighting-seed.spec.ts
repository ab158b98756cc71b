import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_LIGHTING_FILE, lampMessage, parseLightingLayout, zoneMessage } from './layout.js';
import { sameLamp, sameZone } from './lighting-seed.js';

const layout = parseLightingLayout(readFileSync(DEMO_LIGHTING_FILE, 'utf8'));

describe('what seeding leaves alone', () => {
  it('a stored zone as in the file, whatever its version and times', () => {
    const wanted = zoneMessage(layout.zones[0]!);
    const stored = { ...wanted, version: 4n, createTime: new Date(), updateTime: new Date() };
    expect(sameZone(stored, wanted)).toBe(true);
    expect(sameZone({ ...stored, name: 'Warandepark (oud)' }, wanted)).toBe(false);
    expect(sameZone({ ...stored, location: { latitude: 51, longitude: 4.478 } }, wanted)).toBe(
      false,
    );
  });

  it('a stored lamp as in the file, its neighbours and detectors in any order', () => {
    const wanted = lampMessage(layout.lamps.find((l) => l.neighbourIds.length > 0)!);
    const stored = {
      ...wanted,
      neighbourIds: [...wanted.neighbourIds].reverse(),
      version: 2n,
    };
    expect(sameLamp(stored, wanted)).toBe(true);
    expect(sameLamp({ ...stored, ratedPowerWatts: 70 }, wanted)).toBe(false);
    expect(sameLamp({ ...stored, neighbourIds: [] }, wanted)).toBe(false);
    expect(sameLamp({ ...stored, detectorIds: ['pr-sint-goriks'] }, wanted)).toBe(false);
    expect(sameLamp({ ...stored, controllerId: 'lc-other' }, wanted)).toBe(false);
  });
});

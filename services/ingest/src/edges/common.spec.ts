import { describe, expect, it } from 'vitest';
import { jsonPath, matchTopic, normalizeDevEui } from './common.js';

describe('matchTopic', () => {
  it('captures the levels at the wildcards', () => {
    expect(
      matchTopic('application/+/device/+/event/up', 'application/a1/device/0004a30b/event/up'),
    ).toEqual(['a1', '0004a30b']);
    expect(matchTopic('slimstad/readings/+', 'slimstad/readings/wl-001')).toEqual(['wl-001']);
    expect(matchTopic('city/#', 'city/a/b')).toEqual(['a/b']);
    expect(matchTopic('$share/ingest/slimstad/readings/+', 'slimstad/readings/x')).toEqual(['x']);
  });

  it('refuses topics of another shape', () => {
    expect(matchTopic('slimstad/readings/+', 'slimstad/readings/a/b')).toBeUndefined();
    expect(matchTopic('slimstad/readings/+', 'slimstad/readings')).toBeUndefined();
    expect(
      matchTopic('application/+/device/+/event/up', 'application/a/device/b/event/join'),
    ).toBeUndefined();
  });
});

describe('normalizeDevEui', () => {
  it('lower-cases 16 hex digits and drops separators', () => {
    expect(normalizeDevEui('70B3D57ED0000ABC')).toBe('70b3d57ed0000abc');
    expect(normalizeDevEui('70-b3-d5-7e-d0-00-0a-bc')).toBe('70b3d57ed0000abc');
    expect(normalizeDevEui('70:b3:d5:7e:d0:00:0a')).toBeUndefined();
    expect(normalizeDevEui('zzb3d57ed0000abc')).toBeUndefined();
  });
});

describe('jsonPath', () => {
  it('writes paths as JavaScript would', () => {
    expect(jsonPath(['readings', 0, 'value'])).toBe('readings[0].value');
    expect(jsonPath([])).toBe('(body)');
  });
});

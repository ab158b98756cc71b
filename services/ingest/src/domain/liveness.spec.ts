import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LivenessTracker } from './liveness.js';

const t = (s: number) => new Date(s * 1000);
const every60s = () => 60_000;

describe('LivenessTracker', () => {
  it('goes offline after factor × interval of silence, once, and back online on the next reading', () => {
    const tracker = new LivenessTracker(3);
    expect(tracker.seen('d1', t(0))).toEqual({
      kind: 'came-online',
      deviceId: 'd1',
      lastSeenAt: t(0),
    });
    expect(tracker.sweep(t(180), every60s)).toEqual([]);
    expect(tracker.sweep(t(181), every60s)).toEqual([
      { kind: 'went-offline', deviceId: 'd1', lastSeenAt: t(0), detectedAt: t(181) },
    ]);
    expect(tracker.sweep(t(500), every60s)).toEqual([]);
    expect(tracker.seen('d1', t(600))).toEqual({
      kind: 'came-online',
      deviceId: 'd1',
      lastSeenAt: t(600),
      offlineSince: t(181),
    });
    expect(tracker.seen('d1', t(660))).toBeUndefined();
  });

  it('counts the devices online and offline', () => {
    const tracker = new LivenessTracker(3);
    expect(tracker.counts()).toEqual({ online: 0, offline: 0 });
    tracker.seen('d1', t(0));
    tracker.seen('d2', t(150));
    tracker.sweep(t(181), every60s);
    expect(tracker.counts()).toEqual({ online: 1, offline: 1 });
    tracker.seen('d1', t(200));
    expect(tracker.counts()).toEqual({ online: 2, offline: 0 });
  });

  it('restores state silently and ignores devices that report only on change', () => {
    const tracker = new LivenessTracker(2);
    tracker.restore('d1', t(100));
    expect(tracker.seen('d1', t(110))).toBeUndefined();
    expect(tracker.sweep(t(10_000), () => 0)).toEqual([]);
  });

  it('alternates offline and online transitions for any sequence of readings and sweeps (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 400 })), { maxLength: 200 }),
        (steps) => {
          const tracker = new LivenessTracker(3);
          let now = 0;
          const kinds: string[] = [];
          for (const [isReading, gap] of steps) {
            now += gap;
            if (isReading) {
              const tr = tracker.seen('d', t(now));
              if (tr) kinds.push(tr.kind);
            } else {
              for (const tr of tracker.sweep(t(now), every60s)) kinds.push(tr.kind);
            }
          }
          for (let i = 1; i < kinds.length; i++) expect(kinds[i]).not.toBe(kinds[i - 1]);
          if (kinds.length > 0) expect(kinds[0]).toBe('came-online');
        },
      ),
    );
  });
});

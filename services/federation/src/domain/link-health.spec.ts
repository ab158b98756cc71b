import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkState, SourceWatch } from './link-health.js';

describe('SourceWatch', () => {
  it('stalled only after being behind without moving for the whole delay', () => {
    const w = new SourceWatch(1_000);
    expect(w.observe({ origin: 0, received: 0 }, 0).stalled).toBe(false);
    expect(w.observe({ origin: 5, received: 0 }, 10_000)).toMatchObject({ lag: 5, stalled: false });
    expect(w.observe({ origin: 5, received: 0 }, 10_999).stalled).toBe(false);
    expect(w.observe({ origin: 6, received: 0 }, 11_000)).toMatchObject({ lag: 6, stalled: true });
    // Moving again clears it; caught up stays clear however long nothing happens.
    expect(w.observe({ origin: 6, received: 2 }, 11_500)).toMatchObject({
      lag: 4,
      stalled: false,
      lastActivityAt: 11_500,
    });
    expect(w.observe({ origin: 6, received: 6 }, 99_000).stalled).toBe(false);
  });

  it('never calls a source stalled that has nothing to move, or that moved within the delay (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dt: fc.integer({ min: 0, max: 2_000 }),
            published: fc.nat(3),
            moved: fc.nat(3),
          }),
          { maxLength: 80 },
        ),
        (steps) => {
          const w = new SourceWatch(1_000);
          let now = 0;
          let origin = 0;
          let received = 0;
          let lastMove = 0;
          let behindSince: number | undefined;
          for (const s of steps) {
            now += s.dt;
            origin += s.published;
            const next = Math.min(origin, received + s.moved);
            if (next !== received) lastMove = now;
            received = next;
            const st = w.observe({ origin, received }, now);
            if (origin === received) behindSince = undefined;
            else behindSince ??= now;
            expect(st.lag).toBe(origin - received);
            if (st.stalled) {
              expect(st.lag).toBeGreaterThan(0);
              expect(now - lastMove).toBeGreaterThanOrEqual(1_000);
              expect(now - (behindSince as number)).toBeGreaterThanOrEqual(1_000);
            }
          }
        },
      ),
    );
  });
});

describe('linkState', () => {
  it('down beats stalled beats up', () => {
    const s = (stalled: boolean) => ({ lag: 1, lastActivityAt: 0, stalled });
    expect(linkState(false, [s(true)])).toBe('down');
    expect(linkState(true, [s(false), s(true)])).toBe('stalled');
    expect(linkState(true, [s(false)])).toBe('up');
    expect(linkState(true, [])).toBe('up');
  });
});

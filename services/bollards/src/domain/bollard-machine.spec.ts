import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acknowledged,
  admit,
  type Bollard,
  type BollardPolicy,
  DEFAULT_POLICY,
  type Effect,
  emergencyOff,
  emergencyOn,
  loopChanged,
  maintenance,
  newBollard,
  obstacle,
  positionReported,
  restarted,
  tick,
} from './bollard-machine.js';

const policy: BollardPolicy = DEFAULT_POLICY;
const commands = (effects: Effect[]) =>
  effects
    .filter((e) => e.kind === 'command')
    .map((e) => (e.kind === 'command' ? `${e.motion}#${e.sequence}/${e.attempt}` : ''));

/** A bollard that is up with a free loop. */
function upAndFree(): Bollard {
  const b = newBollard('b-1', 'up');
  loopChanged(b, false, 0, policy);
  return b;
}

/** Lowers for an admission and lets the controller confirm. */
function lowered(b: Bollard, at: number): void {
  admit(b, at, policy, 'permit p-1');
  acknowledged(b, b.sequence, at + 100);
  positionReported(b, 'down', at + 2_000);
}

describe('the bollard state machine', () => {
  it('lowers for an admitted vehicle, changing state only on acknowledgement and report', () => {
    const b = upAndFree();
    expect(commands(admit(b, 1_000, policy, 'permit p-1'))).toEqual(['lower#1/1']);
    expect(b.state).toBe('up');
    expect(acknowledged(b, 1, 1_100)).toEqual([
      { kind: 'state', from: 'up', to: 'lowering', reason: 'command 1 acknowledged' },
    ]);
    expect(positionReported(b, 'down', 3_000)).toMatchObject([{ to: 'down' }]);
  });

  it('raises only after the vehicle passed the loop, plus the delay', () => {
    const b = upAndFree();
    lowered(b, 0);
    loopChanged(b, true, 10_000, policy);
    expect(tick(b, 12_000, policy)).toEqual([]);
    loopChanged(b, false, 15_000, policy);
    expect(tick(b, 19_999, policy)).toEqual([]);
    expect(commands(tick(b, 20_000, policy))).toEqual(['raise#2/1']);
  });

  it('holds a due raise until the reports up to its due time are known to be taken in', () => {
    const b = upAndFree();
    lowered(b, 0);
    loopChanged(b, true, 10_000, policy);
    loopChanged(b, false, 15_000, policy);
    // Due at 20 s, but the service has only read the controllers' reports up to 19.9 s.
    expect(tick(b, 20_500, policy, 19_900)).toEqual([]);
    expect(commands(tick(b, 20_600, policy, 20_000))).toEqual(['raise#2/1']);
  });

  it('stays down for a second admitted vehicle after the first has passed, up to the hold', () => {
    const b = upAndFree();
    lowered(b, 0);
    admit(b, 5_000, policy, 'permit p-2');
    loopChanged(b, true, 10_000, policy);
    loopChanged(b, false, 12_000, policy);
    // The first van passed; the second is still expected.
    expect(tick(b, 30_000, policy)).toEqual([]);
    loopChanged(b, true, 31_000, policy);
    loopChanged(b, false, 33_000, policy);
    expect(tick(b, 37_999, policy)).toEqual([]);
    expect(commands(tick(b, 38_000, policy))).toEqual(['raise#2/1']);
    // A second van that never came holds the bollard until its admission's hold runs out.
    const c = upAndFree();
    lowered(c, 0);
    admit(c, 5_000, policy, 'permit p-2');
    loopChanged(c, true, 10_000, policy);
    loopChanged(c, false, 12_000, policy);
    expect(tick(c, 64_999, policy)).toEqual([]);
    expect(commands(tick(c, 65_000, policy))).toEqual(['raise#2/1']);
    expect(c.expected).toBe(0);
  });

  it('raises when the admitted vehicle never comes, once the hold runs out', () => {
    const b = upAndFree();
    lowered(b, 0);
    expect(tick(b, 59_999, policy)).toEqual([]);
    expect(commands(tick(b, 60_000, policy))).toEqual(['raise#2/1']);
  });

  it('never raises while the loop is occupied or unknown (after a restart)', () => {
    const b = upAndFree();
    lowered(b, 0);
    loopChanged(b, true, 1_000, policy);
    expect(tick(b, 999_999, policy)).toEqual([]);
    loopChanged(b, false, 1_000_000, policy);
    restarted(b);
    expect(tick(b, 2_000_000, policy)).toEqual([]);
    loopChanged(b, false, 2_000_001, policy);
    expect(commands(tick(b, 2_005_001, policy))).toEqual(['raise#2/1']);
  });

  it('reverses a rise when a vehicle drives on, and stays down in fault after repeated reversals', () => {
    const b = upAndFree();
    lowered(b, 0);
    let t = 100_000;
    for (let n = 1; n <= 3; n++) {
      tick(b, t, policy);
      acknowledged(b, b.sequence, t + 100);
      expect(b.state).toBe('raising');
      const effects = n < 3 ? loopChanged(b, true, t + 500, policy) : obstacle(b, t + 500, policy);
      expect(commands(effects)).toEqual([`lower#${b.sequence}/1`]);
      if (n < 3) {
        acknowledged(b, b.sequence, t + 600);
        positionReported(b, 'down', t + 2_000);
        loopChanged(b, false, t + 3_000, policy);
      }
      t += 100_000;
    }
    expect(b.state).toBe('fault');
    expect(b.faultReason).toBe('3 reversals of the rise: staying down');
    expect(b.pending?.motion).toBe('lower');
    expect(
      tick(b, t + 1_000_000, policy).some((e) => e.kind === 'command' && e.motion === 'raise'),
    ).toBe(false);
  });

  it('retries an unacknowledged command, then faults and announces it', () => {
    const b = upAndFree();
    admit(b, 0, policy, 'permit p-1');
    expect(commands(tick(b, 3_000, policy))).toEqual(['lower#1/2']);
    expect(commands(tick(b, 6_000, policy))).toEqual(['lower#1/3']);
    expect(tick(b, 9_000, policy)).toEqual([
      { kind: 'fault', reason: 'no acknowledgement of lower command 1 after 3 attempts' },
      {
        kind: 'state',
        from: 'up',
        to: 'fault',
        reason: 'no acknowledgement of lower command 1 after 3 attempts',
      },
    ]);
  });

  it('ignores a late acknowledgement of an older command', () => {
    const b = upAndFree();
    admit(b, 0, policy, 'permit');
    expect(acknowledged(b, 0, 10)).toEqual([]);
    expect(b.state).toBe('up');
  });

  it('holds every bollard down in emergency mode until an operator clears it', () => {
    const b = upAndFree();
    expect(commands(emergencyOn(b, 0, 'fire brigade'))).toEqual(['lower#1/1']);
    acknowledged(b, 1, 100);
    expect(positionReported(b, 'down', 2_000)).toMatchObject([{ to: 'emergency_down' }]);
    expect(tick(b, 10_000_000, policy)).toEqual([]);
    expect(emergencyOff(b, 'olga: fire out')).toMatchObject([{ to: 'down' }]);
    expect(commands(tick(b, 10_000_000, policy))).toEqual(['raise#2/1']);
  });

  it('does nothing by itself in maintenance, and follows the report when it ends', () => {
    const b = upAndFree();
    maintenance(b, true, 0, 'hydraulics', 'up');
    expect(admit(b, 0, policy, 'permit')).toEqual([]);
    expect(tick(b, 1_000_000, policy)).toEqual([]);
    expect(maintenance(b, false, 10, 'done', 'down')).toMatchObject([{ to: 'down' }]);
  });
});

// ---- the model-based property test: 100 runs × 1,000 random steps ----

type Step =
  | { kind: 'admit'; dt: number }
  | { kind: 'loop'; occupied: boolean; dt: number }
  | { kind: 'obstacle'; dt: number }
  | { kind: 'ack'; lost: boolean; late: number; dt: number }
  | { kind: 'position'; dt: number }
  | { kind: 'tick'; dt: number }
  | { kind: 'emergency'; on: boolean; dt: number }
  | { kind: 'maintenance'; on: boolean; dt: number }
  | { kind: 'restart'; dt: number };

const dt = fc.integer({ min: 0, max: 8_000 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('admit' as const), dt }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('loop' as const), occupied: fc.boolean(), dt }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('obstacle' as const), dt }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('ack' as const),
      lost: fc.boolean(),
      late: fc.integer({ min: 0, max: 2 }),
      dt,
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('position' as const), dt }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      dt: fc.integer({ min: 0, max: 70_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('emergency' as const), on: fc.boolean(), dt }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('maintenance' as const), on: fc.boolean(), dt }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), dt }) },
);

describe('bollard properties (model-based)', () => {
  it('never raises under a vehicle or in an emergency, and changes position only on the controller’s word', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1_000, maxLength: 1_000 }), (steps) => {
        const b = upAndFree();
        let now = 0;
        // The physical controller: what it is doing, as far as it has been told.
        let acked: { motion: 'lower' | 'raise'; sequence: number } | undefined;
        let lastSequence = 0;
        for (const s of steps) {
          now += s.dt;
          const loopBefore = b.loopOccupied;
          let effects: Effect[] = [];
          switch (s.kind) {
            case 'admit':
              effects = admit(b, now, policy, 'permit');
              break;
            case 'loop':
              effects = loopChanged(b, s.occupied, now, policy);
              break;
            case 'obstacle':
              effects = obstacle(b, now, policy);
              break;
            case 'ack': {
              const pending = b.pending;
              if (pending && !s.lost) {
                const sequence = Math.max(0, pending.sequence - s.late);
                effects = acknowledged(b, sequence, now);
                if (sequence === pending.sequence) acked = { motion: pending.motion, sequence };
              }
              break;
            }
            case 'position':
              if (acked)
                effects = positionReported(b, acked.motion === 'lower' ? 'down' : 'up', now);
              break;
            case 'tick':
              effects = tick(b, now, policy);
              break;
            case 'emergency':
              effects = s.on ? emergencyOn(b, now, 'emergency') : emergencyOff(b, 'operator');
              break;
            case 'maintenance':
              effects = maintenance(
                b,
                s.on,
                now,
                'crew',
                acked?.motion === 'raise' ? 'up' : 'down',
              );
              break;
            case 'restart':
              restarted(b);
              break;
          }
          for (const e of effects) {
            if (e.kind === 'command') {
              // Never a raise while the loop reports a vehicle or is unknown, nor in an emergency.
              if (e.motion === 'raise') {
                expect(b.loopOccupied).toBe(false);
                expect(loopBefore === true && s.kind === 'loop').toBe(false);
                expect(b.emergency).toBe(false);
              }
              // New commands take new sequences; retries repeat theirs.
              if (e.attempt === 1) {
                expect(e.sequence).toBeGreaterThan(lastSequence);
                lastSequence = e.sequence;
              } else expect(e.sequence).toBe(lastSequence);
              expect(e.reason.length).toBeGreaterThan(0);
            }
            if (e.kind === 'state') {
              // Moving only on acknowledgement; arrived only on the controller's report.
              if (e.to === 'lowering' || e.to === 'raising') expect(s.kind).toBe('ack');
              if (e.to === 'up') expect(['position', 'maintenance']).toContain(s.kind);
              if (e.to === 'raising') expect(b.emergency).toBe(false);
              if (e.to === 'down' && e.from === 'lowering') expect(s.kind).toBe('position');
            }
          }
          // Emergency: the bollard is down, or going down, or a lower command is out.
          if (b.emergency && b.state !== 'maintenance') {
            const safe =
              ['down', 'emergency_down', 'lowering'].includes(b.state) ||
              b.pending?.motion === 'lower' ||
              b.state === 'fault';
            expect(safe).toBe(true);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

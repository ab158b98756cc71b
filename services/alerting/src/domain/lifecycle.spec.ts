// Property tests of the alert state machine: whatever operators and evaluation do, in any
// order, the lifecycle's promises hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AlertAction,
  type AlertFacts,
  applyAction,
  newAlert,
  nextEscalationAt,
} from './lifecycle.js';

const actor = fc.constantFrom('ada', 'bob', 'system-op');
const action = (at: number): fc.Arbitrary<AlertAction> =>
  fc.oneof(
    fc.constant<AlertAction>({ kind: 'seen', at }),
    actor.map((a): AlertAction => ({ kind: 'acknowledge', actor: a, at })),
    actor.map((a): AlertAction => ({ kind: 'resolve', actor: a, at })),
    fc.constant<AlertAction>({ kind: 'clear', at }),
    fc
      .tuple(actor, fc.constantFrom('', 'carla', 'dirk'))
      .map(([a, assignee]): AlertAction => ({ kind: 'assign', actor: a, assignee, at })),
    actor.map((a): AlertAction => ({ kind: 'comment', actor: a, at })),
    fc.constant<AlertAction>({ kind: 'escalate', at }),
  );
const actions = fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 40 }).chain((steps) => {
  // Times strictly increase: each step's time is the sum of the gaps so far.
  const times = steps.map((_, i) => steps.slice(0, i + 1).reduce((a, b) => a + b, 0));
  return fc.tuple(...times.map((at) => action(at)));
});

describe('alert lifecycle (properties)', () => {
  it('resolved is final; acknowledgement and resolution record who and when; escalation only while unacknowledged', () => {
    fc.assert(
      fc.property(actions, (seq) => {
        let a: AlertFacts = newAlert(0);
        for (const act of seq) {
          const before = a;
          const r = applyAction(a, act);
          if (before.state === 'resolved') {
            // Nothing reopens or changes a resolved alert except comments.
            expect(r.ok ? r.alert : before).toEqual(before);
            if (act.kind !== 'comment') expect(r.ok).toBe(false);
          }
          if (!r.ok) continue;
          a = r.alert;
          if (act.kind === 'acknowledge') {
            expect(before.state).toBe('firing');
            expect(a).toMatchObject({
              state: 'acknowledged',
              acknowledgedBy: act.actor,
              acknowledgedAt: act.at,
            });
          }
          if (act.kind === 'resolve' || act.kind === 'clear') {
            expect(a.state).toBe('resolved');
            expect(a.resolvedBy).toBe(act.kind === 'clear' ? 'system' : act.actor);
            expect(a.endedAt).toBe(act.at);
          }
          if (act.kind === 'escalate') {
            expect(before.state).toBe('firing');
            expect(a.escalations).toBe(before.escalations + 1);
          }
          // Acknowledgement, once given, is never lost.
          if (before.acknowledgedBy) expect(a.acknowledgedBy).toBe(before.acknowledgedBy);
          expect(a.escalations).toBeGreaterThanOrEqual(before.escalations);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('escalations come every escalate_after after the start, never without one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 1e7 }),
        (start, n, every) => {
          const next = nextEscalationAt(start, n, every);
          if (every === 0) expect(next).toBeNull();
          else expect(next).toBe(start + every * (n + 1));
        },
      ),
    );
  });
});

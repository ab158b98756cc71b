import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acknowledge,
  checkTimeouts,
  type LinkPolicy,
  newLink,
  requestLevel,
} from './command-link.js';

const policy: LinkPolicy = { ackTimeoutMs: 1_000, maxAttempts: 3, unreachableRetryMs: 10_000 };
const want = (level: number) => ({ level, transitionMs: 1_000, source: 'presence' as const });

describe('the command link', () => {
  it('sends a new sequence per new level and nothing for the same level', () => {
    const link = newLink(41n);
    expect(requestLevel(link, want(100), 0)).toMatchObject([
      { kind: 'send', command: { sequence: 42n, attempts: 1 } },
    ]);
    expect(requestLevel(link, want(100), 10)).toEqual([]);
    expect(requestLevel(link, want(20), 20)).toMatchObject([
      { kind: 'send', command: { sequence: 43n, level: 20 } },
    ]);
  });

  it('never issues a sequence below the floor (a restarted service continues above)', () => {
    const link = newLink(5n);
    expect(requestLevel(link, want(100), 0, 1_000n)).toMatchObject([
      { command: { sequence: 1_000n } },
    ]);
  });

  it('retries an unacknowledged command, then declares the lamp unreachable and retries slowly', () => {
    const link = newLink();
    requestLevel(link, want(100), 0);
    expect(checkTimeouts(link, 999, policy)).toEqual([]);
    expect(checkTimeouts(link, 1_000, policy)).toMatchObject([
      { kind: 'send', command: { sequence: 1n, attempts: 2 } },
    ]);
    expect(checkTimeouts(link, 2_000, policy)).toMatchObject([
      { kind: 'send', command: { attempts: 3 } },
    ]);
    expect(checkTimeouts(link, 3_000, policy)).toMatchObject([
      { kind: 'unreachable', command: { attempts: 3 } },
    ]);
    expect(link.reachable).toBe(false);
    expect(checkTimeouts(link, 3_500, policy)).toEqual([]);
    expect(checkTimeouts(link, 12_000, policy)).toMatchObject([
      { kind: 'send', command: { attempts: 4 } },
    ]);
    // The lamp answers: reachable again and the command is done.
    expect(acknowledge(link, { sequence: 1n, result: 'applied' }, 12_100)).toEqual([
      { kind: 'reachable' },
    ]);
    expect(checkTimeouts(link, 99_000, policy)).toEqual([]);
  });

  it('ignores the acknowledgement of a superseded command, which still proves contact', () => {
    const link = newLink();
    requestLevel(link, want(100), 0);
    requestLevel(link, want(20), 10);
    expect(acknowledge(link, { sequence: 1n, result: 'applied' }, 20)).toEqual([]);
    expect(checkTimeouts(link, 1_010, policy)).toMatchObject([
      { kind: 'send', command: { sequence: 2n } },
    ]);
  });

  it('jumps past the controller when it calls the current command stale', () => {
    const link = newLink();
    requestLevel(link, want(100), 0);
    const [action] = acknowledge(link, { sequence: 1n, result: 'stale' }, 5);
    expect(action).toMatchObject({ kind: 'send', command: { sequence: 1_000_001n, level: 100 } });
  });

  it('reports a rejected command', () => {
    const link = newLink();
    requestLevel(link, want(100), 0);
    expect(acknowledge(link, { sequence: 1n, result: 'rejected' }, 5)).toMatchObject([
      { kind: 'rejected' },
    ]);
  });
});

type Step =
  | { kind: 'level'; level: number; dt: number }
  | { kind: 'tick'; dt: number }
  | { kind: 'ack'; back: number; result: 'applied' | 'stale' | 'rejected'; dt: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('level' as const),
    level: fc.integer({ min: 0, max: 3 }).map((n) => n * 30),
    dt: fc.nat(3_000),
  }),
  fc.record({ kind: fc.constant('tick' as const), dt: fc.nat(12_000) }),
  fc.record({
    kind: fc.constant('ack' as const),
    back: fc.nat(2),
    result: fc.constantFrom('applied' as const, 'stale' as const, 'rejected' as const),
    dt: fc.nat(500),
  }),
);

describe('command link properties', () => {
  it('issues strictly increasing sequences, marks unreachable only after the attempts, and never sends an acknowledged command again', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const link = newLink();
        let now = 0;
        let lastNewSequence = 0n;
        const sent: bigint[] = [];
        for (const s of steps) {
          now += s.dt;
          const actions =
            s.kind === 'level'
              ? requestLevel(link, want(s.level), now)
              : s.kind === 'tick'
                ? checkTimeouts(link, now, policy)
                : acknowledge(
                    link,
                    { sequence: link.sequence - BigInt(s.back), result: s.result },
                    now,
                  );
          for (const a of actions) {
            if (a.kind === 'send') {
              if (a.command.attempts === 1) {
                expect(a.command.sequence).toBeGreaterThan(lastNewSequence);
                lastNewSequence = a.command.sequence;
              }
              sent.push(a.command.sequence);
            }
            if (a.kind === 'unreachable')
              expect(a.command.attempts).toBeGreaterThanOrEqual(policy.maxAttempts);
          }
          if (link.command?.acknowledged) {
            expect(
              checkTimeouts({ ...link, command: { ...link.command } }, now + 1e9, policy),
            ).toEqual([]);
          }
        }
        expect(link.sequence).toBeGreaterThanOrEqual(lastNewSequence);
      }),
    );
  });
});

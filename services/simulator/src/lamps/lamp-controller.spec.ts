import {
  CommandResult,
  ControllerFailure,
  LampCommand,
  LightingHeartbeat,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/control';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LampController, type LampControllerOptions } from './lamp-controller.js';

// Brussels on 2026-11-23 (suncalc): sunset 15:48:35 UTC, sunrise next morning 07:13:48 UTC.
const BRUSSELS = { latitude: 50.8467, longitude: 4.3525 };
const EVENING = Date.parse('2026-11-23T18:00:00Z');
const NOON = Date.parse('2026-11-23T12:00:00Z');

const lamp = (options: Partial<LampControllerOptions> = {}) =>
  new LampController({
    lampId: 'wp-001',
    zoneId: 'warandepark',
    controllerId: 'ctl-wp-001',
    ratedPowerWatts: 50,
    location: BRUSSELS,
    ...options,
  });

const cmd = (sequence: bigint, level: number, transitionMs = 0, fallbackLevel = 50) =>
  LampCommand.fromPartial({
    lampId: 'wp-001',
    zoneId: 'warandepark',
    controllerId: 'ctl-wp-001',
    sequence,
    level,
    transition: {
      seconds: BigInt(Math.floor(transitionMs / 1000)),
      nanos: (transitionMs % 1000) * 1_000_000,
    },
    fallbackLevel,
    attempt: 1,
  });

const heartbeat = (failSafeAfterS: number, fallbackLevel: number) =>
  LightingHeartbeat.fromPartial({
    zoneId: 'warandepark',
    failSafeAfter: { seconds: BigInt(failSafeAfterS), nanos: 0 },
    fallbackLevel,
  });

describe('sequence order', () => {
  it('applies a newer sequence and acknowledges with its level', () => {
    const c = lamp();
    const ack = c.command(cmd(1n, 80), EVENING);
    expect(ack).toEqual({
      lampId: 'wp-001',
      controllerId: 'ctl-wp-001',
      sequence: 1n,
      result: CommandResult.COMMAND_RESULT_APPLIED,
      level: 80,
      acknowledgeTime: new Date(EVENING),
    });
    expect(c.levelAt(EVENING)).toBe(80);
    expect(c.lastAppliedSequence).toBe(1n);
  });

  it('ignores a replayed or older sequence and reports the current target', () => {
    const c = lamp();
    c.command(cmd(5n, 60), EVENING);
    const replay = c.command(cmd(5n, 100), EVENING + 1_000);
    const older = c.command(cmd(3n, 10), EVENING + 2_000);
    expect(replay?.result).toBe(CommandResult.COMMAND_RESULT_STALE);
    expect(replay?.level).toBe(60);
    expect(older?.result).toBe(CommandResult.COMMAND_RESULT_STALE);
    expect(older?.sequence).toBe(3n);
    expect(c.levelAt(EVENING + 3_000)).toBe(60);
  });

  it('compares sequences as 64-bit integers, beyond Number precision', () => {
    const c = lamp();
    const big = 2n ** 60n;
    c.command(cmd(big + 1n, 40), EVENING);
    expect(c.command(cmd(big, 90), EVENING)?.result).toBe(CommandResult.COMMAND_RESULT_STALE);
    expect(c.command(cmd(big + 2n, 90), EVENING)?.result).toBe(
      CommandResult.COMMAND_RESULT_APPLIED,
    );
  });

  it('rejects a level above 100 % or another lamp’s command without using up the sequence', () => {
    const c = lamp();
    c.command(cmd(1n, 30), EVENING);
    const tooHigh = c.command(cmd(2n, 101), EVENING);
    expect(tooHigh?.result).toBe(CommandResult.COMMAND_RESULT_REJECTED);
    expect(tooHigh?.level).toBe(30);
    const other = c.command({ ...cmd(2n, 70), lampId: 'wp-002' }, EVENING);
    expect(other?.result).toBe(CommandResult.COMMAND_RESULT_REJECTED);
    expect(c.command(cmd(2n, 70), EVENING)?.result).toBe(CommandResult.COMMAND_RESULT_APPLIED);
  });
});

describe('ramp', () => {
  it('moves linearly from the current level to the target over the transition', () => {
    const c = lamp();
    c.command(cmd(1n, 20), EVENING);
    c.command(cmd(2n, 100, 4_000), EVENING + 10_000);
    expect(c.levelAt(EVENING + 10_000)).toBe(20);
    expect(c.levelAt(EVENING + 11_000)).toBe(40);
    expect(c.levelAt(EVENING + 12_000)).toBe(60);
    expect(c.levelAt(EVENING + 14_000)).toBe(100);
    expect(c.levelAt(EVENING + 20_000)).toBe(100);
  });

  it('starts a new ramp from wherever the previous one had got to', () => {
    const c = lamp();
    c.command(cmd(1n, 100), EVENING);
    c.command(cmd(2n, 0, 20_000), EVENING + 1_000); // 100 → 0 over 20 s
    c.command(cmd(3n, 100, 1_000), EVENING + 11_000); // interrupted at 50
    expect(c.levelAt(EVENING + 11_000)).toBe(50);
    expect(c.levelAt(EVENING + 11_500)).toBe(75);
    expect(c.levelAt(EVENING + 12_000)).toBe(100);
  });

  it('honours sub-second transitions (nanos)', () => {
    const c = lamp();
    c.command(cmd(1n, 0), EVENING);
    c.command(cmd(2n, 100, 500), EVENING);
    expect(c.levelAt(EVENING + 250)).toBe(50);
  });
});

describe('fail-safe fallback', () => {
  it('runs its night schedule at the fallback level after losing the heartbeats at night', () => {
    const c = lamp();
    c.command(cmd(1n, 20, 0, 60), EVENING);
    c.heartbeat(heartbeat(30, 70), EVENING + 5_000);
    expect(c.fallbackActive(EVENING + 35_000)).toBe(false);
    expect(c.levelAt(EVENING + 35_000)).toBe(20);
    expect(c.fallbackActive(EVENING + 35_001)).toBe(true);
    expect(c.levelAt(EVENING + 35_001)).toBe(70);
    const fb = c.feedback(EVENING + 60_000);
    expect(fb.fallbackActive).toBe(true);
    expect(fb.actualLevel).toBe(70);
  });

  it('stays dark in fallback by day and lights at sunset, off again at sunrise', () => {
    const c = lamp({ fallbackLevel: 80 });
    c.command(cmd(1n, 0, 0, 0), NOON); // fallback_level 0: not set, keeps 80
    expect(c.levelAt(NOON + 60_000)).toBe(0);
    expect(c.fallbackActive(NOON + 60_000)).toBe(true);
    expect(c.levelAt(Date.parse('2026-11-23T15:45:00Z'))).toBe(0);
    expect(c.levelAt(Date.parse('2026-11-23T15:52:00Z'))).toBe(80);
    expect(c.levelAt(Date.parse('2026-11-24T03:00:00Z'))).toBe(80);
    expect(c.levelAt(Date.parse('2026-11-24T07:10:00Z'))).toBe(80);
    expect(c.levelAt(Date.parse('2026-11-24T07:17:00Z'))).toBe(0);
  });

  it('takes the fail-safe delay from heartbeats', () => {
    const c = lamp();
    c.heartbeat(heartbeat(120, 50), EVENING);
    expect(c.failSafeAfterMs).toBe(120_000);
    expect(c.fallbackLevel).toBe(50);
    expect(c.fallbackActive(EVENING + 100_000)).toBe(false);
    expect(c.fallbackActive(EVENING + 120_001)).toBe(true);
  });

  it('returns from fallback on the next command, ramping from the fallback level', () => {
    const c = lamp();
    c.command(cmd(1n, 20, 0, 50), EVENING);
    const later = EVENING + 600_000;
    expect(c.levelAt(later)).toBe(50);
    expect(c.command(cmd(2n, 100, 2_000), later)?.result).toBe(
      CommandResult.COMMAND_RESULT_APPLIED,
    );
    expect(c.fallbackActive(later)).toBe(false);
    expect(c.levelAt(later + 1_000)).toBe(75);
    expect(c.levelAt(later + 2_000)).toBe(100);
  });

  it('is not ended by a replayed stale command, but by a heartbeat', () => {
    const c = lamp();
    c.command(cmd(3n, 20, 0, 50), EVENING);
    const later = EVENING + 600_000;
    c.command(cmd(2n, 100), later);
    expect(c.fallbackActive(later)).toBe(true);
    c.heartbeat(heartbeat(30, 50), later);
    expect(c.fallbackActive(later)).toBe(false);
    expect(c.levelAt(later)).toBe(20);
  });

  it('counts from power-on when given, else waits for a first contact', () => {
    expect(lamp({ poweredOnMs: EVENING }).levelAt(EVENING + 31_000)).toBe(100);
    expect(lamp().fallbackActive(EVENING + 3_600_000)).toBe(false);
    expect(lamp().levelAt(EVENING)).toBe(0);
  });
});

describe('power and faults', () => {
  it('meters rated power times level plus standby', () => {
    const c = lamp();
    c.command(cmd(1n, 40), EVENING);
    expect(c.powerAt(EVENING)).toBeCloseTo(20.5);
    c.command(cmd(2n, 0), EVENING);
    expect(c.powerAt(EVENING)).toBeCloseTo(0.5);
    expect(lamp({ standbyWatts: 0 }).powerAt(EVENING)).toBe(0);
  });

  it('draws nothing when burnt out and reports its failure flags', () => {
    const c = lamp();
    c.command(cmd(1n, 100), EVENING);
    c.setFault({ powerFactor: 0, failures: [ControllerFailure.CONTROLLER_FAILURE_LAMP] });
    const fb = c.feedback(EVENING);
    expect(fb).toMatchObject({
      lampId: 'wp-001',
      controllerId: 'ctl-wp-001',
      actualLevel: 100,
      powerWatts: 0,
      failures: [ControllerFailure.CONTROLLER_FAILURE_LAMP],
      fallbackActive: false,
    });
    c.clearFault();
    expect(c.feedback(EVENING).powerWatts).toBe(50.5);
    expect(c.feedback(EVENING).failures).toEqual([]);
  });

  it('answers nothing and hears no heartbeat while unresponsive', () => {
    const c = lamp();
    c.command(cmd(1n, 30, 0, 60), EVENING);
    c.setFault({ unresponsive: true });
    expect(c.responsive).toBe(false);
    expect(c.command(cmd(2n, 100), EVENING + 1_000)).toBeUndefined();
    c.heartbeat(heartbeat(30, 60), EVENING + 20_000);
    expect(c.levelAt(EVENING + 31_000)).toBe(60); // cut off: own schedule
    c.clearFault();
    expect(c.command(cmd(2n, 100), EVENING + 40_000)?.result).toBe(
      CommandResult.COMMAND_RESULT_APPLIED,
    );
  });

  it('rounds the reported level', () => {
    const c = lamp();
    c.command(cmd(1n, 0), EVENING);
    c.command(cmd(2n, 100, 3_000), EVENING);
    expect(c.feedback(EVENING + 1_000).actualLevel).toBe(33);
  });
});

describe('property: the highest valid sequence wins', () => {
  const command = fc.record({
    sequence: fc.bigInt({ min: 0n, max: 40n }),
    level: fc.integer({ min: 0, max: 120 }),
    transitionMs: fc.integer({ min: 0, max: 60_000 }),
  });

  it('after its transition, the lamp is at the level of the highest-sequence valid command', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        const c = lamp({ failSafeAfterMs: 30 * 86_400_000 });
        let best: { sequence: bigint; level: number } | undefined;
        let t = EVENING;
        for (const x of commands) {
          const ack = c.command(cmd(x.sequence, x.level, x.transitionMs), t);
          const valid = x.level <= 100 && x.sequence > (best?.sequence ?? 0n);
          if (valid) best = { sequence: x.sequence, level: x.level };
          expect(ack?.result).toBe(
            x.level > 100
              ? CommandResult.COMMAND_RESULT_REJECTED
              : valid
                ? CommandResult.COMMAND_RESULT_APPLIED
                : CommandResult.COMMAND_RESULT_STALE,
          );
          expect(ack?.level).toBe(best?.level ?? 0);
          expect(c.levelAt(t + x.transitionMs)).toBe(best?.level ?? 0);
          t += 100_000;
        }
        expect(c.lastAppliedSequence).toBe(best?.sequence ?? 0n);
      }),
      { numRuns: 300 },
    );
  });
});

import { FailMode } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import {
  BollardCommand,
  BollardsHeartbeat,
  CommandResult,
  Motion,
  Position,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import { ManualClock } from '@slimstad/kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BollardController, type BollardControllerOptions } from './bollard-controller.js';

const T0 = Date.parse('2026-11-23T08:00:00Z');

const bollard = (options: Partial<BollardControllerOptions> = {}) =>
  new BollardController({
    bollardId: 'gp-01',
    zoneId: 'grote-markt',
    controllerId: 'ctl-gp-01',
    lowerMs: 1_500,
    raiseMs: 3_000,
    ...options,
  });

const cmd = (sequence: bigint, motion: Motion, extra: Partial<BollardCommand> = {}) =>
  BollardCommand.fromPartial({
    bollardId: 'gp-01',
    zoneId: 'grote-markt',
    controllerId: 'ctl-gp-01',
    sequence,
    attempt: 1,
    motion,
    reason: 'test',
    ...extra,
  });
const LOWER = Motion.MOTION_LOWER;
const RAISE = Motion.MOTION_RAISE;

const heartbeat = (failAfterMs: number) =>
  BollardsHeartbeat.fromPartial({
    zoneId: 'grote-markt',
    failAfter: {
      seconds: BigInt(Math.floor(failAfterMs / 1000)),
      nanos: (failAfterMs % 1000) * 1e6,
    },
  });

describe('sequence order', () => {
  it('obeys a newer sequence and acknowledges it ACCEPTED with its last sequence', () => {
    const c = bollard();
    expect(c.command(cmd(3n, LOWER), T0)).toEqual({
      bollardId: 'gp-01',
      controllerId: 'ctl-gp-01',
      sequence: 3n,
      result: CommandResult.COMMAND_RESULT_ACCEPTED,
      detail: '',
      lastSequence: 3n,
      acknowledgeTime: new Date(T0),
    });
    expect(c.position(T0 + 1)).toBe(Position.POSITION_MOVING_DOWN);
    expect(c.stats).toMatchObject({ accepted: 1, lowers: 1, commandsReceived: 1 });
  });

  it('answers an older sequence STALE with the last obeyed one, and does not move', () => {
    const c = bollard();
    c.command(cmd(5n, LOWER), T0);
    const ack = c.command(cmd(4n, RAISE), T0 + 2_000);
    expect(ack).toMatchObject({
      sequence: 4n,
      result: CommandResult.COMMAND_RESULT_STALE,
      lastSequence: 5n,
    });
    expect(c.position(T0 + 10_000)).toBe(Position.POSITION_DOWN);
    expect(c.stats.stale).toBe(1);
  });

  it('re-acknowledges a repeated attempt of the sequence it executes without restarting', () => {
    const c = bollard();
    c.command(cmd(1n, LOWER), T0);
    const retry = c.command(cmd(1n, LOWER, { attempt: 2 }), T0 + 750);
    expect(retry.result).toBe(CommandResult.COMMAND_RESULT_ACCEPTED);
    expect(c.heightAt(T0 + 750)).toBeCloseTo(0.5);
    expect(c.position(T0 + 1_500)).toBe(Position.POSITION_DOWN); // not T0 + 2 250
    expect(c.stats).toMatchObject({ accepted: 1, repeated: 1, lowers: 1 });
  });

  it('compares sequences as 64-bit integers, beyond Number precision', () => {
    const c = bollard();
    const big = 2n ** 60n;
    c.command(cmd(big + 1n, LOWER), T0);
    expect(c.command(cmd(big, RAISE), T0).result).toBe(CommandResult.COMMAND_RESULT_STALE);
    expect(c.command(cmd(big + 2n, RAISE), T0).result).toBe(CommandResult.COMMAND_RESULT_ACCEPTED);
  });

  it('rejects another bollard’s command, an unknown motion or sequence 0, using up nothing', () => {
    const c = bollard();
    expect(c.command(cmd(0n, LOWER), T0).detail).toBe('sequence 0 (not set)');
    expect(c.command(cmd(1n, LOWER, { bollardId: 'gp-02' }), T0)).toMatchObject({
      result: CommandResult.COMMAND_RESULT_REJECTED,
      detail: expect.stringContaining('gp-02'),
    });
    expect(c.command(cmd(1n, Motion.MOTION_UNSPECIFIED), T0).result).toBe(
      CommandResult.COMMAND_RESULT_REJECTED,
    );
    expect(c.command(cmd(1n, LOWER), T0).result).toBe(CommandResult.COMMAND_RESULT_ACCEPTED);
  });

  it('property: obeys exactly the strictly increasing new sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: 50n }), { maxLength: 40 }), (sequences) => {
        const c = bollard();
        let last = 0n;
        for (const [i, s] of sequences.entries()) {
          const ack = c.command(cmd(s, i % 2 ? RAISE : LOWER), T0 + i);
          const expected =
            s < last ? CommandResult.COMMAND_RESULT_STALE : CommandResult.COMMAND_RESULT_ACCEPTED;
          expect(ack.result).toBe(expected);
          if (s > last) last = s;
          expect(ack.lastSequence).toBe(last);
        }
      }),
    );
  });
});

describe('travel', () => {
  it('lowers in lowerMs and raises in raiseMs, reporting the moving positions on the way', () => {
    const c = bollard();
    expect(c.position(T0)).toBe(Position.POSITION_UP);
    c.command(cmd(1n, LOWER), T0);
    expect(c.position(T0 + 1_499)).toBe(Position.POSITION_MOVING_DOWN);
    expect(c.position(T0 + 1_500)).toBe(Position.POSITION_DOWN);
    c.command(cmd(2n, RAISE), T0 + 5_000);
    expect(c.position(T0 + 7_999)).toBe(Position.POSITION_MOVING_UP);
    expect(c.position(T0 + 8_000)).toBe(Position.POSITION_UP);
  });

  it('reverses mid-travel from where it got to', () => {
    const c = bollard({ position: 'down' });
    c.command(cmd(1n, RAISE), T0);
    c.command(cmd(2n, LOWER), T0 + 1_500); // half-way up
    expect(c.heightAt(T0 + 1_500)).toBeCloseTo(0.5);
    expect(c.position(T0 + 2_249)).toBe(Position.POSITION_MOVING_DOWN);
    expect(c.position(T0 + 2_250)).toBe(Position.POSITION_DOWN);
  });

  it('reports only on change, and every report resets the comparison', () => {
    const c = bollard();
    expect(c.reportIfChanged(T0)).toMatchObject({ position: Position.POSITION_UP });
    expect(c.reportIfChanged(T0 + 1)).toBeUndefined();
    c.command(cmd(1n, LOWER), T0 + 10);
    expect(c.reportIfChanged(T0 + 10)?.position).toBe(Position.POSITION_MOVING_DOWN);
    expect(c.reportIfChanged(T0 + 500)).toBeUndefined();
    expect(c.reportIfChanged(T0 + 1_510)).toMatchObject({
      position: Position.POSITION_DOWN,
      observeTime: new Date(T0 + 1_510),
    });
    c.vehicleArrives(T0 + 2_000);
    expect(c.reportIfChanged(T0 + 2_000)?.loopOccupied).toBe(true);
    c.setObstacle(true, T0 + 2_100);
    expect(c.reportIfChanged(T0 + 2_100)?.obstacle).toBe(true);
  });
});

describe('interlock', () => {
  it('rejects a raise while the loop is occupied, counted as an unsafe raise command', () => {
    const c = bollard({ position: 'down' });
    c.vehicleArrives(T0);
    const ack = c.command(cmd(1n, RAISE), T0 + 100);
    expect(ack).toMatchObject({
      result: CommandResult.COMMAND_RESULT_REJECTED,
      detail: 'interlock: vehicle on the induction loop',
      lastSequence: 0n,
    });
    expect(c.position(T0 + 10_000)).toBe(Position.POSITION_DOWN);
    expect(c.stats).toMatchObject({ unsafeRaiseCommands: 1, rejected: 1, bollardUnderVehicle: 0 });
    // The same sequence, retried once the vehicle left, is obeyed.
    c.vehicleLeaves(T0 + 200);
    expect(c.command(cmd(1n, RAISE, { attempt: 2 }), T0 + 300).result).toBe(
      CommandResult.COMMAND_RESULT_ACCEPTED,
    );
  });

  it('counts as "after report" only raises issued once the occupied loop had been reported', () => {
    const c = bollard({ position: 'down' });
    c.vehicleArrives(T0);
    c.command(cmd(1n, RAISE, { issueTime: new Date(T0 - 50) }), T0 + 10); // a race
    c.report(T0 + 20);
    c.command(cmd(2n, RAISE, { issueTime: new Date(T0 + 30) }), T0 + 40);
    expect(c.stats).toMatchObject({ unsafeRaiseCommands: 2, unsafeRaiseCommandsAfterReport: 1 });
  });

  it('rejects a raise while an obstacle is seen; a lower is always allowed', () => {
    const c = bollard({ position: 'down' });
    c.setObstacle(true, T0);
    expect(c.command(cmd(1n, RAISE), T0).detail).toBe('interlock: obstacle in the way');
    c.vehicleArrives(T0);
    expect(c.command(cmd(1n, LOWER), T0).result).toBe(CommandResult.COMMAND_RESULT_ACCEPTED);
    expect(c.stats.unsafeRaiseCommands).toBe(0);
  });

  it('without the interlock obeys a raise under a vehicle and counts it in bollardUnderVehicle', () => {
    const c = bollard({ position: 'down', interlock: false });
    c.vehicleArrives(T0);
    expect(c.command(cmd(1n, RAISE), T0).result).toBe(CommandResult.COMMAND_RESULT_ACCEPTED);
    expect(c.stats).toMatchObject({
      unsafeRaiseCommands: 1,
      bollardUnderVehicle: 1,
      reachedUpWithVehicle: 0,
    });
    expect(c.position(T0 + 3_000)).toBe(Position.POSITION_UP);
    expect(c.stats.reachedUpWithVehicle).toBe(1);
  });

  it('a vehicle arriving during a rise is reported; reaching the top with it is counted', () => {
    const c = bollard({ position: 'down' });
    c.command(cmd(1n, RAISE), T0);
    c.report(T0);
    c.vehicleArrives(T0 + 1_000);
    expect(c.reportIfChanged(T0 + 1_000)).toMatchObject({
      loopOccupied: true,
      position: Position.POSITION_MOVING_UP,
    });
    expect(c.stats.bollardUnderVehicle).toBe(0); // the rise started with the loop clear
    expect(c.position(T0 + 3_000)).toBe(Position.POSITION_UP);
    expect(c.stats.reachedUpWithVehicle).toBe(1);
  });
});

describe('fail modes', () => {
  it('fail-safe lowers after fail_after without heartbeats, and stays down', () => {
    const clock = new ManualClock(T0);
    const c = bollard({ failMode: 'safe' });
    c.heartbeat(heartbeat(2_000), clock.now());
    expect(c.failAfterMs).toBe(2_000);
    expect(c.fallbackActive(clock.advance(2_000))).toBe(false);
    expect(c.fallbackActive(clock.advance(1))).toBe(true);
    expect(c.position(clock.now())).toBe(Position.POSITION_MOVING_DOWN);
    expect(c.position(clock.advance(1_500))).toBe(Position.POSITION_DOWN);
    expect(c.report(clock.advance(60_000))).toMatchObject({
      position: Position.POSITION_DOWN,
      fallbackActive: true,
      powerOk: true,
    });
    expect(c.stats.fallbacks).toBe(1);
  });

  it('starts down at the moment the heartbeats were missed, even seen much later', () => {
    const c = bollard({ failMode: 'safe' });
    c.heartbeat(heartbeat(2_000), T0);
    // One look 10 s later: the fallback began at T0 + 2 000 and the bollard has been down since.
    expect(c.position(T0 + 3_501)).toBe(Position.POSITION_DOWN);
    const d = bollard({ failMode: 'safe' });
    d.heartbeat(heartbeat(2_000), T0);
    expect(d.heightAt(T0 + 2_750)).toBeCloseTo(0.5);
  });

  it('fail-secure stays as it is after losing the heartbeats', () => {
    const c = bollard({ failMode: 'secure' });
    c.heartbeat(heartbeat(2_000), T0);
    expect(c.report(T0 + 60_000)).toMatchObject({
      position: Position.POSITION_UP,
      fallbackActive: true,
    });
  });

  it('takes the fail mode from each obeyed command', () => {
    const c = bollard({ failMode: 'safe' });
    c.command(cmd(1n, RAISE, { failMode: FailMode.FAIL_MODE_SECURE }), T0);
    expect(c.failMode).toBe('secure');
    c.command(cmd(2n, RAISE, { failMode: FailMode.FAIL_MODE_UNSPECIFIED }), T0);
    expect(c.failMode).toBe('secure');
  });

  it('ends the fallback on the next heartbeat or obeyed command, leaving the position', () => {
    const c = bollard({ failMode: 'safe' });
    c.command(cmd(2n, RAISE), T0);
    c.heartbeat(heartbeat(2_000), T0);
    expect(c.position(T0 + 10_000)).toBe(Position.POSITION_DOWN);
    c.heartbeat(heartbeat(2_000), T0 + 10_000);
    expect(c.report(T0 + 10_000)).toMatchObject({
      position: Position.POSITION_DOWN,
      fallbackActive: false,
    });
    // A stale replay is no proof of a live service: the fallback comes back.
    expect(c.command(cmd(1n, RAISE), T0 + 12_001).result).toBe(CommandResult.COMMAND_RESULT_STALE);
    expect(c.fallbackActive(T0 + 12_001)).toBe(true);
    c.command(cmd(3n, RAISE), T0 + 13_000);
    expect(c.fallbackActive(T0 + 13_000)).toBe(false);
  });

  it('does not watch before the first contact unless told to (a clock set forward)', () => {
    const c = bollard({ failMode: 'safe', failAfterMs: 1_000 });
    expect(c.report(T0 + 3_600_000)).toMatchObject({
      position: Position.POSITION_UP,
      fallbackActive: false,
    });
    const watched = bollard({ failMode: 'safe', failAfterMs: 1_000, watchFromMs: T0 });
    expect(watched.fallbackActive(T0 + 1_001)).toBe(true);
    // The preset delay holds until a heartbeat names another.
    const preset = bollard({ failAfterMs: 1_000 });
    preset.command(cmd(1n, RAISE), T0);
    expect(preset.fallbackActive(T0 + 1_001)).toBe(true);
  });

  it('fail-safe goes down on power loss; fail-secure holds, stopping mid-travel', () => {
    const safe = bollard({ failMode: 'safe' });
    safe.powerLoss(T0);
    expect(safe.report(T0 + 1_500)).toMatchObject({
      position: Position.POSITION_DOWN,
      powerOk: false,
      fallbackActive: true,
    });
    const secure = bollard({ failMode: 'secure', position: 'down' });
    secure.command(cmd(1n, RAISE), T0);
    secure.powerLoss(T0 + 1_500);
    expect(secure.heightAt(T0 + 10_000)).toBeCloseTo(0.5);
    expect(secure.position(T0 + 10_000)).toBe(Position.POSITION_UNSPECIFIED);
  });

  it('refuses to move without power, except a fail-safe lower', () => {
    const safe = bollard({ failMode: 'safe' });
    safe.powerLoss(T0);
    expect(safe.command(cmd(1n, RAISE), T0).detail).toBe('no mains power');
    expect(safe.command(cmd(1n, LOWER), T0).result).toBe(CommandResult.COMMAND_RESULT_ACCEPTED);
    const secure = bollard({ failMode: 'secure' });
    secure.powerLoss(T0);
    expect(secure.command(cmd(1n, LOWER), T0).detail).toBe('no mains power');
  });

  it('on power restored ends the fallback and stays where it is', () => {
    const c = bollard({ failMode: 'safe' });
    c.powerLoss(T0);
    c.powerRestored(T0 + 5_000);
    expect(c.report(T0 + 5_000)).toMatchObject({
      position: Position.POSITION_DOWN,
      powerOk: true,
      fallbackActive: false,
    });
    expect(c.stats.fallbacks).toBe(1);
  });
});

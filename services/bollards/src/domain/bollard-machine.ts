// One bollard's state machine. It acts only on what its controller confirms: a command moves
// the bollard to `lowering`/`raising` only when acknowledged, and to `down`/`up` only when the
// controller reports the position. Safety rules, in the order they are checked:
// - never command a raise while the bollard's induction loop reports a vehicle, or while the
//   loop's state is unknown (after a restart, until it reports);
// - raise only after the vehicle has passed: the loop cleared, plus a delay; or, when the
//   admitted vehicle never came, once the admission's hold ran out;
// - a vehicle on the loop or an obstacle during a rise reverses it (lowers); after repeated
//   reversals the bollard stays down and goes to fault;
// - emergency mode lowers and holds the bollard down until an operator clears it;
// - a command not acknowledged in time is sent again, then the bollard goes to fault.
// Pure: every call takes the time and returns the effects (commands, faults, state changes);
// the service records them in its audit and outbox.

export type BollardState =
  | 'up'
  | 'lowering'
  | 'down'
  | 'raising'
  | 'fault'
  | 'maintenance'
  | 'emergency_down';

export type Motion = 'lower' | 'raise';

export interface BollardPolicy {
  /** How long to wait for an acknowledgement before sending again. */
  ackTimeoutMs: number;
  /** Attempts (first send included) before the bollard goes to fault. */
  maxAttempts: number;
  /** After the loop clears, wait this long before raising. */
  raiseDelayMs: number;
  /** How long an admission keeps the bollard down for a vehicle that has not reached the loop. */
  admissionHoldMs: number;
  /** Reversals of one rise after which the bollard stays down and faults. */
  maxReversals: number;
}

export const DEFAULT_POLICY: BollardPolicy = {
  ackTimeoutMs: 3_000,
  maxAttempts: 3,
  raiseDelayMs: 5_000,
  admissionHoldMs: 60_000,
  maxReversals: 3,
};

/** Admitted vehicles counted at most: a burst of requests from one car is still one car. */
const MAX_EXPECTED_VEHICLES = 5;

export interface PendingCommand {
  motion: Motion;
  sequence: number;
  attempts: number;
  sentAt: number;
  reason: string;
}

export interface Bollard {
  id: string;
  state: BollardState;
  /** undefined: not known (after a restart, until the loop reports): treated as occupied. */
  loopOccupied: boolean | undefined;
  loopClearedAt?: number;
  /** An admitted vehicle is expected until then. */
  holdUntil?: number;
  /**
   * Admitted vehicles not yet seen passing (the loop occupied, then clear). A queue of two
   * admitted vans keeps the bollard down after the first has passed; the hold's end still
   * bounds the wait for a vehicle that never comes.
   */
  expected?: number;
  pending?: PendingCommand;
  /** Last command sequence used; strictly increasing. */
  sequence: number;
  reversals: number;
  emergency: boolean;
  faultReason?: string;
  /** Where the controller last said the bollard is. */
  position?: Position;
  /** Controller time the current motion was acknowledged: older position reports are stale. */
  motionSince?: number;
}

export type Position = 'up' | 'down' | 'moving_up' | 'moving_down';

export type Effect =
  | { kind: 'command'; motion: Motion; sequence: number; attempt: number; reason: string }
  | { kind: 'state'; from: BollardState; to: BollardState; reason: string }
  | { kind: 'fault'; reason: string };

export function newBollard(id: string, state: BollardState = 'up'): Bollard {
  return { id, state, loopOccupied: undefined, sequence: 0, reversals: 0, emergency: false };
}

const MOVING: Record<Motion, BollardState> = { lower: 'lowering', raise: 'raising' };

/** Whether the loop may be treated as free: reported clear, never unknown. */
export const loopFree = (b: Bollard) => b.loopOccupied === false;

function setState(b: Bollard, to: BollardState, reason: string, effects: Effect[]): void {
  if (b.state === to) return;
  effects.push({ kind: 'state', from: b.state, to, reason });
  b.state = to;
}

function command(b: Bollard, motion: Motion, at: number, reason: string, effects: Effect[]): void {
  if (motion === 'raise' && !loopFree(b)) return; // the one rule no caller may get around
  b.sequence += 1;
  b.pending = { motion, sequence: b.sequence, attempts: 1, sentAt: at, reason };
  effects.push({ kind: 'command', motion, sequence: b.sequence, attempt: 1, reason });
}

function fault(b: Bollard, reason: string, effects: Effect[]): void {
  b.faultReason = reason;
  b.pending = undefined;
  effects.push({ kind: 'fault', reason });
  setState(b, 'fault', reason, effects);
}

/**
 * A vehicle was admitted at this bollard: lower it (or keep it down) for the vehicle. A
 * faulted bollard is left alone, except for an emergency vehicle: then it is worth trying.
 */
export function admit(
  b: Bollard,
  at: number,
  policy: BollardPolicy,
  reason: string,
  emergency = false,
): Effect[] {
  const effects: Effect[] = [];
  b.holdUntil = Math.max(b.holdUntil ?? 0, at + policy.admissionHoldMs);
  b.expected = Math.min((b.expected ?? 0) + 1, MAX_EXPECTED_VEHICLES);
  if (b.state === 'maintenance' || (b.state === 'fault' && !emergency)) return effects;
  const goingDown =
    b.pending?.motion === 'lower' ||
    b.state === 'lowering' ||
    b.state === 'down' ||
    b.state === 'emergency_down';
  if (!goingDown) command(b, 'lower', at, reason, effects);
  return effects;
}

/** The induction loop reports a vehicle (or none). */
export function loopChanged(
  b: Bollard,
  occupied: boolean,
  at: number,
  policy: BollardPolicy,
): Effect[] {
  const effects: Effect[] = [];
  const was = b.loopOccupied;
  b.loopOccupied = occupied;
  if (!occupied && was !== false) {
    b.loopClearedAt = at;
    if (was === true) {
      // A vehicle passed; once no other admitted one is expected, there is no need to wait
      // out the rest of the admission hold.
      b.expected = Math.max((b.expected ?? 0) - 1, 0);
      if (b.expected === 0) b.holdUntil = Math.min(b.holdUntil ?? at, at);
    }
  }
  if (occupied && (b.state === 'raising' || b.pending?.motion === 'raise')) {
    reverse(b, at, policy, 'vehicle on the loop during a rise', effects);
  }
  return effects;
}

/** The controller reports an obstacle in the bollard's way. */
export function obstacle(b: Bollard, at: number, policy: BollardPolicy): Effect[] {
  const effects: Effect[] = [];
  if (b.state === 'raising' || b.pending?.motion === 'raise') {
    reverse(b, at, policy, 'obstacle during a rise', effects);
  }
  return effects;
}

function reverse(
  b: Bollard,
  at: number,
  policy: BollardPolicy,
  reason: string,
  effects: Effect[],
): void {
  b.reversals += 1;
  command(b, 'lower', at, `${reason}: reversing`, effects);
  if (b.reversals >= policy.maxReversals) {
    const pending = b.pending;
    fault(b, `${b.reversals} reversals of the rise: staying down`, effects);
    b.pending = pending; // the lower command stands: a faulted bollard goes down and stays there
  }
}

/**
 * The controller acknowledged a command: the motion started. `at` is the controller's time of
 * the acknowledgement; position reports observed before it describe the previous motion.
 */
export function acknowledged(b: Bollard, sequence: number, at: number): Effect[] {
  const effects: Effect[] = [];
  const pending = b.pending;
  if (!pending || pending.sequence !== sequence) return effects; // stale or unknown: ignored
  b.pending = undefined;
  b.motionSince = at;
  if (b.state === 'fault' || b.state === 'maintenance') return effects;
  setState(b, MOVING[pending.motion], `command ${sequence} acknowledged`, effects);
  return effects;
}

/**
 * The controller refused a command. STALE: it already obeyed a higher sequence (the service's
 * state came from an older backup), so the service jumps ahead and sends the motion again.
 * REJECTED: an interlock refused it; a refused lower leaves someone in front of a closed way
 * (an emergency vehicle, perhaps), so it is a fault; a refused raise waits the raise delay.
 */
export function refused(
  b: Bollard,
  sequence: number,
  result: 'stale' | 'rejected',
  lastSequence: number,
  detail: string,
  at: number,
): Effect[] {
  const effects: Effect[] = [];
  const pending = b.pending;
  if (!pending || pending.sequence !== sequence) return effects;
  b.pending = undefined;
  if (result === 'stale') {
    b.sequence = Math.max(b.sequence, lastSequence);
    command(b, pending.motion, at, pending.reason, effects);
  } else if (pending.motion === 'lower') {
    fault(b, `lower command ${sequence} rejected by the controller: ${detail}`, effects);
  } else {
    b.loopClearedAt = at;
  }
  return effects;
}

/**
 * The controller reports the bollard's position (`at`: when it observed it, on its clock).
 * Fully up or down is the truth about the bollard, expected or not: the end of a motion, a
 * controller that reversed by itself, or one that followed its fail mode while the service or
 * the power was away. Reports older than the current motion's acknowledgement are ignored.
 */
export function positionReported(b: Bollard, position: Position, at: number): Effect[] {
  const effects: Effect[] = [];
  if (b.motionSince !== undefined && at < b.motionSince) return effects;
  b.position = position;
  if (b.state === 'fault' || b.state === 'maintenance') return effects;
  if (position === 'down') {
    if (b.pending?.motion === 'lower') b.pending = undefined; // already there
    const reason =
      b.state === 'lowering' || b.state === 'emergency_down'
        ? 'controller reports down'
        : `controller reports down while ${b.state}`;
    setState(b, b.emergency ? 'emergency_down' : 'down', reason, effects);
  } else if (position === 'up') {
    if (b.state === 'raising') {
      b.reversals = 0;
      setState(b, 'up', 'controller reports up', effects);
    } else if (b.state !== 'up') {
      setState(b, 'up', `controller reports up while ${b.state}`, effects);
      if (b.emergency) lowerForEmergency(b, at, 'emergency mode in force', effects);
    }
  }
  return effects;
}

/**
 * Time passes: retries, faults on silence, and the raise once the way is clear.
 * `fieldKnownThrough`: the moment (real ms) up to which every report the controllers sent has
 * been taken in. A raise waits until that is past the moment it came due, so a vehicle's
 * arrival reported while the service was behind on its reports cannot be raised into.
 */
export function tick(
  b: Bollard,
  at: number,
  policy: BollardPolicy,
  fieldKnownThrough = Number.POSITIVE_INFINITY,
): Effect[] {
  const effects: Effect[] = [];
  const pending = b.pending;
  if (pending && at - pending.sentAt >= policy.ackTimeoutMs) {
    if (pending.attempts >= policy.maxAttempts) {
      fault(
        b,
        `no acknowledgement of ${pending.motion} command ${pending.sequence} after ${pending.attempts} attempts`,
        effects,
      );
      return effects;
    }
    // A raise is only repeated while the loop is still free.
    if (pending.motion === 'raise' && !loopFree(b)) {
      b.pending = undefined;
      return effects;
    }
    pending.attempts += 1;
    pending.sentAt = at;
    effects.push({
      kind: 'command',
      motion: pending.motion,
      sequence: pending.sequence,
      attempt: pending.attempts,
      reason: pending.reason,
    });
    return effects;
  }
  const dueAt = Math.max(b.holdUntil ?? 0, (b.loopClearedAt ?? 0) + policy.raiseDelayMs);
  if (
    b.state === 'down' &&
    !b.pending &&
    !b.emergency &&
    loopFree(b) &&
    at >= dueAt &&
    fieldKnownThrough >= dueAt
  ) {
    // Vehicles still expected when the hold ran out are not coming.
    b.expected = 0;
    command(b, 'raise', at, 'the way is clear', effects);
  }
  return effects;
}

/** Emergency mode of the zone, set by a bollard operator or an emergency service. */
export function emergencyOn(b: Bollard, at: number, reason: string): Effect[] {
  const effects: Effect[] = [];
  b.emergency = true;
  lowerForEmergency(b, at, reason, effects);
  return effects;
}

/** Down and held: a pending raise is superseded by a lower command (a newer sequence). */
function lowerForEmergency(b: Bollard, at: number, reason: string, effects: Effect[]): void {
  const raising = b.pending?.motion === 'raise' || b.state === 'raising';
  if (!raising && (b.state === 'down' || b.state === 'emergency_down')) {
    setState(b, 'emergency_down', reason, effects);
  } else if (raising || (b.pending?.motion !== 'lower' && b.state !== 'lowering')) {
    command(b, 'lower', at, reason, effects);
  }
}

/** Only an operator clears emergency mode; the bollard then follows the normal rules. */
export function emergencyOff(b: Bollard, reason: string): Effect[] {
  const effects: Effect[] = [];
  b.emergency = false;
  if (b.state === 'emergency_down') setState(b, 'down', reason, effects);
  return effects;
}

/**
 * Maintenance: no automatic command until it ends; then the controller's report tells where
 * the bollard is (and an emergency still in force lowers it at once).
 */
export function maintenance(
  b: Bollard,
  on: boolean,
  at: number,
  reason: string,
  position: 'up' | 'down',
): Effect[] {
  const effects: Effect[] = [];
  if (on) {
    b.pending = undefined;
    setState(b, 'maintenance', reason, effects);
  } else if (b.state === 'maintenance' || b.state === 'fault') {
    b.pending = undefined;
    b.faultReason = undefined;
    b.reversals = 0;
    setState(b, position, reason, effects);
    if (b.emergency) lowerForEmergency(b, at, 'emergency mode in force', effects);
  }
  return effects;
}

/** After a restart of the service: the loop's state is unknown until it reports again. */
export function restarted(b: Bollard): void {
  b.loopOccupied = undefined;
}

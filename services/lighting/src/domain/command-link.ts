// The command link to one lamp: every new level gets the next sequence number; a command not
// acknowledged in time is sent again (same sequence, next attempt) up to a limit, then the
// lamp is unreachable and is only retried slowly until it answers. Pure: the caller passes
// the time (real milliseconds: acknowledgement timing is about the network, not the clock of
// the simulated city).
import type { LevelSource } from './model.js';

export interface LinkPolicy {
  /** How long to wait for an acknowledgement before sending again. */
  ackTimeoutMs: number;
  /** Attempts (first send included) before the lamp is declared unreachable. */
  maxAttempts: number;
  /** How often an unreachable lamp is tried again. */
  unreachableRetryMs: number;
}

export interface PendingCommand {
  sequence: bigint;
  level: number;
  transitionMs: number;
  source: LevelSource;
  attempts: number;
  lastSentAt: number;
  acknowledged: boolean;
}

export interface LampLink {
  /** Last sequence issued (survives restarts through the store). */
  sequence: bigint;
  command?: PendingCommand;
  reachable: boolean;
}

export type LinkAction =
  | { kind: 'send'; command: PendingCommand }
  | { kind: 'unreachable'; command: PendingCommand }
  | { kind: 'reachable' }
  | { kind: 'rejected'; command: PendingCommand };

export function newLink(sequence = 0n): LampLink {
  return { sequence, reachable: true };
}

/**
 * Asks for a level. Nothing happens if that level is already commanded (acknowledged or
 * still being retried); otherwise a new sequence — above `sequenceFloor` too, so a restarted
 * service never reuses one — is sent at once.
 */
export function requestLevel(
  link: LampLink,
  want: { level: number; transitionMs: number; source: LevelSource },
  at: number,
  sequenceFloor = 0n,
): LinkAction[] {
  if (link.command && link.command.level === want.level) {
    link.command.source = want.source;
    return [];
  }
  const next = link.sequence + 1n;
  link.sequence = next > sequenceFloor ? next : sequenceFloor;
  link.command = {
    sequence: link.sequence,
    level: want.level,
    transitionMs: want.transitionMs,
    source: want.source,
    attempts: 1,
    lastSentAt: at,
    acknowledged: false,
  };
  return [{ kind: 'send', command: { ...link.command } }];
}

/** Retries what is due; declares the lamp unreachable when the attempts are spent. */
export function checkTimeouts(link: LampLink, at: number, policy: LinkPolicy): LinkAction[] {
  const command = link.command;
  if (!command || command.acknowledged) return [];
  const actions: LinkAction[] = [];
  if (link.reachable) {
    if (at - command.lastSentAt < policy.ackTimeoutMs) return [];
    if (command.attempts >= policy.maxAttempts) {
      link.reachable = false;
      actions.push({ kind: 'unreachable', command: { ...command } });
      return actions; // the slow retry starts one unreachableRetryMs from the last send
    }
  } else if (at - command.lastSentAt < policy.unreachableRetryMs) {
    return [];
  }
  command.attempts += 1;
  command.lastSentAt = at;
  actions.push({ kind: 'send', command: { ...command } });
  return actions;
}

/**
 * An acknowledgement arrived. Any acknowledgement shows the lamp is reachable; the current
 * command counts as done only for its own sequence. A STALE answer to the current command
 * means the controller has seen higher sequences (a restored backup, a clock set back): jump
 * well past them and send again.
 */
export function acknowledge(
  link: LampLink,
  ack: { sequence: bigint; result: 'applied' | 'stale' | 'rejected' },
  at: number,
): LinkAction[] {
  const actions: LinkAction[] = [];
  if (!link.reachable) {
    link.reachable = true;
    actions.push({ kind: 'reachable' });
  }
  const command = link.command;
  if (!command || ack.sequence !== command.sequence || command.acknowledged) return actions;
  if (ack.result === 'stale') {
    link.sequence += 1_000_000n;
    command.sequence = link.sequence;
    command.attempts = 1;
    command.lastSentAt = at;
    actions.push({ kind: 'send', command: { ...command } });
    return actions;
  }
  command.acknowledged = true;
  if (ack.result === 'rejected') actions.push({ kind: 'rejected', command: { ...command } });
  return actions;
}

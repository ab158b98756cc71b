// Notification timing of one group, as in Alertmanager: the first notification waits
// `groupWait` (so alerts firing together go out together), later changes wait until
// `groupInterval` after the last notification, and an unchanged group with firing alerts is
// re-sent every `repeatInterval`. At most one notification per group per flush: the outbox row
// is keyed by (receiver, group, flush sequence), so nothing is sent twice for one interval.

export interface GroupTiming {
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

export interface GroupClock {
  lastFlushAt: number | null;
  nextFlushAt: number | null;
}

/** When the group should flush after one of its alerts changed at `now`. */
export function flushAfterChange(g: GroupClock, now: number, t: GroupTiming): number {
  const due =
    g.lastFlushAt === null ? now + t.groupWaitMs : Math.max(now, g.lastFlushAt + t.groupIntervalMs);
  return g.nextFlushAt === null ? due : Math.min(g.nextFlushAt, due);
}

export interface FlushDecision {
  send: boolean;
  nextFlushAt: number | null;
}

/**
 * At a due flush: send when the content (which alerts, in which state) changed since the last
 * notification, or when firing alerts have gone unrepeated for `repeatInterval`.
 */
export function decideFlush(
  g: GroupClock & { lastHash: string | null },
  now: number,
  content: { hash: string; firing: number; total: number },
  t: GroupTiming,
): FlushDecision {
  const changed = content.total > 0 && content.hash !== g.lastHash;
  const repeatDue =
    content.firing > 0 && g.lastFlushAt !== null && now >= g.lastFlushAt + t.repeatIntervalMs;
  if (changed || repeatDue)
    return { send: true, nextFlushAt: content.firing > 0 ? now + t.repeatIntervalMs : null };
  if (content.firing > 0 && g.lastFlushAt !== null)
    return { send: false, nextFlushAt: g.lastFlushAt + t.repeatIntervalMs };
  return { send: false, nextFlushAt: null };
}

/** What a group's notification says: each alert's fingerprint, state and escalations, sorted. */
export function contentHash(
  alerts: readonly { fingerprint: string; state: string; escalations?: number }[],
): string {
  return alerts
    .map(
      (a) =>
        `${a.fingerprint}:${a.state === 'resolved' ? 'resolved' : 'firing'}:${a.escalations ?? 0}`,
    )
    .sort()
    .join(',');
}

// Turns due notification groups into notifications and delivers them. Two steps, each its own
// transaction: (1) flush — a due group (locked, skipped by other replicas) becomes at most one
// `notification` row per flush sequence, silenced and inhibited alerts left out; (2) send —
// due rows are claimed (committed), delivered outside any transaction, and marked delivered or
// scheduled for a retry with backoff. A crash between the steps leaves a pending row; a crash
// while sending leaves a claim that expires — either way the notification goes out after
// restart, once per flush sequence (its idempotency key lets receivers drop a redelivery after
// a crash between delivery and its record). Each attempt is a `notification send` span in the
// trace of the change that scheduled the flush (kept on the group, then on the notification),
// and the receiver's HTTP request carries it as `traceparent`.
import { context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  type Clock,
  contextFromRecord,
  inSpan,
  type Logger,
  type Metrics,
  realDelay,
} from '@slimstad/kit';
import { contentHash, decideFlush } from '../domain/grouping.js';
import { type InhibitRule, isInhibited, silencedBy } from '../domain/silences.js';
import { type RetryPolicy, retryDelay } from '../notify/delivery.js';
import { openAlerts } from '../store/alert.repository.js';
import type { Db } from '../store/db.js';
import {
  claimDue,
  dropMembers,
  dueGroups,
  insertNotification,
  markDelivered,
  markFailed,
  membersOf,
  type NotificationPayload,
  type NotificationRow,
  recordFlush,
  setNextFlush,
} from '../store/notification.repository.js';
import { listSilences } from '../store/silence.repository.js';
import type { BuildNotification, Deliver, DeliveryOutcome } from './ports.js';

export interface DispatcherOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  deliver: Deliver;
  build: BuildNotification;
  inhibitRules: readonly InhibitRule[];
  /** Real ms between polls for due groups and notifications (other replicas' work, retries). */
  pollMs: number;
  /** Backoff, attempts and Retry-After bounds of deliveries (notify/'s policy). */
  retry: RetryPolicy;
  /** How long a claim on a notification lasts (a crashed sender's claim expires). */
  claimMs: number;
}

/** Groups flushed per transaction, and transactions at once, in one round. */
const FLUSH_BATCH = 2;
const FLUSH_WORKERS = 4;

export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly outcomes;
  private readonly latency;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: DispatcherOptions) {
    this.outcomes = o.metrics.counter(
      'notifications_total',
      'Notification delivery attempts, by receiver and outcome.',
      ['receiver', 'outcome'],
    );
    this.latency = o.metrics.histogram(
      'notification_delivery_seconds',
      'Time to deliver one notification (one attempt).',
      ['receiver'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
  }

  start(): void {
    const poll = () => {
      if (this.stopped) return;
      this.kick();
      this.timer = setTimeout(poll, this.o.pollMs);
      this.timer.unref();
    };
    poll();
  }

  /** Work now; with `flushAt`, also when that clock time comes. */
  kick(flushAt?: number): void {
    if (this.stopped) return;
    if (flushAt !== undefined) {
      const delay = realDelay(this.o.clock, flushAt - this.o.clock.now());
      if (delay > 0) {
        const t = setTimeout(() => this.kick(), delay + 1);
        t.unref();
        this.wake = t;
      }
    }
    if (this.running) {
      this.again = true;
      return;
    }
    // A round serves every group, not the change whose commit kicked it: no trace of its own.
    this.running = context
      .with(ROOT_CONTEXT, () => this.round())
      .catch((error: unknown) =>
        this.o.log.warn({ err: error }, 'notification round failed; retrying on the next poll'),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** One flush of every due group, then one send of every due notification (tests call it). */
  async round(): Promise<void> {
    const started = performance.now();
    let groups = 0;
    let sent = 0;
    // A few workers, each flushing a couple of groups per transaction and sending at once:
    // a burst of firings goes out as each is ready, not after the whole burst (the groups'
    // `skip locked` keeps workers, and replicas, off each other's groups).
    const worker = async () => {
      for (;;) {
        const n = await this.flushDue(FLUSH_BATCH);
        groups += n;
        sent += await this.sendDue();
        if (n === 0) return;
      }
    };
    await Promise.all(Array.from({ length: FLUSH_WORKERS }, worker));
    this.o.log.debug(
      { groups, sent, ms: Math.round(performance.now() - started) },
      'notification round',
    );
  }

  /** Resolves once no round and no delivery is in progress (tests with a hand-set clock). */
  async settle(): Promise<void> {
    while (this.running || this.inFlight.size > 0) {
      await this.running;
      await Promise.allSettled([...this.inFlight]);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.wake);
    await this.running;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Flushes due groups; resolves with how many groups were looked at. */
  async flushDue(limit = 50): Promise<number> {
    const now = this.o.clock.now();
    return this.o.db.transaction().execute(async (trx) => {
      const groups = await dueGroups(trx, now, limit);
      if (groups.length === 0) return 0;
      const silences = (await listSilences(trx, now, false)).map((s) => ({
        id: s.id,
        matchers: s.matchers,
        startsAt: s.starts_at.getTime(),
        endsAt: s.ends_at.getTime(),
      }));
      const open = this.o.inhibitRules.length > 0 ? await openAlerts(trx) : [];
      for (const g of groups) {
        const members = await membersOf(trx, g);
        const visible = members.filter(
          (a) =>
            silencedBy(a.labels, silences, now).length === 0 &&
            !(a.state !== 'resolved' && isInhibited(a, open, this.o.inhibitRules)),
        );
        const timing = {
          groupWaitMs: g.group_wait_ms,
          groupIntervalMs: g.group_interval_ms,
          repeatIntervalMs: g.repeat_interval_ms,
        };
        const firing = visible.filter((a) => a.state !== 'resolved');
        const hash = contentHash(
          visible.map((a) => ({
            fingerprint: a.fingerprint,
            state: a.state,
            escalations: a.escalations,
          })),
        );
        const decision = decideFlush(
          {
            lastFlushAt: g.last_flush_at?.getTime() ?? null,
            nextFlushAt: g.next_flush_at?.getTime() ?? null,
            lastHash: g.last_hash,
          },
          now,
          { hash, firing: firing.length, total: visible.length },
          timing,
        );
        const resolvedIds = members.filter((a) => a.state === 'resolved').map((a) => a.id);
        if (!decision.send) {
          await setNextFlush(trx, g, decision.nextFlushAt, {});
          // Resolved alerts nobody was told about (silenced, inhibited) leave quietly.
          await dropMembers(
            trx,
            g,
            members.filter((a) => a.state === 'resolved' && !visible.includes(a)).map((a) => a.id),
          );
          continue;
        }
        const seq = await recordFlush(
          trx,
          g,
          now,
          firing.length > 0 ? hash : null,
          decision.nextFlushAt,
        );
        const payload: NotificationPayload = this.o.build({
          receiver: g.receiver,
          groupKey: g.group_key,
          groupLabels: g.group_labels,
          now: new Date(now),
          alerts: visible.map((a) => ({
            fingerprint: a.fingerprint,
            labels: {
              ...a.labels,
              ...(a.escalations > 0 ? { escalation: String(a.escalations) } : {}),
            },
            annotations: a.annotations,
            startsAt: a.started_at,
            ...(a.ended_at ? { endsAt: a.ended_at } : {}),
          })),
        });
        await insertNotification(trx, {
          receiver: g.receiver,
          groupKey: g.group_key,
          flushSeq: seq,
          payload,
          alertIds: visible.map((a) => a.id),
          at: now,
          trace: g.trace,
        });
        await dropMembers(trx, g, resolvedIds);
      }
      return groups.length;
    });
  }

  /** Claims due notifications and starts delivering them; resolves with how many. */
  async sendDue(limit = 50): Promise<number> {
    const now = this.o.clock.now();
    const claimed = await this.o.db
      .transaction()
      .execute((trx) => claimDue(trx, now, this.o.claimMs, limit));
    // Deliveries run beside the next rounds (a slow receiver holds up no other group);
    // `settle()` waits for them.
    for (const n of claimed) {
      void this.track(
        this.deliverOne(n).catch((error: unknown) =>
          // The claim expires and the notification is taken up again.
          this.o.log.warn(
            { err: error, notification: String(n.id) },
            'could not record a delivery',
          ),
        ),
      );
    }
    return claimed.length;
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  private async deliverOne(n: NotificationRow): Promise<void> {
    await inSpan(
      'notification send',
      {
        kind: SpanKind.CLIENT,
        parent: contextFromRecord(n.trace, ROOT_CONTEXT),
        attributes: {
          'slimstad.notification.id': String(n.id),
          'slimstad.notification.receiver': n.receiver,
          'slimstad.notification.attempt': n.attempts,
        },
      },
      (span) => this.attempt(n, span),
    );
  }

  private async attempt(n: NotificationRow, span: Span): Promise<void> {
    const started = performance.now();
    try {
      const result = await this.o.deliver(n.receiver, n.payload).catch(
        (error: unknown): DeliveryOutcome => ({
          outcome: 'retryable',
          reason: (error as Error).message || String(error),
        }),
      );
      span.setAttribute('slimstad.notification.outcome', result.outcome);
      if (result.outcome === 'delivered') {
        await markDelivered(this.o.db, n.id, this.o.clock.now());
        this.outcomes.inc({ receiver: n.receiver, outcome: 'delivered' });
        return;
      }
      const message = result.reason;
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      const delay = retryDelay(result, n.attempts, this.o.retry);
      const retryAt = delay === undefined ? null : this.o.clock.now() + delay * this.o.clock.speed;
      await markFailed(this.o.db, n.id, message, retryAt);
      this.outcomes.inc({ receiver: n.receiver, outcome: retryAt === null ? 'failed' : 'retry' });
      this.o.log.warn(
        { receiver: n.receiver, notification: String(n.id), attempt: n.attempts, err: message },
        retryAt === null ? 'notification failed for good' : 'notification failed; retrying',
      );
      if (retryAt !== null) this.kick(retryAt);
    } finally {
      this.latency.observe({ receiver: n.receiver }, (performance.now() - started) / 1000);
    }
  }
}

// One durable consumer per enabled event rule (and its resolve subject), on whichever stream
// holds the subject — lamp failures, bollard faults, waste overflow risks, neighbours' warnings:
// a new kind of event needs a rule, not code. Payloads are not decoded; labels come from the
// subject's tokens.
import type { EventContract } from '@slimstad/contracts';
import { ack, type Bus, type Logger, type RunningConsumer, retry } from '@slimstad/kit';
import { type RuleDef, templateFilter } from '../domain/rules.js';
import type { RuleEngine } from '../engine/evaluation.js';

const raw = {
  encode: () => ({ finish: () => new Uint8Array() }),
  decode: () => null,
  fromPartial: () => null,
} as never;

export class EventRuleConsumers {
  private readonly running = new Map<string, RunningConsumer>();
  /** Rules already told to be waiting for a stream: said once, not at every reload. */
  private readonly waiting = new Set<string>();
  constructor(
    private readonly bus: Bus,
    private readonly engine: RuleEngine,
    private readonly log: Logger,
  ) {}

  /** Starts consumers for new event rules and stops those of rules gone or changed. */
  async sync(rules: readonly RuleDef[]): Promise<void> {
    const wanted = new Map<string, { rule: RuleDef; subject: string }>();
    for (const rule of rules) {
      if (rule.condition.kind !== 'event') continue;
      wanted.set(`${rule.id}@${rule.version}:fire`, { rule, subject: rule.condition.subject });
      if (rule.condition.resolveSubject)
        wanted.set(`${rule.id}@${rule.version}:resolve`, {
          rule,
          subject: rule.condition.resolveSubject,
        });
    }
    for (const [key, c] of this.running) {
      if (!wanted.has(key)) {
        await c.stop();
        this.running.delete(key);
      }
    }
    for (const [key, { rule, subject }] of wanted) {
      if (this.running.has(key)) continue;
      const filter = templateFilter(subject);
      const stream = await this.streamOf(filter);
      if (!stream) {
        // A neighbour's subjects, say, exist only once a neighbour shares: normal for a while.
        if (!this.waiting.has(key)) {
          this.waiting.add(key);
          this.log.warn(
            { rule: rule.id, subject: filter },
            'no stream holds the subject of this event rule yet; retrying at every reload',
          );
        }
        continue;
      }
      this.waiting.delete(key);
      const event: EventContract<null, string> = {
        messageType: '*',
        codec: raw,
        template: filter,
        pattern: filter,
        stream: {
          name: stream,
          subjects: [filter],
          description: '',
          maxAgeSeconds: 0,
          duplicateWindowSeconds: 0,
        },
        subject: () => filter,
      };
      const durable =
        `alerting--rule-${rule.id}-${key.endsWith(':resolve') ? 'resolve' : 'fire'}`.replace(
          /[^A-Za-z0-9_-]/g,
          '_',
        );
      // A changed rule's durable is recreated so it starts at new events.
      await this.bus.jsm.consumers
        .delete(this.bus.ns.stream(stream), durable)
        .catch(() => undefined);
      const consumer = await this.bus.consume({
        event,
        durable,
        startAt: 'new',
        handle: async (_message, delivery) => {
          try {
            await this.engine.onEvent(rule, delivery.subject);
            return ack();
          } catch (error) {
            return retry((error as Error).message);
          }
        },
      });
      this.running.set(key, consumer);
    }
  }

  /** The stream (name without namespace) whose subjects hold `filter`, if any. */
  private async streamOf(filter: string): Promise<string | undefined> {
    try {
      const name = await this.bus.jsm.streams.find(this.bus.ns.subject(filter));
      const prefix = this.bus.ns.prefix ? `${this.bus.ns.prefix}_` : '';
      return name?.startsWith(prefix) ? name.slice(prefix.length) : undefined;
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.running.values()].map((c) => c.stop()));
    this.running.clear();
  }
}

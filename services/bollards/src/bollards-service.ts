// Wires the bollards service from its parts, given a database, a bus and a clock: the control
// loop, its consumers, the outbox relay, the audit purge and the gRPC API. main.ts calls it
// with the runtime's parts; integration tests and the benchmark call it in-process.
import {
  type Bus,
  type Clock,
  type Logger,
  type Metrics,
  OutboxRelay,
  type RunningConsumer,
} from '@slimstad/kit';
import type { Kysely } from 'kysely';
import { bollardsService } from './api/bollards.handler.js';
import type { BollardsConfig } from './config.js';
import { BollardsEngine } from './control/bollards-engine.js';
import { consumeField } from './events/field.consumer.js';
import { purgeAudit } from './store/audit.repository.js';
import type { BollardsDatabase } from './store/db.js';

export type BollardsSettings = Pick<
  BollardsConfig,
  | 'BOLLARDS_IDENTITY_SECRET'
  | 'BOLLARDS_ACK_TIMEOUT_MS'
  | 'BOLLARDS_COMMAND_ATTEMPTS'
  | 'BOLLARDS_RAISE_DELAY_MS'
  | 'BOLLARDS_ADMISSION_HOLD_MS'
  | 'BOLLARDS_MAX_REVERSALS'
  | 'BOLLARDS_MAX_REQUEST_AGE_MS'
  | 'BOLLARDS_TICK_MS'
  | 'BOLLARDS_HEARTBEAT_MS'
  | 'BOLLARDS_FAIL_AFTER_MS'
  | 'BOLLARDS_RELOAD_MS'
  | 'BOLLARDS_AUDIT_RETENTION_DAYS'
>;

export interface Bollards {
  engine: BollardsEngine;
  api: ReturnType<typeof bollardsService>;
  relay: OutboxRelay;
  /** Stops consumers, the loop (committing what is queued) and the relay. */
  stop(): Promise<void>;
}

const HOUR = 3_600_000;

export async function startBollards(deps: {
  db: Kysely<BollardsDatabase>;
  bus: Bus;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  settings: BollardsSettings;
  realNow?: () => number;
}): Promise<Bollards> {
  const { db, bus, clock, log, metrics, settings: s } = deps;
  // Commands, decisions, state changes and faults leave through the outbox, with their audit.
  const relay = new OutboxRelay({ db: db as never, bus, log, pollMs: 500, batchSize: 500 });
  relay.start();
  const engine = new BollardsEngine({
    db,
    bus,
    clock,
    log,
    metrics,
    outbox: relay,
    policy: {
      ackTimeoutMs: s.BOLLARDS_ACK_TIMEOUT_MS,
      maxAttempts: s.BOLLARDS_COMMAND_ATTEMPTS,
      raiseDelayMs: s.BOLLARDS_RAISE_DELAY_MS,
      admissionHoldMs: s.BOLLARDS_ADMISSION_HOLD_MS,
      maxReversals: s.BOLLARDS_MAX_REVERSALS,
    },
    maxRequestAgeMs: s.BOLLARDS_MAX_REQUEST_AGE_MS,
    tickMs: s.BOLLARDS_TICK_MS,
    heartbeatMs: s.BOLLARDS_HEARTBEAT_MS,
    failAfterMs: s.BOLLARDS_FAIL_AFTER_MS,
    realNow: deps.realNow,
  });
  await engine.start();
  const consumers: RunningConsumer[] = await consumeField(bus, engine);
  const reload = setInterval(
    () =>
      void engine
        .reload()
        .catch((error) => log.warn({ err: error }, 'reload failed; keeping what is loaded')),
    s.BOLLARDS_RELOAD_MS,
  );
  const purge = async () => {
    try {
      const purged = await purgeAudit(db, s.BOLLARDS_AUDIT_RETENTION_DAYS);
      if (purged > 0) log.info({ purged }, 'audit entries past their retention purged');
    } catch (error) {
      log.warn({ err: error }, 'audit purge failed; trying again in an hour');
    }
  };
  void purge();
  const purging = setInterval(() => void purge(), HOUR);
  return {
    engine,
    relay,
    api: bollardsService({
      db,
      engine,
      clock,
      log,
      identitySecret: s.BOLLARDS_IDENTITY_SECRET,
    }),
    async stop() {
      clearInterval(reload);
      clearInterval(purging);
      await Promise.all(consumers.map((c) => c.stop()));
      await engine.stop();
      await relay.stop();
    },
  };
}

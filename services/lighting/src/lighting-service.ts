// Wires the lighting service from its parts, given a database, a bus and a clock: the control
// loop, its consumers, the outbox relay and the gRPC API. main.ts calls it with the runtime's
// parts; integration tests call it in-process with a hand-set clock.
import {
  type Bus,
  type Clock,
  type Logger,
  type Metrics,
  OutboxRelay,
  type RunningConsumer,
} from '@slimstad/kit';
import type { Kysely } from 'kysely';
import { lightingService } from './api/lighting.handler.js';
import type { LightingConfig } from './config.js';
import { LightingEngine } from './control/lighting-engine.js';
import { consumeDetections } from './events/detections.consumer.js';
import { consumeFeedback } from './events/feedback.consumer.js';
import type { LightingDatabase } from './store/db.js';

export type LightingSettings = Pick<
  LightingConfig,
  | 'LIGHTING_ACK_TIMEOUT_MS'
  | 'LIGHTING_COMMAND_ATTEMPTS'
  | 'LIGHTING_UNREACHABLE_RETRY_MS'
  | 'LIGHTING_TICK_MS'
  | 'LIGHTING_HEARTBEAT_MS'
  | 'LIGHTING_FAIL_SAFE_AFTER_MS'
  | 'LIGHTING_MAX_DETECTION_AGE_MS'
  | 'LIGHTING_PERSIST_MS'
  | 'LIGHTING_RELOAD_MS'
>;

export interface Lighting {
  engine: LightingEngine;
  api: ReturnType<typeof lightingService>;
  /** Stops consumers, the loop (saving state and energy) and the relay. */
  stop(): Promise<void>;
}

export async function startLighting(deps: {
  db: Kysely<LightingDatabase>;
  bus: Bus;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  settings: LightingSettings;
}): Promise<Lighting> {
  const { db, bus, clock, log, metrics, settings } = deps;
  // LampFailed and LampRecovered leave through the outbox, written with the state change.
  const outbox = new OutboxRelay({ db: db as never, bus, log });
  outbox.start();
  const engine = new LightingEngine({
    db,
    bus,
    clock,
    log,
    metrics,
    outbox,
    link: {
      ackTimeoutMs: settings.LIGHTING_ACK_TIMEOUT_MS,
      maxAttempts: settings.LIGHTING_COMMAND_ATTEMPTS,
      unreachableRetryMs: settings.LIGHTING_UNREACHABLE_RETRY_MS,
    },
    tickMs: settings.LIGHTING_TICK_MS,
    heartbeatMs: settings.LIGHTING_HEARTBEAT_MS,
    failSafeAfterMs: settings.LIGHTING_FAIL_SAFE_AFTER_MS,
    maxDetectionAgeMs: settings.LIGHTING_MAX_DETECTION_AGE_MS,
    persistMs: settings.LIGHTING_PERSIST_MS,
  });
  await engine.start();
  const consumers: RunningConsumer[] = [
    ...(await consumeFeedback(bus, engine)),
    ...(await consumeDetections(bus, engine)),
  ];
  const reload = setInterval(
    () =>
      void engine
        .reload()
        .catch((error) => log.warn({ err: error }, 'reload failed; keeping the loaded topology')),
    settings.LIGHTING_RELOAD_MS,
  );
  return {
    engine,
    api: lightingService({ db, engine, clock, log }),
    async stop() {
      clearInterval(reload);
      await Promise.all(consumers.map((c) => c.stop()));
      await engine.stop();
      await outbox.stop();
    },
  };
}

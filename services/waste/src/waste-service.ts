// Wires the waste service from its parts, given a database, a bus and a clock: the engine,
// the readings consumers, the outbox relay, the audit purge and the gRPC API. main.ts calls it
// with the runtime's parts; integration tests call it in-process.
import {
  type Bus,
  type Clock,
  type Logger,
  type Metrics,
  OutboxRelay,
  type RunningConsumer,
} from '@slimstad/kit';
import type { Kysely } from 'kysely';
import { wasteService } from './api/waste.handler.js';
import type { WasteConfig } from './config.js';
import { consumeReadings } from './events/readings.consumer.js';
import {
  type DistanceMatrixProvider,
  greatCircleProvider,
  osrmProvider,
} from './matrix/distance-matrix.js';
import { purgeAudit } from './store/audit.repository.js';
import type { WasteDatabase } from './store/db.js';
import { purgeReadings } from './store/topology.repository.js';
import { WasteEngine } from './waste-engine.js';

export type WasteServiceSettings = Pick<
  WasteConfig,
  | 'WASTE_TIME_ZONE'
  | 'WASTE_THRESHOLD_PERCENT'
  | 'WASTE_EMPTY_DROP_PERCENT'
  | 'WASTE_DAYS_BETWEEN_SHIFTS'
  | 'WASTE_SOLVE_TIME_LIMIT_MS'
  | 'WASTE_LATE_PENALTY_PER_SECOND'
  | 'WASTE_ROAD_FACTOR'
  | 'WASTE_AVERAGE_SPEED_KMH'
  | 'WASTE_OSRM_URL'
  | 'WASTE_OSRM_TIMEOUT_MS'
  | 'WASTE_AUDIT_RETENTION_DAYS'
  | 'WASTE_READING_RETENTION_DAYS'
>;

export interface Waste {
  engine: WasteEngine;
  api: ReturnType<typeof wasteService>;
  relay: OutboxRelay;
  stop(): Promise<void>;
}

const HOUR = 3_600_000;

/** The matrix provider the settings ask for (OSRM with a great-circle fallback, or great-circle). */
export function matrixProvider(
  s: WasteServiceSettings,
  log: Logger,
  metrics: Metrics,
): DistanceMatrixProvider {
  const greatCircle = { roadFactor: s.WASTE_ROAD_FACTOR, speedKmh: s.WASTE_AVERAGE_SPEED_KMH };
  if (!s.WASTE_OSRM_URL) return greatCircleProvider(greatCircle);
  const fallbacks = metrics.counter(
    'matrix_fallbacks_total',
    'Distance matrices computed great-circle because OSRM failed.',
  );
  return osrmProvider({
    url: s.WASTE_OSRM_URL,
    timeoutMs: s.WASTE_OSRM_TIMEOUT_MS,
    fallback: greatCircle,
    onFallback: (reason) => {
      fallbacks.inc();
      log.warn({ reason }, 'OSRM table failed; planning on great-circle estimates');
    },
  });
}

export async function startWaste(deps: {
  db: Kysely<WasteDatabase>;
  bus: Bus;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  settings: WasteServiceSettings;
}): Promise<Waste> {
  const { db, bus, clock, log, metrics, settings: s } = deps;
  const relay = new OutboxRelay({ db: db as never, bus, log, pollMs: 500, batchSize: 500 });
  relay.start();
  const engine = new WasteEngine({
    db,
    clock,
    log,
    metrics,
    relay,
    matrix: matrixProvider(s, log, metrics),
    settings: {
      timeZone: s.WASTE_TIME_ZONE,
      thresholdPercent: s.WASTE_THRESHOLD_PERCENT,
      fill: { emptyDrop: s.WASTE_EMPTY_DROP_PERCENT, defaultRate: 0.5 },
      daysBetweenShifts: s.WASTE_DAYS_BETWEEN_SHIFTS,
      solveTimeLimitMs: s.WASTE_SOLVE_TIME_LIMIT_MS,
      latePenaltyPerSecond: s.WASTE_LATE_PENALTY_PER_SECOND,
    },
  });
  await engine.start();
  const consumers: RunningConsumer[] = await consumeReadings(bus, engine);
  const purge = async () => {
    try {
      const purged = await purgeAudit(db, s.WASTE_AUDIT_RETENTION_DAYS);
      if (purged > 0) log.info({ purged }, 'audit entries past their retention purged');
      const readings = await purgeReadings(db, clock.now(), s.WASTE_READING_RETENTION_DAYS);
      if (readings > 0) log.info({ purged: readings }, 'fill readings past their retention purged');
    } catch (error) {
      log.warn({ err: error }, 'purge failed; trying again in an hour');
    }
  };
  void purge();
  const purging = setInterval(() => void purge(), HOUR);
  return {
    engine,
    relay,
    api: wasteService({ db, engine, thresholdPercent: s.WASTE_THRESHOLD_PERCENT }),
    async stop() {
      clearInterval(purging);
      await Promise.all(consumers.map((c) => c.stop()));
      await engine.stop();
      await relay.stop();
    },
  };
}

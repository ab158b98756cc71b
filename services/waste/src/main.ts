// Composition root of the waste service: runtime → engine, consumers and relay → serve.
import { sensorStreams, wasteStreams } from '@slimstad/contracts';
import { clockFromConfig, runMain, startRuntime } from '@slimstad/kit';
import { wasteConfigSchema } from './config.js';
import type { WasteDatabase } from './store/db.js';
import { migrations } from './store/migrations/index.js';
import { startWaste } from './waste-service.js';

runMain(async () => {
  const runtime = await startRuntime<WasteDatabase, typeof wasteConfigSchema>({
    config: wasteConfigSchema,
    migrations,
    // SENSOR_READINGS too (the same contract as ingest), so the service can start first.
    streams: [...wasteStreams, ...sensorStreams.filter((s) => s.name === 'SENSOR_READINGS')],
  });
  const { config, log, metrics, bus, shutdown } = runtime;
  const clock = clockFromConfig(config);
  const waste = await startWaste({
    db: runtime.database.db,
    bus,
    clock,
    log,
    metrics,
    settings: config,
  });
  // Before the bus drains: consumers stop, per-bin work settles, the relay publishes it.
  shutdown.add('waste', () => waste.stop());
  await runtime.serveGrpc(waste.api);
  shutdown.listen();
  log.info(
    { clock: { now: new Date(clock.now()).toISOString(), speed: clock.speed } },
    'waste ready',
  );
});

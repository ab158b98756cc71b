// Composition root of the lighting service: runtime → control loop and consumers → serve.
import { lightingStreams, SensorReadingsStream } from '@slimstad/contracts';
import { clockFromConfig, runMain, startRuntime } from '@slimstad/kit';
import { lightingConfigSchema } from './config.js';
import { startLighting } from './lighting-service.js';
import type { LightingDatabase } from './store/db.js';
import { migrations } from './store/migrations/index.js';

runMain(async () => {
  const runtime = await startRuntime<LightingDatabase, typeof lightingConfigSchema>({
    config: lightingConfigSchema,
    migrations,
    // The readings stream is ingest's; declared here too so lighting can start first.
    streams: [...lightingStreams, SensorReadingsStream],
  });
  const { config, log, metrics, bus, shutdown } = runtime;
  const clock = clockFromConfig(config);
  const lighting = await startLighting({
    db: runtime.database.db,
    bus,
    clock,
    log,
    metrics,
    settings: config,
  });
  // Before the bus drains: consumers stop, the loop saves state and energy.
  shutdown.add('lighting', () => lighting.stop());
  await runtime.serveGrpc(lighting.api);
  shutdown.listen();
  log.info(
    { clock: { now: new Date(clock.now()).toISOString(), speed: clock.speed } },
    'lighting ready',
  );
});

// Composition root of the bollards service: runtime → control loop and consumers → serve.
import { bollardStreams } from '@slimstad/contracts';
import { clockFromConfig, runMain, startRuntime } from '@slimstad/kit';
import { startBollards } from './bollards-service.js';
import { bollardsConfigSchema } from './config.js';
import type { BollardsDatabase } from './store/db.js';
import { migrations } from './store/migrations/index.js';

runMain(async () => {
  const runtime = await startRuntime<BollardsDatabase, typeof bollardsConfigSchema>({
    config: bollardsConfigSchema,
    migrations,
    streams: [...bollardStreams],
  });
  const { config, log, metrics, bus, shutdown } = runtime;
  const clock = clockFromConfig(config);
  const bollards = await startBollards({
    db: runtime.database.db,
    bus,
    clock,
    log,
    metrics,
    settings: config,
  });
  // Before the bus drains: consumers stop, queued work commits, the relay publishes it.
  shutdown.add('bollards', () => bollards.stop());
  await runtime.serveGrpc(bollards.api);
  shutdown.listen();
  log.info(
    { clock: { now: new Date(clock.now()).toISOString(), speed: clock.speed } },
    'bollards ready',
  );
});

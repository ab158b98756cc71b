// Composition root of the federation service: runtime → policy → shared streams, neighbours'
// streams and link watching → serve.
import path from 'node:path';
import { clockFromConfig, runMain, startRuntime } from '@slimstad/kit';
import { federationService } from './api/federation.handler.js';
import { federationConfigSchema } from './config.js';
import { startFederation } from './federation-service.js';
import { loadPolicy, policyControl } from './policy-control.js';
import { readRegion } from './region-files.js';
import type { FederationDatabase } from './store/db.js';
import { migrations } from './store/migrations/index.js';
import { pgWindowStore } from './store/window.repository.js';

runMain(async () => {
  const runtime = await startRuntime<FederationDatabase, typeof federationConfigSchema>({
    config: federationConfigSchema,
    migrations,
  });
  const { config, log, metrics, bus, shutdown } = runtime;
  const clock = clockFromConfig(config);
  const city = config.FEDERATION_CITY;
  // In a region: the other cities are the possible neighbours, and their policies say what
  // this city receives (its inbound links).
  const region = config.FEDERATION_REGION_FILE
    ? readRegion(path.resolve(config.FEDERATION_REGION_FILE))
    : undefined;
  if (region && !region.region.cities.some((c) => c.id === city)) {
    throw new Error(
      `FEDERATION_CITY=${city} is not a city of ${config.FEDERATION_REGION_FILE}; add it there or fix the variable`,
    );
  }
  const neighbours = region?.region.cities.map((c) => c.id).filter((id) => id !== city);
  const inbound = new Map<string, string[]>();
  for (const [other, policy] of region?.policies ?? []) {
    const streams = policy.shares.filter((s) => s.to.includes(city)).map((s) => s.name);
    if (other !== city && streams.length) inbound.set(other, streams);
  }
  const policy = loadPolicy(config.FEDERATION_POLICY_FILE, city, neighbours);
  const federation = await startFederation({
    bus,
    city,
    policy,
    settings: {
      federated: region !== undefined,
      linkCheckMs: config.FEDERATION_LINK_CHECK_MS,
      stallAfterMs: config.FEDERATION_STALL_AFTER_MS,
      windowGraceMs: config.FEDERATION_WINDOW_GRACE_MS,
      flushMs: 1_000,
      inbound,
    },
    clock,
    log,
    metrics,
    windows: pgWindowStore(runtime.database.db, config.FEDERATION_WINDOW_GRACE_MS),
  });
  const control = policyControl({
    federation,
    file: config.FEDERATION_POLICY_FILE,
    city,
    neighbours,
    db: runtime.database.db,
    log,
    watchMs: config.FEDERATION_POLICY_WATCH_MS,
  });
  shutdown.add('federation', async () => {
    control.stop();
    await federation.stop();
  });
  await runtime.serveGrpc(federationService({ federation, control, db: runtime.database.db }));
  shutdown.listen();
  log.info({ city, region: region?.region.region ?? '(none)' }, 'federation ready');
});

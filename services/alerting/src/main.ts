// Composition root of the alerting service: runtime → rules, consumers, dispatcher → serve.
import { alertingStreams, FederationShareStream } from '@slimstad/contracts';
import { clockFromConfig, runMain, startRuntime } from '@slimstad/kit';
import { startAlerting } from './alerting-service.js';
import { startFeedServer } from './api/feed.http.js';
import { nearestPoints } from './api/nearest.js';
import { alertingConfigSchema } from './config.js';
import { type LabelMatcher, matcherProblem } from './domain/labels.js';
import type { InhibitRule } from './domain/silences.js';
import { ingestReadings } from './engine/ingest-readings.js';
import {
  createBuild,
  createDeliver,
  createReceivers,
  createRouter,
} from './engine/notifications.js';
import { createPublicWarnings } from './engine/public-warnings.js';
import type { AlertingDatabase } from './store/db.js';
import { migrations } from './store/migrations/index.js';

function inhibitRules(raw: unknown): InhibitRule[] {
  if (!Array.isArray(raw)) throw new Error('ALERTING_INHIBIT_RULES: must be a JSON array');
  return raw.map((r, i) => {
    const rule = r as { source?: LabelMatcher[]; target?: LabelMatcher[]; equal?: string[] };
    for (const m of [...(rule.source ?? []), ...(rule.target ?? [])]) {
      const p = matcherProblem(m);
      if (p) throw new Error(`ALERTING_INHIBIT_RULES[${i}]: ${p}`);
    }
    return { source: rule.source ?? [], target: rule.target ?? [], equal: rule.equal ?? [] };
  });
}

runMain(async () => {
  const runtime = await startRuntime<AlertingDatabase, typeof alertingConfigSchema>({
    config: alertingConfigSchema,
    migrations,
    streams: [...alertingStreams, FederationShareStream],
  });
  const { config, log, metrics, bus, shutdown } = runtime;
  const clock = clockFromConfig(config);
  const receivers = createReceivers(config.ALERTING_RECEIVERS, {
    identitySecret: config.ALERTING_IDENTITY_SECRET,
    log,
  });
  shutdown.add('receivers', async () => {
    for (const r of receivers.values()) await r.close?.();
  });
  if (config.INGEST_GRPC_ADDRESS && !config.INGEST_TOKEN)
    throw new Error(
      'INGEST_TOKEN is required with INGEST_GRPC_ADDRESS (a viewer token for ingest)',
    );
  const ingest = config.INGEST_GRPC_ADDRESS
    ? ingestReadings(config.INGEST_GRPC_ADDRESS, config.INGEST_TOKEN ?? '')
    : undefined;
  if (ingest) shutdown.add('ingest client', () => ingest.close());
  const alerting = await startAlerting({
    fetchReadings: ingest?.fetch,
    db: runtime.database.db,
    bus,
    clock,
    log,
    metrics,
    settings: config,
    router: createRouter(config.ALERTING_ROUTE, [...receivers.keys()]),
    deliver: createDeliver(receivers),
    build: createBuild(config.ALERTING_PUBLIC_URL),
    inhibitRules: inhibitRules(config.ALERTING_INHIBIT_RULES),
    nearest: nearestPoints,
    publicWarnings: createPublicWarnings({
      sender: config.ALERTING_CAP_SENDER ?? `alerting@${config.MUNICIPALITY_CODE}.slimstad`,
      municipalityCode: config.MUNICIPALITY_CODE,
      timeZone: config.ALERTING_TIME_ZONE,
      log,
      metrics,
    }),
  });
  const feed = await startFeedServer({
    db: runtime.database.db,
    clock,
    log,
    port: config.HTTP_PORT,
    host: config.LISTEN_HOST,
    publicBaseUrl: config.ALERTING_PUBLIC_URL,
    municipalityCode: config.MUNICIPALITY_CODE,
  });
  shutdown.add('feed', () => feed.close());
  shutdown.add('alerting', () => alerting.stop());
  await runtime.serveGrpc(alerting.api);
  shutdown.listen();
  log.info(
    { clock: { now: new Date(clock.now()).toISOString(), speed: clock.speed } },
    'alerting ready',
  );
});

// Composition root of the alerting service: runtime → rules, consumers, dispatcher → serve.
import { alertingStreams } from '@slimstad/contracts';
import { clockFromConfig, runMain, startRuntime } from '@slimstad/kit';
import { startAlerting } from './alerting-service.js';
import { alertingConfigSchema } from './config.js';
import { type LabelMatcher, matcherProblem } from './domain/labels.js';
import type { InhibitRule } from './domain/silences.js';
import { interimBuild, interimDeliver, interimRouter } from './engine/interim-notify.js';
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
    streams: [...alertingStreams],
  });
  const { config, log, metrics, bus, shutdown } = runtime;
  const clock = clockFromConfig(config);
  const receivers = config.ALERTING_RECEIVERS as { name: string; url: string }[];
  const route = (config.ALERTING_ROUTE ?? {}) as {
    group_wait?: number;
    group_interval?: number;
    repeat_interval?: number;
  };
  const alerting = await startAlerting({
    db: runtime.database.db,
    bus,
    clock,
    log,
    metrics,
    settings: config,
    router: interimRouter(
      {
        groupWaitMs: Number(route.group_wait ?? 30_000),
        groupIntervalMs: Number(route.group_interval ?? 300_000),
        repeatIntervalMs: Number(route.repeat_interval ?? 14_400_000),
      },
      receivers[0]?.name ?? 'default',
    ),
    deliver: interimDeliver(receivers),
    build: interimBuild,
    inhibitRules: inhibitRules(config.ALERTING_INHIBIT_RULES),
    nearest: () => [],
  });
  shutdown.add('alerting', () => alerting.stop());
  await runtime.serveGrpc(alerting.api);
  shutdown.listen();
  log.info(
    { clock: { now: new Date(clock.now()).toISOString(), speed: clock.speed } },
    'alerting ready',
  );
});

// The alerting service's moving parts, wired: rule evaluation fed by the consumers, the alert
// lifecycle, the notification dispatcher and the event outbox relay, the timers of time-driven
// rules and escalation, and the gRPC API. main.ts adds the process around it; tests start it
// in-process against a test database and namespace.

import { SensorDevicesStream, SensorReadingsStream } from '@slimstad/contracts';
import { Rule } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import {
  type Bus,
  type Clock,
  type Logger,
  type Metrics,
  OutboxRelay,
  type RunningConsumer,
} from '@slimstad/kit';
import { createAlertingApi } from './api/alerting.handler.js';
import { ruleFromWire } from './api/mapping.js';
import type { FetchReadings, NearestPoints } from './api/ports.js';
import type { RuleDef } from './domain/rules.js';
import type { InhibitRule } from './domain/silences.js';
import { Alerts, type PublicWarningHook } from './engine/alerts.js';
import { Dispatcher } from './engine/dispatcher.js';
import { RuleEngine } from './engine/evaluation.js';
import type { BuildNotification, Deliver, Router } from './engine/ports.js';
import { consumeDevices } from './events/devices.consumer.js';
import { EventRuleConsumers } from './events/event-rules.consumer.js';
import { consumeReadings } from './events/readings.consumer.js';
import { DEFAULT_RETRY_POLICY } from './notify/delivery.js';
import { countByState, openFingerprints } from './store/alert.repository.js';
import type { Db } from './store/db.js';
import { allDevices } from './store/directory.repository.js';
import { countNotificationsByStatus } from './store/notification.repository.js';
import { currentRules, rulesStamp } from './store/rule.repository.js';

export interface AlertingSettings {
  ALERTING_TICK_MS: number;
  ALERTING_DISPATCH_POLL_MS: number;
  ALERTING_RULES_RELOAD_MS: number;
  ALERTING_DELIVERY_ATTEMPTS: number;
  ALERTING_RETRY_INITIAL_MS: number;
  ALERTING_RETRY_MAX_MS: number;
  ALERTING_CLAIM_MS: number;
}

export interface AlertingDeps {
  db: Db;
  bus: Bus;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  settings: AlertingSettings;
  router: Router;
  deliver: Deliver;
  build: BuildNotification;
  inhibitRules: readonly InhibitRule[];
  nearest: NearestPoints;
  fetchReadings?: FetchReadings;
  publicWarnings?: PublicWarningHook;
  /** Start the bus consumers (tests of the API alone may leave them out). */
  consumers?: boolean;
}

export async function startAlerting(deps: AlertingDeps) {
  const { db, bus, clock, log, metrics, settings } = deps;
  const relay = new OutboxRelay({ db: db as never, bus, log });
  const dispatcher = new Dispatcher({
    db,
    clock,
    log,
    metrics,
    deliver: deps.deliver,
    build: deps.build,
    inhibitRules: deps.inhibitRules,
    pollMs: settings.ALERTING_DISPATCH_POLL_MS,
    retry: {
      ...DEFAULT_RETRY_POLICY,
      initialDelayMs: settings.ALERTING_RETRY_INITIAL_MS,
      maxDelayMs: settings.ALERTING_RETRY_MAX_MS,
      maxAttempts: settings.ALERTING_DELIVERY_ATTEMPTS,
    },
    claimMs: settings.ALERTING_CLAIM_MS,
  });
  const alerts = new Alerts({
    db,
    clock,
    router: deps.router,
    log,
    metrics,
    publicWarnings: deps.publicWarnings,
    committed: ({ flushAt }) => {
      relay.kick();
      dispatcher.kick(flushAt);
    },
  });
  const engine = new RuleEngine({ db, alerts, clock, log, metrics });
  const eventRules = new EventRuleConsumers(bus, engine, log);
  let rulesById = new Map<string, RuleDef>();
  let stamp = '';

  const reloadRules = async () => {
    const next = await rulesStamp(db);
    if (next === stamp) {
      // Event rules whose subject had no stream yet get their consumer once it appears.
      if (deps.consumers !== false) await eventRules.sync(engine.enabledRules);
      return;
    }
    stamp = next;
    const rules: RuleDef[] = [];
    for (const row of await currentRules(db)) {
      const { rule } = ruleFromWire(Rule.fromJSON(row.spec), Number(row.version));
      if (rule) rules.push({ ...rule, enabled: row.enabled });
    }
    rulesById = new Map(rules.map((r) => [r.id, r]));
    // Series of new rule versions (and, at start-up, every series) begin from what is open.
    engine.setOpenAlerts(await openFingerprints(db));
    engine.setRules(rules);
    if (deps.consumers !== false) await eventRules.sync(engine.enabledRules);
    log.info({ rules: rules.length, enabled: engine.enabledRules.length }, 'rules loaded');
  };

  for (const d of await allDevices(db)) {
    engine.setDevice(d.id, {
      type: d.type,
      zone: d.zone,
      department: d.department,
      labels: d.labels,
      expectedIntervalMs: Number(d.expected_interval_ms),
    });
  }
  await reloadRules();

  const consumers: RunningConsumer[] = [];
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  // Ingest owns the sensor streams: when alerting starts first, it waits for them.
  const startConsumers = async (): Promise<void> => {
    try {
      // Both streams first, so consumers are never half declared.
      for (const stream of [SensorDevicesStream, SensorReadingsStream])
        await bus.jsm.streams.info(bus.ns.stream(stream));
      consumers.push(...(await consumeDevices(bus, db, engine)));
      consumers.push(...(await consumeReadings(bus, engine)));
    } catch (error) {
      if (stopped) return;
      log.warn(
        { err: error },
        'sensor streams not available yet (is ingest running?); retrying in 2 s',
      );
      await new Promise<void>((resolve) => {
        retryTimer = setTimeout(resolve, 2_000);
      });
      if (!stopped) return startConsumers();
    }
  };
  if (deps.consumers !== false) {
    const first = startConsumers();
    // Start-up waits for the consumers only if the streams are there.
    await Promise.race([first, new Promise((r) => setTimeout(r, 5_000).unref())]);
  }

  const alertsGauge = metrics.gauge('alerts', 'Alerts by lifecycle state.', ['state']);
  const notificationsGauge = metrics.gauge('notifications', 'Notifications by delivery status.', [
    'status',
  ]);
  const timers: NodeJS.Timeout[] = [];
  let gaugesAt = Number.NEGATIVE_INFINITY;
  let ticking: Promise<void> | undefined;
  const every = (ms: number, work: () => Promise<unknown>, what: string) => {
    const t = setInterval(() => {
      if (ticking) return;
      ticking = work()
        .then(() => undefined)
        .catch((error: unknown) => log.warn({ err: error }, `${what} failed; retrying`))
        .finally(() => {
          ticking = undefined;
        });
    }, ms);
    t.unref();
    timers.push(t);
  };
  every(
    settings.ALERTING_TICK_MS,
    async () => {
      await engine.tick();
      await alerts.escalateDue(rulesById);
      // The gauges count whole tables: refreshed every 15 s, not every tick.
      if (performance.now() - gaugesAt < 15_000) return;
      gaugesAt = performance.now();
      for (const [state, n] of Object.entries({
        firing: 0,
        acknowledged: 0,
        resolved: 0,
        ...(await countByState(db)),
      }))
        alertsGauge.set({ state }, n);
      for (const [status, n] of Object.entries(await countNotificationsByStatus(db)))
        notificationsGauge.set({ status }, n);
    },
    'tick',
  );
  every(settings.ALERTING_RULES_RELOAD_MS, reloadRules, 'rule reload');

  relay.start();
  dispatcher.start();

  const api = createAlertingApi({
    db,
    alerts,
    clock,
    inhibitRules: deps.inhibitRules,
    rulesChanged: async () => {
      stamp = '';
      await reloadRules();
    },
    nearest: deps.nearest,
    fetchReadings: deps.fetchReadings,
  });

  return {
    api,
    engine,
    alerts,
    dispatcher,
    relay,
    reloadRules: async () => {
      stamp = '';
      await reloadRules();
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      for (const t of timers) clearInterval(t);
      await ticking;
      await Promise.allSettled(consumers.map((c) => c.stop()));
      await eventRules.stop();
      await dispatcher.stop();
      await relay.stop();
    },
  };
}

export type AlertingService = Awaited<ReturnType<typeof startAlerting>>;

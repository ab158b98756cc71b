// Composition root of the ingest service: runtime → registry → reading path → edges → serve.
import { hostname } from 'node:os';
import {
  IngestIntakeStream,
  SensorDevicesStream,
  SensorReadingsStream,
  SensorRejectionsStream,
} from '@slimstad/contracts';
import { OutboxRelay, runMain, startRuntime } from '@slimstad/kit';
import { ingestService } from './api/ingest.handler.js';
import { pushReadingsHandler, pushReadingsRoles } from './api/push-readings.js';
import { registryService } from './api/registry.handler.js';
import { ingestConfigSchema } from './config.js';
import { LivenessTracker } from './domain/liveness.js';
import { RateLimiter } from './domain/rate-limiter.js';
import { startMqttEdge } from './edges/mqtt.edge.js';
import { reparseEdgePayload } from './edges/reparse.js';
import { startWebhookEdge } from './edges/webhook.edge.js';
import { consumeIntake } from './events/intake.consumer.js';
import { IntakePublisher } from './events/intake.publisher.js';
import { LivenessMonitor } from './events/liveness.monitor.js';
import { consumeRejections } from './events/quarantine.consumer.js';
import { ReadingPipeline } from './events/reading-pipeline.js';
import type { IngestDatabase } from './store/db.js';
import { CachedDeviceDirectory } from './store/device-directory.js';
import { migrations } from './store/migrations/index.js';
import { PartitionMaintenance } from './store/partition-maintenance.js';

runMain(async () => {
  const runtime = await startRuntime<IngestDatabase, typeof ingestConfigSchema>({
    config: ingestConfigSchema,
    migrations,
    streams: [
      IngestIntakeStream,
      SensorReadingsStream,
      SensorDevicesStream,
      SensorRejectionsStream,
    ],
  });
  const { config, log, metrics, bus, shutdown, readiness } = runtime;
  const { db, pool } = runtime.database;

  // Partitions for every day a valid reading can carry, kept ahead and trimmed by retention.
  const retentionDays = {
    public: config.RETENTION_PUBLIC_DAYS,
    internal: config.RETENTION_INTERNAL_DAYS,
    personal: config.RETENTION_PERSONAL_DAYS,
  };
  const partitions = new PartitionMaintenance(db, {
    maxAgeMs: config.INGEST_MAX_AGE_MS,
    retentionDays,
    log,
  });
  await partitions.run();
  partitions.start(3_600_000);
  shutdown.add('partition maintenance', () => partitions.stop());

  const registered = metrics.gauge('registry_devices', 'Registered devices, by type and status.', [
    'type',
    'status',
  ]);
  const directory = new CachedDeviceDirectory(db, {
    onError: (error) =>
      log.warn({ err: error }, 'device directory refresh failed; serving the cached registry'),
    onRefreshed: (cache) => {
      registered.reset();
      for (const [type, count] of cache.counts()) {
        registered.set({ type, status: 'active' }, count.active);
        registered.set({ type, status: 'decommissioned' }, count.decommissioned);
      }
    },
  });
  await directory.refresh();
  directory.start(5_000);
  shutdown.add('device directory', () => directory.stop());

  const limits = {
    maxFutureSkewMs: config.INGEST_MAX_FUTURE_SKEW_MS,
    maxAgeMs: config.INGEST_MAX_AGE_MS,
  };
  const tracker = new LivenessTracker(config.OFFLINE_AFTER_INTERVALS);
  const liveness = new LivenessMonitor({ bus, directory, tracker, log });
  metrics.gauge(
    'devices_liveness',
    'Devices heard from, by liveness (online, offline).',
    ['state'],
    function collect() {
      const { online, offline } = tracker.counts();
      this.set({ state: 'online' }, online);
      this.set({ state: 'offline' }, offline);
    },
  );
  await liveness.restore(db);
  const pipeline = new ReadingPipeline({
    pool,
    bus,
    directory,
    limits,
    rateLimiter: new RateLimiter(config.INGEST_DEVICE_RATE_PER_S, config.INGEST_DEVICE_BURST),
    maxRows: config.INGEST_FLUSH_MAX_ROWS,
    maxDelayMs: config.INGEST_FLUSH_MAX_DELAY_MS,
    bulkWrite: config.INGEST_BULK_WRITE,
    log,
    metrics,
    onStored: (readings) => liveness.recordStored(readings),
  });
  // Consumers stop (and their in-flight flushes finish) in bus.drain(); then the rest drains.
  shutdown.add('reading pipeline', () => pipeline.drain());
  await consumeIntake(bus, pipeline, config.INGEST_INTAKE_ACK_WAIT_MS);
  await consumeRejections(bus, db);
  liveness.start(10_000);
  shutdown.add('liveness', () => liveness.stop());

  const intake = new IntakePublisher(bus);
  const edgeDeps = {
    maxPayloadBytes: config.INGEST_MAX_PAYLOAD_BYTES,
    directory,
    intake,
    log,
    metrics,
  };
  if (config.MQTT_URL) {
    const shared = config.MQTT_CONNECTIONS > 1;
    const clientIdPrefix = config.MQTT_CLIENT_ID ?? `slimstad-ingest-${hostname()}`;
    for (let n = 0; n < config.MQTT_CONNECTIONS; n++) {
      const mqtt = await startMqttEdge({
        ...edgeDeps,
        url: config.MQTT_URL,
        chirpstackTopic: config.MQTT_CHIRPSTACK_TOPIC,
        jsonTopic: config.MQTT_JSON_TOPIC,
        clientId: shared ? `${clientIdPrefix}-${n}` : clientIdPrefix,
        shareGroup: shared ? config.MQTT_SHARE_GROUP : undefined,
      });
      readiness.add(`mqtt-${n}`, () => mqtt.ready());
      shutdown.add(`mqtt edge ${n}`, () => mqtt.stop());
    }
  }
  const webhooks = await startWebhookEdge({
    ...edgeDeps,
    port: config.HTTP_PORT,
    host: config.LISTEN_HOST,
    secrets: config.WEBHOOK_SECRETS,
  });
  shutdown.add('webhook edge', () => webhooks.close());

  // DeviceChanged events leave through the outbox, written in each change's transaction.
  const outbox = new OutboxRelay({ db: db as never, bus, log });
  outbox.start();
  shutdown.add('outbox relay', () => outbox.stop());

  await runtime.serveGrpc(
    registryService({ db, directory, log, outbox, municipalityCode: config.MUNICIPALITY_CODE }),
    ingestService({
      db,
      directory,
      intake,
      limits,
      log,
      pushReadings: {
        roles: pushReadingsRoles,
        handle: pushReadingsHandler({ directory, intake, log }),
      },
      reparse: reparseEdgePayload(directory),
    }),
  );
  shutdown.listen();
  log.info({ httpPort: webhooks.port, mqtt: config.MQTT_URL || 'disabled' }, 'ingest ready');
});

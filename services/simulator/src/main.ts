// Composition root of the simulator: config → logs, metrics, health → device file (and
// lighting layout) → lamp controllers on the bus (NATS_URL) → wait for ingest → import the
// devices → the ways in → simulate until SIGTERM; then wait for lighting and seed the layout
// (LIGHTING_GRPC_ADDRESS). No database: it reaches the platform only the way field devices,
// network servers and lamp controllers do.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { clockFromConfig, connectNats, Namespace, runMain, startProcess } from '@slimstad/kit';
import { simulatorConfigSchema } from './config.js';
import { DeviceFileError, type NetworkWay, parseDevicesCsv } from './domain/devices.js';
import { modelProblems } from './domain/models.js';
import { startLampFleet } from './lamps/lamp-fleet.js';
import { DEMO_LIGHTING_FILE, lampFleetSpecs, loadLightingLayout } from './lamps/layout.js';
import { seedLighting } from './lamps/lighting-seed.js';
import { importDevices, waitForIngest, waitForServing } from './registry.js';
import { Simulator } from './simulator.js';
import { TokenSource } from './tokens.js';
import { grpcPushWay } from './ways/grpc-push.js';
import { chirpstackMqttWay, connectMqtt, plainJsonMqttWay, redact } from './ways/mqtt.js';
import { ttsWebhookWay } from './ways/tts-webhook.js';
import { WAY_OF, type Way } from './ways/way.js';

/** The demo town's devices, committed with the package. */
export const DEMO_DEVICES_FILE = fileURLToPath(new URL('../demo/devices.csv', import.meta.url));

runMain(async () => {
  const { config, log, metrics, readiness, shutdown, ops, serveGrpc } = await startProcess({
    config: simulatorConfigSchema,
  });
  const startUp = new AbortController();
  shutdown.add('start-up', () => startUp.abort());
  shutdown.listen();

  try {
    // The device file first: a file that cannot be played stops start-up before anything is sent.
    const file = config.SIMULATOR_DEVICES_FILE ?? DEMO_DEVICES_FILE;
    const csv = readFileSync(file, 'utf8');
    const devices = parseDevicesCsv(csv);
    const problems = modelProblems(devices);
    if (problems.length > 0) throw new DeviceFileError(problems);
    const uses = (network: NetworkWay) => devices.some((d) => d.network === network);
    const usesMqtt = uses('lorawan_chirpstack') || uses('mqtt');
    if (uses('lorawan_tts') && !config.SIMULATOR_TTS_SECRET) {
      throw new Error(
        'SIMULATOR_TTS_SECRET is required for the TTS devices: the tts=… secret in the WEBHOOK_SECRETS of ingest',
      );
    }
    if (usesMqtt && !config.MQTT_URL) {
      throw new Error('MQTT_URL is required for the ChirpStack and MQTT devices');
    }
    // The lighting layout, when lamps are seeded or played: checked against the device file
    // (its detectors) before anything is sent.
    const lightingFile = config.SIMULATOR_LIGHTING_FILE ?? DEMO_LIGHTING_FILE;
    const layout =
      config.LIGHTING_GRPC_ADDRESS || config.NATS_URL
        ? loadLightingLayout(readFileSync(lightingFile, 'utf8'), devices)
        : undefined;

    let phase = 'starting';
    let running = false;
    readiness.add('simulation', () => (running ? { ok: true } : { ok: false, reason: phase }));
    // With LIGHTING_GRPC_ADDRESS, ready only once the lighting layout is seeded too.
    let seeding = 'seeding the lighting layout after the devices are imported';
    let seeded = false;
    if (config.LIGHTING_GRPC_ADDRESS && layout) {
      readiness.add('lighting', () => (seeded ? { ok: true } : { ok: false, reason: seeding }));
    }
    // grpc.health.v1 only: SERVING once the devices are imported and reports flow.
    const { port: grpcPort } = await serveGrpc();

    const tokens = config.SIMULATOR_TOKEN
      ? TokenSource.fixed(config.SIMULATOR_TOKEN)
      : TokenSource.signed({
          key: config.AUTH_JWT_KEY,
          issuer: config.AUTH_JWT_ISSUER,
          audience: config.AUTH_JWT_AUDIENCE,
        });
    await tokens.get();

    // The lamp controllers listen before lighting knows their lamps: its first commands are
    // answered at once. They keep the lighting service's clock, not the simulated one.
    if (config.NATS_URL && layout) {
      phase = 'starting the lamp controllers';
      const nc = await connectNats({
        url: config.NATS_URL,
        name: config.SERVICE_NAME,
        user: config.NATS_USER,
        password: config.NATS_PASSWORD,
        credsFile: config.NATS_CREDS_FILE,
        inboxPrefix: config.NATS_INBOX_PREFIX,
        log,
      });
      const lampClock = clockFromConfig(config);
      const lamps = lampFleetSpecs(layout);
      const fleet = await startLampFleet({
        nc,
        namespace: new Namespace(config.NATS_NAMESPACE),
        clock: lampClock,
        lamps,
        feedbackEveryMs: config.SIMULATOR_LAMP_FEEDBACK_MS,
        log,
      });
      shutdown.add('lamp controllers', async () => {
        await fleet.stop();
        await nc.drain();
      });
      readiness.add('nats', () =>
        nc.isClosed() ? { ok: false, reason: 'nats: connection closed' } : { ok: true },
      );
      log.info(
        {
          file: lightingFile,
          lamps: lamps.length,
          zones: layout.zones.map((z) => z.id),
          clock: { now: new Date(lampClock.now()).toISOString(), speed: lampClock.speed },
          namespace: config.NATS_NAMESPACE || undefined,
        },
        'lamp controllers listening',
      );
    }

    phase = `waiting for ingest at ${config.INGEST_GRPC_ADDRESS}`;
    await waitForIngest({
      address: config.INGEST_GRPC_ADDRESS,
      timeoutMs: config.INGEST_WAIT_TIMEOUT_MS,
      log,
      signal: startUp.signal,
    });
    phase = 'importing the devices';
    const imported = await importDevices({
      address: config.INGEST_GRPC_ADDRESS,
      csv,
      token: await tokens.get(),
    });
    log.info({ file, devices: devices.length, ...imported }, 'devices imported into the registry');

    phase = 'connecting the ways in';
    const ways = new Map<NetworkWay, Way>();
    if (usesMqtt) {
      const connection = await connectMqtt({
        url: config.MQTT_URL,
        clientId:
          config.SIMULATOR_MQTT_CLIENT_ID ?? `slimstad-simulator-${hostname()}-${process.pid}`,
        log,
      });
      shutdown.add('mqtt', () => connection.close());
      readiness.add('mqtt', () =>
        connection.connected() ? { ok: true } : { ok: false, reason: 'mqtt: not connected' },
      );
      const prefix = config.SIMULATOR_MQTT_TOPIC_PREFIX;
      if (uses('lorawan_chirpstack'))
        ways.set('lorawan_chirpstack', chirpstackMqttWay(connection, prefix));
      if (uses('mqtt')) ways.set('mqtt', plainJsonMqttWay(connection, prefix));
    }
    if (uses('lorawan_tts')) {
      ways.set(
        'lorawan_tts',
        ttsWebhookWay({ url: config.INGEST_TTS_WEBHOOK_URL, secret: config.SIMULATOR_TTS_SECRET }),
      );
    }
    if (uses('grpc')) {
      const way = grpcPushWay({ address: config.INGEST_GRPC_ADDRESS, token: () => tokens.get() });
      ways.set('grpc', way);
      shutdown.add('grpc client', () => way.close());
    }

    const reports = metrics.counter(
      'reports_total',
      'Device reports sent to ingest, by way and outcome (accepted, refused, failed, skipped).',
      ['way', 'outcome'],
    );
    const deviceCount = metrics.gauge('devices', 'Simulated devices, by way.', ['way']);
    for (const device of devices) deviceCount.inc({ way: WAY_OF[device.network] });
    const simulator = new Simulator({
      devices,
      ways,
      clock: { startMs: Date.now(), speedup: config.SIMULATOR_SPEEDUP },
      seed: config.SIMULATOR_SEED,
      timeZone: config.SIMULATOR_TIME_ZONE,
      minIntervalMs: config.SIMULATOR_MIN_INTERVAL_MS,
      log,
      onResult: (way, result) =>
        reports.inc({ way, outcome: result.ok ? 'accepted' : result.outcome }),
    });
    simulator.start();
    running = true;
    shutdown.add('simulation', () => simulator.stop());
    const summary = setInterval(
      () =>
        log.info(
          { simulatedTime: simulator.simNow().toISOString(), reports: simulator.tally },
          'reports so far',
        ),
      config.SIMULATOR_SUMMARY_INTERVAL_MS,
    );
    summary.unref();
    shutdown.add('summary', () => {
      clearInterval(summary);
      log.info({ reports: simulator.tally }, 'reports sent');
    });
    log.info(
      {
        devices: devices.length,
        ways: [...ways.values()].map((w) => w.name),
        speedup: config.SIMULATOR_SPEEDUP,
        mqtt: usesMqtt ? redact(config.MQTT_URL) : undefined,
        grpcPort,
        opsPort: ops.port,
      },
      'simulating the demo devices',
    );

    // The demo lamps into lighting, while the devices already report: zones, lamps, profiles.
    if (config.LIGHTING_GRPC_ADDRESS && layout) {
      const address = config.LIGHTING_GRPC_ADDRESS;
      seeding = `waiting for lighting at ${address}`;
      // Changing zones, lamps and profiles takes the admin role; SIMULATOR_TOKEN must carry it.
      const adminTokens = config.SIMULATOR_TOKEN
        ? tokens
        : TokenSource.signed({
            key: config.AUTH_JWT_KEY,
            issuer: config.AUTH_JWT_ISSUER,
            audience: config.AUTH_JWT_AUDIENCE,
            roles: ['admin'],
          });
      await waitForServing({
        service: 'lighting',
        variable: 'LIGHTING_GRPC_ADDRESS',
        address,
        timeoutMs: config.LIGHTING_WAIT_TIMEOUT_MS,
        log,
        signal: startUp.signal,
      });
      seeding = 'seeding the lighting layout';
      const outcome = await seedLighting({
        address,
        layout,
        token: await adminTokens.get(),
        log,
        signal: startUp.signal,
      });
      seeded = true;
      log.info({ file: lightingFile, lighting: address, ...outcome }, 'lighting layout seeded');
    }
  } catch (error) {
    // A SIGTERM during start-up ends the wait for ingest; the shutdown then exits by itself.
    if (shutdown.started) return;
    throw error;
  }
});

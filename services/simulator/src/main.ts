// Composition root of the simulator: config → logs, metrics, health → device file (and
// lighting layout, bollards and waste files) → lamp controllers on the bus (NATS_URL) → wait for
// ingest → import the devices → the ways in → simulate until SIGTERM; then wait for lighting and
// seed the layout (LIGHTING_GRPC_ADDRESS), seed the bollards and play them
// (BOLLARDS_GRPC_ADDRESS), seed the bins and vehicles (WASTE_GRPC_ADDRESS), and the alert rules
// and resource points (ALERTING_GRPC_ADDRESS). No database: it reaches the platform only the way
// field devices, network servers and controllers do.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Metadata } from '@grpc/grpc-js';
import { BollardServiceClient } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards_service';
import {
  clockFromConfig,
  connectNats,
  createClient,
  Namespace,
  promisifyUnary,
  runMain,
  startProcess,
} from '@slimstad/kit';
import { DEMO_ALERTING_FILE, loadAlertingFile } from './alerting/alerting-file.js';
import { seedAlerting } from './alerting/alerting-seed.js';
import { startBollardCity } from './bollards/bollard-city.js';
import { DEMO_BOLLARDS_FILE, parseBollardLayout } from './bollards/bollard-layout.js';
import { seedBollards } from './bollards/bollards-seed.js';
import { simulatorConfigSchema } from './config.js';
import { DeviceFileError, type NetworkWay, parseDevicesCsv } from './domain/devices.js';
import { modelProblems } from './domain/models.js';
import { startLampFleet } from './lamps/lamp-fleet.js';
import { DEMO_LIGHTING_FILE, lampFleetSpecs, loadLightingLayout } from './lamps/layout.js';
import { seedLighting } from './lamps/lighting-seed.js';
import { importDevices, waitForIngest, waitForServing } from './registry.js';
import { Simulator } from './simulator.js';
import { TokenSource } from './tokens.js';
import { DEMO_WASTE_FILE, loadWasteLayout } from './waste/waste-layout.js';
import { seedWaste } from './waste/waste-seed.js';
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

    // The bollards file, when bollards are seeded and played: checked before anything is sent.
    const bollardsFile = config.SIMULATOR_BOLLARDS_FILE ?? DEMO_BOLLARDS_FILE;
    const bollardLayout = config.BOLLARDS_GRPC_ADDRESS
      ? parseBollardLayout(readFileSync(bollardsFile, 'utf8'))
      : undefined;
    if (bollardLayout && !config.NATS_URL) {
      throw new Error(
        'NATS_URL is required with BOLLARDS_GRPC_ADDRESS: the bollard controllers and the reader gateway talk to the service on the bus',
      );
    }
    if (bollardLayout && config.BOLLARDS_IDENTITY_SECRET.length < 32) {
      throw new Error(
        'BOLLARDS_IDENTITY_SECRET (at least 32 characters) is required with BOLLARDS_GRPC_ADDRESS: the bollards service’s own, so the reader gateway’s hashes match its permits',
      );
    }

    // The waste file, when bins and vehicles are seeded: checked against the device file (the
    // bins' sensors) before anything is sent.
    const wasteFile = config.SIMULATOR_WASTE_FILE ?? DEMO_WASTE_FILE;
    const wasteLayout = config.WASTE_GRPC_ADDRESS
      ? loadWasteLayout(readFileSync(wasteFile, 'utf8'), devices)
      : undefined;
    // The alerting file, when alert rules are seeded: checked against the device file (a rule
    // must select devices that report its metric) before anything is sent.
    const alertingFile = config.SIMULATOR_ALERTING_FILE ?? DEMO_ALERTING_FILE;
    const alerting = config.ALERTING_GRPC_ADDRESS
      ? loadAlertingFile(readFileSync(alertingFile, 'utf8'), devices)
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
    let bollardsPhase = 'seeding the bollards after the lighting layout';
    let bollardsPlaying = false;
    if (bollardLayout) {
      readiness.add('bollards', () =>
        bollardsPlaying ? { ok: true } : { ok: false, reason: bollardsPhase },
      );
    }
    let wastePhase = 'seeding the waste bins and vehicles after the bollards';
    let wasteSeeded = false;
    if (wasteLayout) {
      readiness.add('waste', () =>
        wasteSeeded ? { ok: true } : { ok: false, reason: wastePhase },
      );
    }
    // With ALERTING_GRPC_ADDRESS, ready only once the alert rules are seeded too.
    let alertingPhase = 'seeding the alert rules after the waste bins';
    let alertingSeeded = false;
    if (alerting) {
      readiness.add('alerting', () =>
        alertingSeeded ? { ok: true } : { ok: false, reason: alertingPhase },
      );
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
    // One NATS connection for the lamp and bollard controllers, as a field gateway's would be.
    const cityClock = clockFromConfig(config);
    const nc = config.NATS_URL
      ? await connectNats({
          url: config.NATS_URL,
          name: config.SERVICE_NAME,
          user: config.NATS_USER,
          password: config.NATS_PASSWORD,
          credsFile: config.NATS_CREDS_FILE,
          inboxPrefix: config.NATS_INBOX_PREFIX,
          log,
        })
      : undefined;
    if (nc) {
      // Registered first, so it runs last: after the controllers stopped publishing.
      shutdown.add('nats', () => nc.drain());
      readiness.add('nats', () =>
        nc.isClosed() ? { ok: false, reason: 'nats: connection closed' } : { ok: true },
      );
    }
    if (nc && layout) {
      phase = 'starting the lamp controllers';
      const lampClock = cityClock;
      const lamps = lampFleetSpecs(layout);
      const fleet = await startLampFleet({
        nc,
        namespace: new Namespace(config.NATS_NAMESPACE),
        clock: lampClock,
        lamps,
        feedbackEveryMs: config.SIMULATOR_LAMP_FEEDBACK_MS,
        log,
      });
      shutdown.add('lamp controllers', () => fleet.stop());
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

    // Changing zones, lamps, profiles, bollards, permits, bins, vehicles, rules and resource
    // points takes the admin role; SIMULATOR_TOKEN must carry it.
    const adminTokens = config.SIMULATOR_TOKEN
      ? tokens
      : TokenSource.signed({
          key: config.AUTH_JWT_KEY,
          issuer: config.AUTH_JWT_ISSUER,
          audience: config.AUTH_JWT_AUDIENCE,
          roles: ['admin'],
        });

    // The demo lamps into lighting, while the devices already report: zones, lamps, profiles.
    if (config.LIGHTING_GRPC_ADDRESS && layout) {
      const address = config.LIGHTING_GRPC_ADDRESS;
      seeding = `waiting for lighting at ${address}`;
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

    // The demo bollards into the bollards service, then their controllers and the traffic.
    if (config.BOLLARDS_GRPC_ADDRESS && bollardLayout && nc) {
      const address = config.BOLLARDS_GRPC_ADDRESS;
      bollardsPhase = `waiting for bollards at ${address}`;
      await waitForServing({
        service: 'bollards',
        variable: 'BOLLARDS_GRPC_ADDRESS',
        address,
        timeoutMs: config.BOLLARDS_WAIT_TIMEOUT_MS,
        log,
        signal: startUp.signal,
      });
      bollardsPhase = 'seeding the bollards';
      const outcome = await seedBollards({
        address,
        layout: bollardLayout,
        token: await adminTokens.get(),
        nowMs: cityClock.now(),
        log,
        signal: startUp.signal,
      });
      log.info({ file: bollardsFile, address, ...outcome }, 'bollards seeded');
      const controlRoom = createClient(BollardServiceClient, address, { deadlineMs: 10_000 });
      const setEmergencyMode = promisifyUnary(controlRoom, controlRoom.setEmergencyMode);
      const vehicles = metrics.counter(
        'vehicles_total',
        'Vehicles driven up to the demo bollards, by kind and outcome (passed, refused, unanswered, not-lowered).',
        ['kind', 'outcome'],
      );
      const city = await startBollardCity({
        nc,
        namespace: new Namespace(config.NATS_NAMESPACE),
        clock: cityClock,
        layout: bollardLayout,
        secret: config.BOLLARDS_IDENTITY_SECRET,
        seed: config.SIMULATOR_SEED,
        traffic: config.SIMULATOR_TRAFFIC,
        log,
        clearEmergency: async (zoneId, reason) => {
          const metadata = new Metadata();
          metadata.set('authorization', `Bearer ${await adminTokens.get()}`);
          await setEmergencyMode({ zoneId, active: false, reason }, { metadata });
          log.info({ zone: zoneId }, 'control room cleared the emergency mode');
        },
        onVehicle: (vehicle, result) => {
          vehicles.inc({ kind: vehicle.kind, outcome: result.outcome });
          log.debug(
            { kind: vehicle.kind, bollard: vehicle.bollardId, ...result },
            'vehicle at a bollard',
          );
        },
      });
      shutdown.add('bollard controllers', async () => {
        await city.stop();
        controlRoom.close();
        log.info({ vehicles: city.tally }, 'vehicles driven');
      });
      bollardsPlaying = true;
      log.info(
        {
          bollards: bollardLayout.bollards.length,
          zones: bollardLayout.zones.map((z) => z.id),
          traffic: config.SIMULATOR_TRAFFIC,
          clock: { now: new Date(cityClock.now()).toISOString(), speed: cityClock.speed },
        },
        'bollard controllers and traffic playing',
      );
    }

    // The demo bins and vehicles into waste: vehicles, then bins. Their sensors already report.
    if (config.WASTE_GRPC_ADDRESS && wasteLayout) {
      const address = config.WASTE_GRPC_ADDRESS;
      wastePhase = `waiting for waste at ${address}`;
      await waitForServing({
        service: 'waste',
        variable: 'WASTE_GRPC_ADDRESS',
        address,
        timeoutMs: config.WASTE_WAIT_TIMEOUT_MS,
        log,
        signal: startUp.signal,
      });
      wastePhase = 'seeding the waste bins and vehicles';
      const outcome = await seedWaste({
        address,
        layout: wasteLayout,
        token: await adminTokens.get(),
        log,
        signal: startUp.signal,
      });
      wasteSeeded = true;
      log.info({ file: wasteFile, address, ...outcome }, 'waste bins and vehicles seeded');
    }

    // The demo alert rules and sandbag points into alerting.
    if (config.ALERTING_GRPC_ADDRESS && alerting) {
      const address = config.ALERTING_GRPC_ADDRESS;
      alertingPhase = `waiting for alerting at ${address}`;
      await waitForServing({
        service: 'alerting',
        variable: 'ALERTING_GRPC_ADDRESS',
        address,
        timeoutMs: config.ALERTING_WAIT_TIMEOUT_MS,
        log,
        signal: startUp.signal,
      });
      alertingPhase = 'seeding the alert rules and resource points';
      const outcome = await seedAlerting({
        address,
        file: alerting,
        token: await adminTokens.get(),
        log,
        signal: startUp.signal,
      });
      alertingSeeded = true;
      log.info(
        { file: alertingFile, address, ...outcome },
        'alert rules and resource points seeded',
      );
    }
  } catch (error) {
    // A SIGTERM during start-up ends the wait for ingest; the shutdown then exits by itself.
    if (shutdown.started) return;
    throw error;
  }
});

// A city for one end-to-end scenario: the real services (ingest, lighting, bollards, waste,
// alerting, federation) as processes started from their sources, each on its own fresh
// database, all on this scenario's NATS namespace (or its own nats-server, for scenarios that
// restart NATS, or a nats-server the scenario runs — a federated city's — as per-service
// users), sharing one accelerated city clock (CLOCK_START, CLOCK_SPEED, CLOCK_ANCHOR_MS). gRPC ports are
// chosen once and kept across restarts, so clients and field devices find a restarted service
// where it was. The field devices come from the simulator's libraries, in the test process.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { AlertingServiceClient } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting_service';
import { BollardServiceClient } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards_service';
import { FederationServiceClient } from '@slimstad/contracts/gen/slimstad/federation/v1/federation_service';
import { LightingServiceClient } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting_service';
import { IngestServiceClient } from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import { WasteServiceClient } from '@slimstad/contracts/gen/slimstad/waste/v1/waste_service';
import {
  type Clock,
  checkHealth,
  createClient,
  localTime,
  Namespace,
  promisifyUnary,
  type Role,
  scaledClock,
  signToken,
} from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  eventually,
  freePort,
  type ServiceProcess,
  startService,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { inject } from 'vitest';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const KEY = 'e2e-city-signing-key-0123456789abcdef';
export const IDENTITY_SECRET = 'e2e-city-identity-secret-0123456789abcdef';
const MQTT_URL = 'mqtt://127.0.0.1:1883';

export type ServiceName = 'ingest' | 'lighting' | 'bollards' | 'waste' | 'alerting' | 'federation';

const ENTRIES: Record<ServiceName, string> = {
  ingest: 'services/ingest/src/main.ts',
  lighting: 'services/lighting/src/main.ts',
  bollards: 'services/bollards/src/main.ts',
  waste: 'services/waste/src/main.ts',
  alerting: 'services/alerting/src/main.ts',
  federation: 'services/federation/src/main.ts',
};

/**
 * Timers that run in real time, shortened so a scenario on an accelerated clock sees them act
 * within seconds (the bench's and the services' own tests' settings).
 */
const FAST: Record<ServiceName, Record<string, string>> = {
  ingest: {},
  lighting: {
    LIGHTING_TICK_MS: '100',
    LIGHTING_HEARTBEAT_MS: '250',
    LIGHTING_ACK_TIMEOUT_MS: '1000',
    // Clock ms: ten minutes of the city, a few real seconds at the scenarios' speeds.
    LIGHTING_FAIL_SAFE_AFTER_MS: '600000',
    LIGHTING_PERSIST_MS: '500',
  },
  bollards: {
    BOLLARDS_IDENTITY_SECRET: IDENTITY_SECRET,
    BOLLARDS_ACK_TIMEOUT_MS: '1000',
    BOLLARDS_RAISE_DELAY_MS: '500',
    BOLLARDS_ADMISSION_HOLD_MS: '20000',
    BOLLARDS_TICK_MS: '50',
    BOLLARDS_HEARTBEAT_MS: '250',
    // Clock ms, as the controllers measure it: ten minutes of the city.
    BOLLARDS_FAIL_AFTER_MS: '600000',
  },
  waste: {
    // A small district is planned in well under a second; the limit only bounds a bad day.
    WASTE_SOLVE_TIME_LIMIT_MS: '2000',
  },
  alerting: {
    HTTP_PORT: '0',
    ALERTING_TICK_MS: '100',
    ALERTING_DISPATCH_POLL_MS: '200',
    ALERTING_RULES_RELOAD_MS: '500',
    ALERTING_RETRY_INITIAL_MS: '200',
    ALERTING_RETRY_MAX_MS: '2000',
    ALERTING_CLAIM_MS: '5000',
  },
  federation: {
    FEDERATION_CITY: 'demo',
    FEDERATION_POLICY_FILE: 'deploy/federation/demo.policy.yaml',
    FEDERATION_LINK_CHECK_MS: '500',
    FEDERATION_POLICY_WATCH_MS: '500',
  },
};

export interface RunningService {
  name: ServiceName;
  /** gRPC address, the same across restarts. */
  address: string;
  process: ServiceProcess;
  /** Stops it (SIGTERM, or SIGKILL as a crash) and starts it again; resolves once SERVING. */
  restart(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export interface CityOptions {
  label: string;
  services: readonly ServiceName[];
  /** City clock at the anchor (a few seconds after the call), ms. */
  clockStartMs: number;
  speed: number;
  /** Runs its own nats-server (JetStream on disk), which `restartNats` can restart. */
  ownNats?: boolean;
  /**
   * Runs on this nats-server instead — e.g. a federated city's, started from its rendered
   * configuration — each service as its own user, with no namespace (the configuration's
   * permissions name the subjects as they are). The server and its streams are the caller's.
   */
  nats?: { url: string; users: Partial<Record<ServiceName, { user: string; password: string }>> };
  env?: Partial<Record<ServiceName, Record<string, string>>>;
}

export interface TestCity {
  clock: Clock;
  natsUrl: string;
  namespace: Namespace;
  /** Before every MQTT topic of this city's ingest (unique per city; its NATS namespace by default). */
  mqttPrefix: string;
  service(name: ServiceName): RunningService;
  token(roles: Role[], subject?: string): Promise<string>;
  ingest(roles?: Role[]): Promise<ReturnType<typeof ingestClient>>;
  lighting(roles?: Role[]): Promise<ReturnType<typeof lightingClient>>;
  bollards(roles?: Role[]): Promise<ReturnType<typeof bollardsClient>>;
  waste(roles?: Role[]): Promise<ReturnType<typeof wasteClient>>;
  alerting(roles?: Role[]): Promise<ReturnType<typeof alertingClient>>;
  federation(roles?: Role[]): Promise<ReturnType<typeof federationClient>>;
  /** Stops the nats-server and starts it again on the same port and store (ownNats). */
  restartNats(): Promise<void>;
  close(): Promise<void>;
}

function ingestClient(address: string, token: string) {
  const c = createClient(IngestServiceClient, address, { token, deadlineMs: 10_000 });
  return {
    client: c,
    queryReadings: promisifyUnary(c, c.queryReadings),
    latest: promisifyUnary(c, c.getLatestReadings),
    close: () => c.close(),
  };
}

function lightingClient(address: string, token: string) {
  const c = createClient(LightingServiceClient, address, { token, deadlineMs: 10_000 });
  return {
    listLampStates: promisifyUnary(c, c.listLampStates),
    energy: promisifyUnary(c, c.getEnergyReport),
    listLamps: promisifyUnary(c, c.listLamps),
    close: () => c.close(),
  };
}

function bollardsClient(address: string, token: string) {
  const c = createClient(BollardServiceClient, address, { token, deadlineMs: 10_000 });
  return {
    listBollardStatus: promisifyUnary(c, c.listBollardStatus),
    createPermit: promisifyUnary(c, c.createPermit),
    listAuditEntries: promisifyUnary(c, c.listAuditEntries),
    getZone: promisifyUnary(c, c.getZone),
    setEmergencyMode: promisifyUnary(c, c.setEmergencyMode),
    close: () => c.close(),
  };
}

function wasteClient(address: string, token: string) {
  const c = createClient(WasteServiceClient, address, { token, deadlineMs: 30_000 });
  return {
    createBin: promisifyUnary(c, c.createBin),
    listBins: promisifyUnary(c, c.listBins),
    getBin: promisifyUnary(c, c.getBin),
    createVehicle: promisifyUnary(c, c.createVehicle),
    listVehicles: promisifyUnary(c, c.listVehicles),
    listDueBins: promisifyUnary(c, c.listDueBins),
    planRoutes: promisifyUnary(c, c.planRoutes),
    getPlan: promisifyUnary(c, c.getPlan),
    listPlans: promisifyUnary(c, c.listPlans),
    recordEmptied: promisifyUnary(c, c.recordEmptied),
    listAuditEntries: promisifyUnary(c, c.listAuditEntries),
    close: () => c.close(),
  };
}

function alertingClient(address: string, token: string) {
  const c = createClient(AlertingServiceClient, address, { token, deadlineMs: 10_000 });
  return {
    createRule: promisifyUnary(c, c.createRule),
    listRules: promisifyUnary(c, c.listRules),
    listAlerts: promisifyUnary(c, c.listAlerts),
    getAlert: promisifyUnary(c, c.getAlert),
    putResourcePoint: promisifyUnary(c, c.putResourcePoint),
    listResourcePoints: promisifyUnary(c, c.listResourcePoints),
    listNotifications: promisifyUnary(c, c.listNotifications),
    acknowledgeAlert: promisifyUnary(c, c.acknowledgeAlert),
    findNearestResourcePoints: promisifyUnary(c, c.findNearestResourcePoints),
    close: () => c.close(),
  };
}

function federationClient(address: string, token: string) {
  const c = createClient(FederationServiceClient, address, { token, deadlineMs: 10_000 });
  return {
    getPolicy: promisifyUnary(c, c.getPolicy),
    listLinks: promisifyUnary(c, c.listLinks),
    close: () => c.close(),
  };
}

/**
 * The most recent moment, at least `marginMs` ago, when the local time in Brussels was
 * `hh:mm` on one of `weekdays` (0 = Sunday). Scenarios start their clock in the past: ingest
 * stamps readings with the real time and refuses ones from the future, and lighting refuses
 * detections observed too long before its clock's now, so the city clock must never run ahead
 * of the real one during a scenario.
 */
export function lastLocal(
  hhmm: string,
  weekdays: readonly number[],
  marginMs = 3 * 3_600_000,
  nowMs = Date.now(),
): number {
  const [h = 0, m = 0] = hhmm.split(':').map(Number);
  const target = h * 60 + m;
  const start = Math.floor((nowMs - marginMs) / 60_000) * 60_000;
  for (let t = start; nowMs - t < 9 * 86_400_000; t -= 60_000) {
    const local = localTime(t, 'Europe/Brussels');
    if (local.minuteOfDay === target && weekdays.includes(local.weekday)) return t;
  }
  throw new Error(`no ${hhmm} on weekdays ${weekdays.join(',')} in the last nine days`);
}

async function startNats(port: number, storeDir: string): Promise<ChildProcess> {
  const child = spawn(
    '/usr/sbin/nats-server',
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir],
    {
      stdio: 'ignore',
    },
  );
  const url = `nats://127.0.0.1:${port}`;
  await eventually(async () => {
    const nc = await connect({ servers: url, timeout: 1_000 });
    await nc.close();
  }, 15_000);
  return child;
}

export async function startCity(options: CityOptions): Promise<TestCity> {
  if (options.ownNats && options.nats)
    throw new Error('a city runs its own nats-server (ownNats) or a given one (nats), not both');
  const databases: TestDatabase[] = [];
  let natsChild: ChildProcess | undefined;
  let natsPort = 0;
  const storeDir = options.ownNats ? mkdtempSync(join(tmpdir(), 'e2e-nats-')) : '';
  if (options.ownNats) {
    natsPort = await freePort();
    natsChild = await startNats(natsPort, storeDir);
  }
  const natsUrl =
    options.nats?.url ?? (options.ownNats ? `nats://127.0.0.1:${natsPort}` : inject('natsUrl'));
  const ns: TestNamespace = createTestNamespace(natsUrl, options.label);
  // On a caller's server the subjects are as the configuration names them; the namespace
  // still keeps this city's MQTT topics and session apart on the shared broker.
  const natsNamespace = options.nats ? '' : ns.namespace;
  const natsUser = (name: ServiceName): Record<string, string> => {
    if (!options.nats) return {};
    const user = options.nats.users[name];
    if (!user) throw new Error(`no NATS user given for ${name}`);
    return { NATS_USER: user.user, NATS_PASSWORD: user.password };
  };
  // Every process is started by then: the clock starts when the services are up, whatever
  // the machine's load (a generous anchor; before it the clock stands still in effect).
  const anchor = Date.now() + 15_000;
  const clockEnv = {
    CLOCK_START: new Date(options.clockStartMs).toISOString(),
    CLOCK_SPEED: String(options.speed),
    CLOCK_ANCHOR_MS: String(anchor),
  };
  const clock = scaledClock({
    startMs: options.clockStartMs,
    speed: options.speed,
    anchorRealMs: anchor,
  });
  const running = new Map<ServiceName, RunningService>();
  const mqttClientId = `slimstad-ingest-${ns.namespace}`;

  const launch = async (name: ServiceName, database: TestDatabase, port: number) => {
    const env: Record<string, string> = {
      SERVICE_NAME: name,
      DATABASE_URL: database.url,
      NATS_URL: natsUrl,
      NATS_NAMESPACE: natsNamespace,
      ...natsUser(name),
      AUTH_JWT_KEY: KEY,
      GRPC_PORT: String(port),
      OPS_PORT: '0',
      LISTEN_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...clockEnv,
      ...FAST[name],
      ...(name === 'federation'
        ? { FEDERATION_POLICY_FILE: join(REPO, FAST.federation.FEDERATION_POLICY_FILE ?? '') }
        : {}),
      ...(name === 'ingest'
        ? {
            HTTP_PORT: '0',
            MUNICIPALITY_CODE: 'e2e',
            MQTT_URL,
            MQTT_CHIRPSTACK_TOPIC: `${ns.namespace}/application/+/device/+/event/up`,
            MQTT_JSON_TOPIC: `${ns.namespace}/slimstad/readings/+`,
            MQTT_CONNECTIONS: '1',
            MQTT_CLIENT_ID: mqttClientId,
            WEBHOOK_SECRETS: 'chirpstack=e2e-chirpstack-secret,tts=e2e-tts-secret',
          }
        : {}),
      ...options.env?.[name],
    };
    const process = startService(REPO, ENTRIES[name], env);
    const address = `127.0.0.1:${port}`;
    await eventually(async () => {
      if (process.child.exitCode !== null) {
        throw new Error(`${name} exited:\n${process.output.slice(-20).join('\n')}`);
      }
      if ((await checkHealth(address, '', { timeoutMs: 1_000 })) !== 'SERVING')
        throw new Error(`${name} not serving yet`);
    }, 60_000);
    return process;
  };

  try {
    await Promise.all(
      options.services.map(async (name) => {
        const database = await createTestDatabase(inject('databaseUrl'), `e2e${name}`);
        databases.push(database);
        const port = await freePort();
        const service: RunningService = {
          name,
          address: `127.0.0.1:${port}`,
          process: await launch(name, database, port),
          async restart(signal = 'SIGTERM') {
            if (signal === 'SIGKILL') service.process.child.kill('SIGKILL');
            await service.process.stop();
            service.process = await launch(name, database, port);
          },
        };
        running.set(name, service);
      }),
    );
  } catch (error) {
    for (const s of running.values()) await s.process.stop();
    natsChild?.kill('SIGKILL');
    throw error;
  }

  const token = (roles: Role[], subject = 'e2e') => signToken({ key: KEY, subject, roles });
  const service = (name: ServiceName) => {
    const s = running.get(name);
    if (!s) throw new Error(`${name} does not run in this city`);
    return s;
  };
  return {
    clock,
    natsUrl,
    namespace: new Namespace(natsNamespace),
    mqttPrefix: ns.namespace,
    service,
    token,
    ingest: async (roles = ['viewer']) =>
      ingestClient(service('ingest').address, await token(roles)),
    lighting: async (roles = ['viewer']) =>
      lightingClient(service('lighting').address, await token(roles)),
    bollards: async (roles = ['bollard-operator']) =>
      bollardsClient(service('bollards').address, await token(roles)),
    waste: async (roles = ['operator']) =>
      wasteClient(service('waste').address, await token(roles)),
    alerting: async (roles = ['operator']) =>
      alertingClient(service('alerting').address, await token(roles)),
    federation: async (roles = ['viewer']) =>
      federationClient(service('federation').address, await token(roles)),
    async restartNats() {
      if (!natsChild) throw new Error('this city shares the machine’s NATS: start it with ownNats');
      const exited = new Promise((resolve) => natsChild?.once('exit', resolve));
      natsChild.kill('SIGTERM');
      await exited;
      natsChild = await startNats(natsPort, storeDir);
    },
    async close() {
      for (const s of running.values()) await s.process.stop();
      if (running.has('ingest')) {
        // Drop ingest's persistent MQTT session from the shared broker.
        const { connectAsync } = await import('mqtt');
        const client = await connectAsync(MQTT_URL, {
          clientId: mqttClientId,
          clean: true,
          protocolVersion: 5,
        }).catch(() => undefined);
        await client?.endAsync();
      }
      if (natsChild) {
        natsChild.kill('SIGTERM');
        rmSync(storeDir, { recursive: true, force: true });
      } else if (!options.nats) await ns.cleanup();
      for (const d of databases) await d.drop();
    },
  };
}

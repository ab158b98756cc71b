// A small city as real processes from their sources: ingest, lighting and bollards (and
// alerting and the demo simulator when asked), on one test database (each service in its own schema), one NATS
// namespace and namespaced MQTT topics on the shared Mosquitto. With `otlpEndpoint`, every
// process is preloaded with the kit's telemetry (@slimstad/kit/register) and exports its spans
// there over OTLP/gRPC, as in production.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkHealth } from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  eventually,
  type TestDatabase,
  type TestNamespace,
} from '@slimstad/test-harness';
import { connectAsync } from 'mqtt';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const KEY = 'telemetry-int-test-key-0123456789abcdef';
const REGISTER = fileURLToPath(new URL('../../../services/kit/register.mjs', import.meta.url));
const MQTT_URL = 'mqtt://127.0.0.1:1883';
const TTS_SECRET = 'tts-telemetry-secret-5b1e';
export const IDENTITY_SECRET = 'telemetry-test-identity-secret-0123456789';

export interface CityProcess {
  name: string;
  child: ChildProcess;
  output: string[];
  logs: Record<string, unknown>[];
  grpcPort: number;
  opsPort: number;
  stop(): Promise<void>;
}

export interface City {
  ns: TestNamespace;
  db: TestDatabase;
  natsUrl: string;
  services: Map<string, CityProcess>;
  service(name: string): CityProcess;
  stop(): Promise<void>;
}

function spawnService(
  name: string,
  env: Record<string, string>,
  otlpEndpoint: string | undefined,
): Omit<CityProcess, 'grpcPort' | 'opsPort'> {
  const args = ['--conditions=source', '--import', 'tsx'];
  if (otlpEndpoint) args.push('--import', REGISTER);
  args.push(`services/${name}/src/main.ts`);
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      SERVICE_NAME: name,
      AUTH_JWT_KEY: KEY,
      GRPC_PORT: '0',
      OPS_PORT: '0',
      LISTEN_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...(otlpEndpoint
        ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint, OTEL_BSP_SCHEDULE_DELAY: '200' }
        : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a start-up failure on stderr: kept in output
      }
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    child,
    output,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function logLine(
  p: Omit<CityProcess, 'grpcPort' | 'opsPort'>,
  msg: string,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  return eventually(() => {
    const line = p.logs.find((l) => l.msg === msg);
    if (line) return line;
    if (p.child.exitCode !== null) {
      throw new Error(`${p.name} exited:\n${p.output.slice(-20).join('\n')}`);
    }
    throw new Error(`no "${msg}" from ${p.name} yet`);
  }, timeoutMs);
}

export async function startCity(
  label: string,
  options: {
    databaseUrl: string;
    natsUrl: string;
    otlpEndpoint?: string;
    simulator?: boolean;
    /** Also run alerting (its receivers and route in `env.alerting`). */
    alerting?: boolean;
    /** Also run waste and federation (the local city's policy, shared with no one). */
    waste?: boolean;
    federation?: boolean;
    /** Extra variables per service, e.g. a simulated clock for lighting. */
    env?: Record<string, Record<string, string>>;
  },
): Promise<City> {
  const extra = (name: string) => options.env?.[name] ?? {};
  const db = await createTestDatabase(options.databaseUrl, label);
  const ns = createTestNamespace(options.natsUrl, label);
  const services = new Map<string, CityProcess>();
  const common = {
    DATABASE_URL: db.url,
    NATS_URL: options.natsUrl,
    NATS_NAMESPACE: ns.namespace,
  };
  const mqttClientId = `slimstad-ingest-${ns.namespace}`;
  const city: City = {
    ns,
    db,
    natsUrl: options.natsUrl,
    services,
    service(name) {
      const s = services.get(name);
      if (!s) throw new Error(`${name} is not running in this city`);
      return s;
    },
    async stop() {
      await Promise.all([...services.values()].map((s) => s.stop()));
      const client = await connectAsync(MQTT_URL, {
        clientId: mqttClientId,
        clean: true,
        protocolVersion: 5,
      }).catch(() => undefined);
      await client?.endAsync();
      await ns.cleanup();
      await db.drop();
    },
  };
  const started = [
    spawnService(
      'ingest',
      {
        ...common,
        HTTP_PORT: '0',
        MUNICIPALITY_CODE: 'demo',
        MQTT_URL,
        MQTT_CHIRPSTACK_TOPIC: `${ns.namespace}/application/+/device/+/event/up`,
        MQTT_JSON_TOPIC: `${ns.namespace}/slimstad/readings/+`,
        MQTT_CONNECTIONS: '1',
        MQTT_CLIENT_ID: mqttClientId,
        WEBHOOK_SECRETS: `tts=${TTS_SECRET}`,
        ...extra('ingest'),
      },
      options.otlpEndpoint,
    ),
    spawnService('lighting', { ...common, ...extra('lighting') }, options.otlpEndpoint),
    spawnService(
      'bollards',
      {
        ...common,
        BOLLARDS_IDENTITY_SECRET: IDENTITY_SECRET,
        ...extra('bollards'),
      },
      options.otlpEndpoint,
    ),
  ];
  if (options.alerting) {
    started.push(
      spawnService(
        'alerting',
        { ...common, HTTP_PORT: '0', ...extra('alerting') },
        options.otlpEndpoint,
      ),
    );
  }
  if (options.waste) {
    started.push(spawnService('waste', { ...common, ...extra('waste') }, options.otlpEndpoint));
  }
  if (options.federation) {
    started.push(
      spawnService(
        'federation',
        {
          ...common,
          FEDERATION_CITY: 'demo',
          FEDERATION_POLICY_FILE: join(REPO, 'deploy/federation/demo.policy.yaml'),
          ...extra('federation'),
        },
        options.otlpEndpoint,
      ),
    );
  }
  try {
    for (const p of started) {
      const opsPort = Number((await logLine(p, 'runtime started')).opsPort);
      const grpcPort = Number((await logLine(p, 'gRPC serving')).port);
      services.set(p.name, { ...p, opsPort, grpcPort });
      await eventually(async () => {
        if ((await checkHealth(`127.0.0.1:${grpcPort}`, '', { timeoutMs: 1_000 })) !== 'SERVING')
          throw new Error(`${p.name} not serving yet`);
      }, 60_000);
    }
    if (options.simulator) {
      const ingest = services.get('ingest') as CityProcess;
      const httpPort = Number((await logLine(ingest, 'ingest ready')).httpPort);
      const sim = spawnService(
        'simulator',
        {
          INGEST_GRPC_ADDRESS: `127.0.0.1:${ingest.grpcPort}`,
          INGEST_TTS_WEBHOOK_URL: `http://127.0.0.1:${httpPort}/webhooks/tts`,
          SIMULATOR_TTS_SECRET: TTS_SECRET,
          MQTT_URL,
          SIMULATOR_MQTT_TOPIC_PREFIX: ns.namespace,
          SIMULATOR_SPEEDUP: '600',
          SIMULATOR_MIN_INTERVAL_MS: '1000',
          LIGHTING_GRPC_ADDRESS: `127.0.0.1:${city.service('lighting').grpcPort}`,
          NATS_URL: options.natsUrl,
          NATS_NAMESPACE: ns.namespace,
        },
        options.otlpEndpoint,
      );
      started.push(sim);
      const ready = await logLine(sim, 'simulating the demo devices', 90_000);
      services.set('simulator', {
        ...sim,
        opsPort: Number(ready.opsPort),
        grpcPort: Number(ready.grpcPort),
      });
    }
  } catch (error) {
    for (const p of started) await p.stop();
    await ns.cleanup();
    await db.drop();
    throw error;
  }
  return city;
}

// The service list, each service's environment, and the state-directory lock.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireStateLock } from './infra.mjs';
import { loadServices, serviceEnv, table } from './services.mjs';
import { tempDir } from './test-support.js';

const tmp = tempDir('list');
afterAll(() => tmp.remove());

function list(value: unknown): string {
  const file = join(tmp.dir, `services-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('loadServices', () => {
  it('reads the committed list: ingest, lighting, bollards, waste, federation, alerting, and the simulator pointed at them', () => {
    const [ingest, lighting, bollards, waste, federation, alerting, simulator, ...rest] =
      loadServices(fileURLToPath(new URL('../services.json', import.meta.url)), '/repo');
    expect(rest).toEqual([]);
    expect(ingest).toMatchObject({ name: 'ingest', dir: '/repo/services/ingest' });
    expect(lighting).toMatchObject({ name: 'lighting', dir: '/repo/services/lighting' });
    expect(bollards).toMatchObject({ name: 'bollards', dir: '/repo/services/bollards' });
    expect(bollards!.env.BOLLARDS_IDENTITY_SECRET?.length).toBeGreaterThanOrEqual(32);
    expect(waste).toMatchObject({
      name: 'waste',
      dir: '/repo/services/waste',
      grpcPort: 50055,
      opsPort: 9468,
    });
    // The local city is in no region: its own policy, shared with no one.
    expect(federation).toMatchObject({
      name: 'federation',
      dir: '/repo/services/federation',
      grpcPort: 50057,
      opsPort: 9470,
      env: {
        FEDERATION_CITY: 'demo',
        FEDERATION_POLICY_FILE: '../../deploy/federation/demo.policy.yaml',
      },
    });
    expect(federation!.env.FEDERATION_REGION_FILE).toBeUndefined();
    expect(alerting).toMatchObject({
      name: 'alerting',
      dir: '/repo/services/alerting',
      grpcPort: 50056,
      opsPort: 9469,
    });
    expect(alerting!.env.HTTP_PORT).toBe('8081');
    expect(simulator).toMatchObject({ name: 'simulator', dir: '/repo/services/simulator' });
    // Lighting starts before the simulator, which seeds the demo lamps through its API.
    expect(simulator!.env.LIGHTING_GRPC_ADDRESS).toBe(`127.0.0.1:${lighting!.grpcPort}`);
    // …and the demo bollards through bollards' API, its reader gateway hashing with the same secret.
    expect(simulator!.env.BOLLARDS_GRPC_ADDRESS).toBe(`127.0.0.1:${bollards!.grpcPort}`);
    expect(simulator!.env.BOLLARDS_IDENTITY_SECRET).toBe(bollards!.env.BOLLARDS_IDENTITY_SECRET);
    // …and the demo bins and vehicles through waste's API.
    expect(simulator!.env.WASTE_GRPC_ADDRESS).toBe(`127.0.0.1:${waste!.grpcPort}`);
    // …and the demo alert rules and sandbag points through alerting's API.
    expect(simulator!.env.ALERTING_GRPC_ADDRESS).toBe(`127.0.0.1:${alerting!.grpcPort}`);
    const all = [ingest, lighting, bollards, waste, federation, alerting, simulator];
    expect(new Set(all.map((s) => s!.grpcPort)).size).toBe(7);
    expect(new Set(all.map((s) => s!.opsPort)).size).toBe(7);
    expect(alerting!.env.HTTP_PORT).not.toBe(ingest!.env.HTTP_PORT);
    // The simulator reaches ingest's gRPC port and HTTP edge with ingest's tts secret.
    expect(simulator!.env.INGEST_GRPC_ADDRESS).toBe(`127.0.0.1:${ingest!.grpcPort}`);
    expect(simulator!.env.INGEST_TTS_WEBHOOK_URL).toBe(
      `http://127.0.0.1:${ingest!.env.HTTP_PORT}/webhooks/tts`,
    );
    expect(ingest!.env.WEBHOOK_SECRETS).toContain(`tts=${simulator!.env.SIMULATOR_TTS_SECRET}`);
    expect(simulator!.env.MQTT_URL).toBe(ingest!.env.MQTT_URL);
  });

  it('resolves dirs against the repository and keeps env and pgliteEnv', () => {
    const services = loadServices(
      list([
        {
          name: 'ingest',
          dir: 'services/ingest',
          grpcPort: 50051,
          opsPort: 9464,
          env: { A: 'b' },
          pgliteEnv: { C: 'd' },
        },
        { name: 'other', dir: 'services/other', grpcPort: 50052, opsPort: 9465 },
      ]),
      '/repo',
    );
    expect(services).toEqual([
      {
        name: 'ingest',
        dir: '/repo/services/ingest',
        grpcPort: 50051,
        opsPort: 9464,
        env: { A: 'b' },
        pgliteEnv: { C: 'd' },
      },
      {
        name: 'other',
        dir: '/repo/services/other',
        grpcPort: 50052,
        opsPort: 9465,
        env: {},
        pgliteEnv: {},
      },
    ]);
  });

  it('lists every problem at once', () => {
    const file = list([
      { name: 'Bad Name', dir: 'services/x', grpcPort: 1, opsPort: 2 },
      { name: 'ingest', grpcPort: 70000, opsPort: 3, env: { N: 1 } },
      { name: 'ingest', dir: 'services/y', grpcPort: 3, opsPort: 4 },
    ]);
    let message = '';
    try {
      loadServices(file, '/repo');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('"name" must be lower-case letters');
    expect(message).toContain('(ingest): "dir" is required');
    expect(message).toContain('"grpcPort" must be a port number');
    expect(message).toContain('"env" must be an object of string values');
    expect(message).toContain('"name" ingest appears twice');
    expect(message).toContain('"grpcPort" 3 is already used by ingest.opsPort');
  });

  it('refuses a file that is not a JSON array', () => {
    expect(() => loadServices(list({}), '/repo')).toThrow(/must hold a JSON array/);
    expect(() => loadServices(join(tmp.dir, 'absent.json'), '/repo')).toThrow(/cannot read/);
  });
});

describe('serviceEnv', () => {
  it('gives each service its name, servers, ports, key and log level, its own env last', () => {
    const env = serviceEnv(
      {
        name: 'lighting',
        dir: '/x',
        grpcPort: 50052,
        opsPort: 9465,
        env: { LOG_LEVEL: 'debug', ZONES: '3' },
        pgliteEnv: { BULK: 'insert' },
      },
      { databaseUrl: 'postgres://db', natsUrl: 'nats://n', authKey: 'k', logLevel: 'info' },
    );
    expect(env).toEqual({
      SERVICE_NAME: 'lighting',
      DATABASE_URL: 'postgres://db',
      NATS_URL: 'nats://n',
      GRPC_PORT: '50052',
      OPS_PORT: '9465',
      LISTEN_HOST: '127.0.0.1',
      AUTH_JWT_KEY: 'k',
      LOG_LEVEL: 'debug',
      ZONES: '3',
    });
  });

  it('adds the PGlite settings only on the embedded database', () => {
    const service = {
      name: 'ingest',
      dir: '/x',
      grpcPort: 50051,
      opsPort: 9464,
      env: { BULK: 'copy' },
      pgliteEnv: { BULK: 'insert' },
    };
    const shared = {
      databaseUrl: 'postgres://db',
      natsUrl: 'nats://n',
      authKey: 'k',
      logLevel: 'info',
    };
    expect(serviceEnv(service, shared)).toMatchObject({ BULK: 'copy' });
    expect(serviceEnv(service, { ...shared, embedded: true })).toMatchObject({ BULK: 'insert' });
  });

  it('aligns table columns', () => {
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toEqual(['a    bb', 'ccc  d']);
  });
});

describe('acquireStateLock', () => {
  it('lets one city use a state directory at a time and takes over a stale lock', () => {
    const state = join(tmp.dir, 'state');
    const release = acquireStateLock(state);
    writeFileSync(join(state, 'city.pid'), '1\n'); // pid 1 is alive: another city
    expect(() => acquireStateLock(state)).toThrow(/another local city \(pid 1\) is running/);
    writeFileSync(join(state, 'city.pid'), '999999999\n'); // no such process: stale
    const again = acquireStateLock(state);
    again();
    release();
  });
});

// The real program, run in-process with captured output, against a real kit gRPC server.
import { createServer } from 'node:net';
import { protoFiles, protoRoot } from '@slimstad/contracts';
import {
  DeviceRegistryServiceService,
  GetDeviceResponse,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import { AppError } from '@slimstad/kit/errors';
import {
  createGrpcServer,
  createTokenVerifier,
  defineService,
  type GrpcServer,
} from '@slimstad/kit/grpc/index';
import { Readiness } from '@slimstad/kit/health';
import { createLogger } from '@slimstad/kit/log';
import { createMetrics } from '@slimstad/kit/telemetry/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from './commands/index.js';
import { run } from './index.js';

const KEY = 'cli-test-secret-0123456789abcdef';
let dependencyUp = true;
let server: GrpcServer;
let api: string;

const notFound = () => {
  throw new AppError('NOT_FOUND', 'device nope not found');
};
const registry = defineService(DeviceRegistryServiceService, {
  getDevice: {
    roles: ['viewer'],
    handle: async (request, ctx) => {
      if (request.deviceId === 'nope') notFound();
      return GetDeviceResponse.fromPartial({
        device: { id: request.deviceId, name: `for ${ctx.principal.subject}` },
      });
    },
  },
  registerDevice: {
    roles: ['operator'],
    handle: async () => {
      throw new AppError('INVALID_ARGUMENT', 'device is invalid', [
        { field: 'device.zone', description: 'must be a single NATS token' },
      ]);
    },
  },
  updateDevice: { roles: ['operator'], handle: async () => notFound() },
  decommissionDevice: { roles: ['operator'], handle: async () => notFound() },
  listDevices: { roles: ['viewer'], handle: async () => ({ devices: [] }) },
  importDevices: { roles: ['admin'], handle: async () => notFound() },
});

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await run(
    args,
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env,
    },
    { commands },
  );
  return { code, stdout, stderr };
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  const readiness = new Readiness();
  readiness.add('dependency', () => (dependencyUp ? { ok: true } : { ok: false, reason: 'down' }));
  server = createGrpcServer({
    log: createLogger('cli-test', 'silent'),
    metrics: createMetrics('cli-test', { defaultMetrics: false }),
    readiness,
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [registry],
    reflection: { protoRoot, protoFiles },
  });
  api = `127.0.0.1:${await server.start(0, '127.0.0.1')}`;
});

afterAll(async () => {
  await server?.shutdown(1_000);
});

describe('slimstad health', () => {
  it('prints a table by default', async () => {
    const result = await cli(['health', '--api', api]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe('SERVICE    STATUS\n(server)   SERVING\n');
  });

  it('prints JSON with --output json, and takes the address from SLIMSTAD_API', async () => {
    const result = await cli(
      ['--output', 'json', 'health', 'slimstad.sensor.v1.DeviceRegistryService'],
      { SLIMSTAD_API: api },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      api,
      service: 'slimstad.sensor.v1.DeviceRegistryService',
      status: 'SERVING',
    });
  });

  it('exits 1 when the server is not serving', async () => {
    dependencyUp = false;
    try {
      const result = await cli(['health', '--api', api, '-o', 'json']);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'NOT_SERVING' });
    } finally {
      dependencyUp = true;
    }
  });

  it('says clearly when the address cannot be reached', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const result = await cli(['health', '--api', address, '--timeout', '3000']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `slimstad: cannot reach ${address} (UNAVAILABLE) — is the service running? set --api or SLIMSTAD_API\n`,
    );
  });
});

describe('slimstad services', () => {
  it('lists the services through reflection', async () => {
    const table = await cli(['services', '--api', api]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')).toEqual([
      'SERVICE',
      'grpc.health.v1.Health',
      'slimstad.sensor.v1.DeviceRegistryService',
      '',
    ]);
    const json = await cli(['services', '--api', api, '--output', 'json']);
    expect(JSON.parse(json.stdout)).toEqual({
      api,
      services: ['grpc.health.v1.Health', 'slimstad.sensor.v1.DeviceRegistryService'],
    });
  });
});

describe('slimstad token create', () => {
  it('creates a token the services accept', async () => {
    const created = await cli([
      'token',
      'create',
      '--subject',
      'jan',
      '--roles',
      'viewer',
      '--ttl',
      '5m',
      '--key',
      KEY,
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const token = created.stdout.trim();
    expect(token.split('.')).toHaveLength(3);

    const device = await cli([
      'devices',
      'get',
      'wl-001',
      '--api',
      api,
      '--token',
      token,
      '-o',
      'json',
    ]);
    expect(device).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(device.stdout)).toMatchObject({ id: 'wl-001', name: 'for jan' });

    const table = await cli(['devices', 'get', 'wl-001'], {
      SLIMSTAD_API: api,
      SLIMSTAD_TOKEN: token,
    });
    const [header, row] = table.stdout.trimEnd().split('\n');
    expect(header?.split(/\s+/)).toEqual([
      'ID',
      'TYPE',
      'STATUS',
      'ZONE',
      'NETWORK',
      'METRICS',
      'NAME',
    ]);
    expect(row).toMatch(/^wl-001\s.*\sfor jan$/);
  });

  it('reads the key from AUTH_JWT_KEY and prints details as JSON', async () => {
    const created = await cli(
      [
        'token',
        'create',
        '--subject',
        'marie',
        '--roles',
        'operator,bollard-operator',
        '-o',
        'json',
      ],
      {
        AUTH_JWT_KEY: KEY,
      },
    );
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as {
      token: string;
      roles: string[];
      subject: string;
      expiresAt: string;
    };
    expect(body).toMatchObject({ subject: 'marie', roles: ['operator', 'bollard-operator'] });
    expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 7 * 3_600_000);
  });

  it('refuses unknown roles and a missing key', async () => {
    const badRole = await cli([
      'token',
      'create',
      '--subject',
      'jan',
      '--roles',
      'viewer,root',
      '--key',
      KEY,
    ]);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain(
      'unknown role root; roles are viewer, operator, bollard-operator, admin',
    );
    const noKey = await cli(['token', 'create', '--subject', 'jan', '--roles', 'viewer']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toBe(
      'slimstad: no signing key: pass --key or set AUTH_JWT_KEY to the secret the services verify tokens with\n',
    );
  });
});

describe('errors', () => {
  it('explains a missing or insufficient token, and lists field violations', async () => {
    const anonymous = await cli(['devices', 'get', 'wl-001', '--api', api]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(
      /^slimstad: not authenticated: missing bearer token \(UNAUTHENTICATED\) — pass --token/,
    );

    const viewer = (
      await cli(['token', 'create', '--subject', 'jan', '--roles', 'viewer', '--key', KEY])
    ).stdout.trim();
    const denied = await cli([
      'devices',
      'register',
      '--id',
      'wl-002',
      '--api',
      api,
      '--token',
      viewer,
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('slimstad: permission denied:');
    expect(denied.stderr).toContain('requires role operator');

    const operator = (
      await cli(['token', 'create', '--subject', 'jan', '--roles', 'operator', '--key', KEY])
    ).stdout.trim();
    const invalid = await cli([
      'devices',
      'register',
      '--id',
      'wl-002',
      '--api',
      api,
      '--token',
      operator,
    ]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toBe(
      'slimstad: device is invalid (INVALID_ARGUMENT)\n  - device.zone: must be a single NATS token\n',
    );

    const missing = await cli(['devices', 'get', 'nope', '--api', api, '--token', viewer]);
    expect(missing.stderr).toBe('slimstad: device nope not found (NOT_FOUND)\n');
  });

  it('rejects a bad --output value clearly', async () => {
    const result = await cli(['--output', 'yaml', 'health', '--api', api]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^slimstad: option '-o, --output <json\|table>' argument 'yaml' is invalid\. must be table or json\./,
    );
  });

  it('rejects an unknown command', async () => {
    const result = await cli(['lights']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^slimstad: unknown command 'lights'/);
  });
});

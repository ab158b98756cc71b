// `slimstad federation …`: the real program, run in-process, against a real kit gRPC server
// serving a fake FederationService that records every request.
import { protoFiles, protoRoot } from '@slimstad/contracts';
import { LinkState } from '@slimstad/contracts/gen/slimstad/federation/v1/federation';
import {
  FederationServiceService,
  type GetPolicyResponse,
  type ReloadPolicyRequest,
} from '@slimstad/contracts/gen/slimstad/federation/v1/federation_service';
import {
  createGrpcServer,
  createTokenVerifier,
  defineService,
  type GrpcServer,
  signToken,
} from '@slimstad/kit/grpc/index';
import { createLogger } from '@slimstad/kit/log';
import { createMetrics } from '@slimstad/kit/telemetry/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../index.js';

const KEY = 'cli-federation-secret-0123456789abcdef';
const reloads: ReloadPolicyRequest[] = [];
const policy: GetPolicyResponse = {
  city: 'brugge',
  shares: [
    {
      name: 'water_levels',
      granularity: 'aggregated',
      metrics: ['water_level'],
      aggregateBy: 'station',
      function: 1,
      windowSeconds: 900,
      to: ['kortrijk', 'oostende'],
      subject: 'share.water_levels.>',
    },
    {
      name: 'alert',
      granularity: 'alerts',
      metrics: [],
      aggregateBy: '',
      function: 0,
      windowSeconds: 0,
      to: [],
      subject: 'share.alert.cap',
    },
  ],
  source: 'city: brugge',
  digest: 'abc',
  loadedAt: new Date('2026-12-03T10:00:00Z'),
};

const service = defineService(FederationServiceService, {
  getPolicy: { roles: ['viewer'], handle: async () => policy },
  reloadPolicy: {
    roles: ['admin'],
    handle: async (request) => {
      reloads.push(request);
      return { policy, changed: true };
    },
  },
  listLinks: {
    roles: ['viewer'],
    handle: async () => ({
      hubUp: true,
      links: [
        {
          neighbour: 'kortrijk',
          stream: 'alert',
          direction: 'in',
          state: LinkState.LINK_STATE_STALLED,
          lagMessages: 3n,
          lastActivityAt: new Date('2026-12-03T10:01:00Z'),
          reason: 'neighbour alert stalled 3 behind',
        },
      ],
    }),
  },
  listPolicyAudit: {
    roles: ['viewer'],
    handle: async () => ({
      entries: [
        {
          at: new Date('2026-12-03T10:00:00Z'),
          actor: 'ada',
          reason: 'hourly',
          digest: 'abc',
          changed: true,
        },
      ],
    }),
  },
});

let server: GrpcServer;
let env: Record<string, string>;

beforeAll(async () => {
  server = createGrpcServer({
    log: createLogger('cli-federation-test', 'silent'),
    metrics: createMetrics('cli-federation-test', { defaultMetrics: false }),
    auth: createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' }),
    services: [service],
    reflection: { protoRoot, protoFiles },
  });
  env = {
    SLIMSTAD_FEDERATION_API: `127.0.0.1:${await server.start(0, '127.0.0.1')}`,
    SLIMSTAD_TOKEN: await signToken({ key: KEY, subject: 'ada', roles: ['admin'] }),
  };
});
afterAll(() => server.shutdown(1_000));

async function slimstad(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env,
  });
  return { code, stdout, stderr };
}

describe('slimstad federation', () => {
  it('policy: what is shared, on which subject, at what granularity, with whom', async () => {
    const { code, stdout } = await slimstad('federation', 'policy');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /water_levels\s+share\.water_levels\.>\s+avg per station per 15 min\s+water_level\s+kortrijk,oostende/,
    );
    expect(stdout).toMatch(/alert\s+share\.alert\.cap\s+alerts\s+-\s+\(nobody\)/);
  });

  it('policy reload needs a reason and says whether it changed', async () => {
    expect((await slimstad('federation', 'policy', 'reload')).code).toBe(2);
    const { code, stderr } = await slimstad(
      'federation',
      'policy',
      'reload',
      '--reason',
      'new stream',
    );
    expect(code).toBe(0);
    expect(stderr).toContain('policy changed and in force');
    expect(reloads).toEqual([{ reason: 'new stream' }]);
  });

  it('links and audit', async () => {
    const links = await slimstad('federation', 'links');
    expect(links.stdout).toMatch(
      /kortrijk\s+alert\s+in\s+stalled\s+3\s+2026-12-03T10:01:00.000Z\s+neighbour alert stalled 3 behind/,
    );
    const json = await slimstad('federation', 'links', '--output', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      hubUp: true,
      links: [{ state: 'LINK_STATE_STALLED', lagMessages: '3' }],
    });
    const audit = await slimstad('federation', 'audit');
    expect(audit.stdout).toMatch(/ada\s+yes\s+hourly/);
  });
});

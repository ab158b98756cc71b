// Every overlay renders with `kubectl kustomize`, every object is valid against the
// Kubernetes schemas with no unknown field, and the manifests keep the services' constraints:
// probes, resources, a hardened securityContext, a PDB each, an HPA only where stateless,
// default-deny networking with a policy per workload, NATS and Postgres as StatefulSets, and
// NATS configurations that nats-server accepts. The overlays are the region's: one per city of
// deploy/region.yaml plus the hub, each taking the configuration `pnpm federation:render` wrote
// for it, with everything that configuration reads from its environment supplied by the pod.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats, createLogger } from '@slimstad/kit';
import { eventually, freePort } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCatalogue } from './generate.mjs';
import {
  type K8sObject,
  render,
  repo,
  schemaProblems,
  unknownFieldProblems,
} from './kubernetes.js';

const region = parse(readFileSync(join(repo, 'deploy/region.yaml'), 'utf8')) as {
  cities: { id: string }[];
};
const CITIES = region.cities.map((c) => c.id);
const OVERLAYS = [...CITIES, 'hub'];
const catalogue = loadCatalogue() as {
  services: { name: string; scaling: unknown; kubernetes?: boolean; database?: boolean }[];
};
const deployable = catalogue.services.filter((s) => s.kubernetes !== false);

const rendered = new Map<string, K8sObject[]>();
beforeAll(() => {
  for (const overlay of OVERLAYS) rendered.set(overlay, render(`k8s/overlays/${overlay}`));
}, 60_000);

const of = (overlay: string, kind: string, name?: string) =>
  (rendered.get(overlay) ?? []).filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );

describe('every overlay', () => {
  it('exists for the hub and each city of deploy/region.yaml, and for nothing else', () => {
    const dirs = readdirSync(join(repo, 'k8s/overlays')).filter((d) =>
      existsSync(join(repo, 'k8s/overlays', d, 'kustomization.yaml')),
    );
    expect(dirs.sort()).toEqual([...OVERLAYS].sort());
  });

  it('renders objects that match the Kubernetes schemas', async () => {
    for (const overlay of OVERLAYS) {
      expect(rendered.get(overlay)?.length, overlay).toBeGreaterThan(5);
      expect(await schemaProblems(rendered.get(overlay) ?? []), overlay).toEqual([]);
    }
  }, 60_000);

  it('has no unknown or misspelled field in any object', () => {
    expect(unknownFieldProblems(OVERLAYS.flatMap((o) => rendered.get(o) ?? []))).toEqual([]);
  }, 60_000);

  it('and the strict check does catch a misspelled field', () => {
    const objects = structuredClone(rendered.get(CITIES[0] as string) ?? []);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    deployment.spec.template.spec.containers[0].readinesProbe = { httpGet: { path: '/readyz' } };
    const problems = unknownFieldProblems([deployment as K8sObject]);
    expect(problems.join('\n')).toMatch(/readinesProbe/);
  }, 60_000);

  it('puts everything in its own namespace, closed by default', () => {
    for (const overlay of OVERLAYS) {
      const objects = rendered.get(overlay) ?? [];
      const namespace = `slimstad-${overlay}`;
      expect(of(overlay, 'Namespace').map((n) => n.metadata.name)).toEqual([namespace]);
      for (const o of objects.filter((o) => o.kind !== 'Namespace')) {
        expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(namespace);
      }
      const deny = of(overlay, 'NetworkPolicy', 'default-deny')[0];
      expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    }
  });
});

describe.each(CITIES)('the %s overlay', (city) => {
  it('deploys every service of the catalogue with probes, resources and a hardened pod', () => {
    const deployments = of(city, 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(
      deployable.map((s) => s.name).sort(),
    );
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const [c] = pod.containers;
      expect(c.livenessProbe.httpGet.path, d.metadata.name).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path, d.metadata.name).toBe('/readyz');
      expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'memory']);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(15); // > SHUTDOWN_TIMEOUT_MS
      // Settings from ConfigMaps, secrets only by reference.
      expect(c.envFrom.map((e: { configMapRef: { name: string } }) => e.configMapRef.name)).toEqual(
        [
          expect.stringMatching(/^slimstad-city-/),
          expect.stringMatching(new RegExp(`^slimstad-${d.metadata.name}-`)),
        ],
      );
      for (const e of c.env)
        expect(e.value === undefined || !/PASSWORD|SECRET|KEY/.test(e.name)).toBe(true);
    }
  });

  it('runs lighting and bollards as one active replica: no HPA, Recreate, an evictable PDB', () => {
    for (const name of ['lighting', 'bollards']) {
      const d = of(city, 'Deployment', name)[0]!;
      expect(d.spec.replicas).toBe(1);
      expect(d.spec.strategy).toEqual({ type: 'Recreate' });
      expect(of(city, 'HorizontalPodAutoscaler', name)).toEqual([]);
      expect(of(city, 'PodDisruptionBudget', name)[0]?.spec.maxUnavailable).toBe(1);
    }
  });

  it('scales stateless services with an HPA and keeps one pod through disruptions', () => {
    for (const s of deployable.filter((s) => s.scaling !== 'singleton')) {
      const d = of(city, 'Deployment', s.name)[0]!;
      expect(d.spec.replicas, s.name).toBeUndefined(); // the HPA owns it
      expect(of(city, 'HorizontalPodAutoscaler', s.name)[0]?.spec.scaleTargetRef.name).toBe(s.name);
      expect(of(city, 'PodDisruptionBudget', s.name)[0]?.spec.minAvailable).toBe(1);
    }
  });

  it('has a NetworkPolicy for every workload, each allowing only named ports', () => {
    const workloads = [...of(city, 'Deployment'), ...of(city, 'StatefulSet')];
    const policies = of(city, 'NetworkPolicy').filter((p) => p.metadata.name !== 'default-deny');
    for (const w of workloads) {
      const app = w.spec.template.metadata.labels['app.kubernetes.io/name'];
      const own = policies.filter(
        (p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === app,
      );
      expect(own.length, `${w.kind}/${w.metadata.name}`).toBeGreaterThan(0);
      for (const p of own) {
        for (const rule of [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])]) {
          expect(rule.ports?.length, `${p.metadata.name}: a rule without ports`).toBeGreaterThan(0);
        }
      }
    }
    // A service that owns a schema reaches Postgres; Postgres admits only such pods.
    for (const s of deployable.filter((s) => s.database)) {
      const d = of(city, 'Deployment', s.name)[0]!;
      expect(d.spec.template.metadata.labels['slimstad.io/database']).toBe('true');
    }
  });

  it('runs NATS and Postgres as StatefulSets with storage, NATS configured from the overlay', () => {
    const nats = of(city, 'StatefulSet', 'nats')[0]!;
    expect(nats.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(natsConf(city)).toMatch(/remotes/);
    expect(of(city, 'StatefulSet', 'postgres')[0]?.spec.volumeClaimTemplates).toHaveLength(1);
  });
});

/** The overlay's nats.conf as mounted: the ConfigMap the StatefulSet's config volume names. */
function natsConf(overlay: string): string {
  const nats = of(overlay, 'StatefulSet', 'nats')[0]!;
  const volume = nats.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'config');
  const [cm] = of(overlay, 'ConfigMap', volume?.configMap?.name);
  expect(cm, `${overlay}: the ConfigMap of the nats config volume`).toBeDefined();
  const conf = (cm?.data as Record<string, string> | undefined)?.['nats.conf'];
  expect(conf, `${overlay}: nats.conf in ${cm?.metadata.name}`).toBeTypeOf('string');
  return conf as string;
}

/** The environment variables a configuration reads: unquoted `$NAME` values, outside comments. */
const variables = (conf: string) =>
  [
    ...new Set(
      [...conf.replace(/#.*$/gm, '').matchAll(/[:=]\s*\$([A-Z_][A-Z0-9_]*)\b/g)].map(
        ([, v]) => v as string,
      ),
    ),
  ].sort();

/** The NATS container's literal env values (what a test may reuse as it is). */
function literalEnv(overlay: string): Record<string, string> {
  const [c] = of(overlay, 'StatefulSet', 'nats')[0]?.spec.template.spec.containers ?? [];
  return Object.fromEntries(
    (c?.env ?? [])
      .filter((e: { value?: string }) => e.value !== undefined)
      .map((e: { name: string; value: string }) => [e.name, e.value]),
  );
}

describe.each(OVERLAYS)('the NATS of the %s overlay', (overlay) => {
  it("is the region's configuration rendered for it (deploy/nats/rendered)", () => {
    const rendered = readFileSync(join(repo, `deploy/nats/rendered/${overlay}.conf`), 'utf8');
    expect(natsConf(overlay)).toBe(rendered);
    if (overlay === 'hub') {
      for (const city of CITIES)
        expect(rendered).toMatch(new RegExp(`^  ${city.toUpperCase()} \\{`, 'm'));
    } else {
      expect(rendered).toMatch(new RegExp(`domain: ${overlay}\\n`));
      expect(rendered).toMatch(/url: \$HUB_LEAF_URL, account: CITY/);
    }
  });

  it('gets every variable of its configuration from the pod: a value, a Secret key or nats-passwords', () => {
    const [c] = of(overlay, 'StatefulSet', 'nats')[0]?.spec.template.spec.containers ?? [];
    const env = new Map<
      string,
      { value?: string; valueFrom?: { secretKeyRef?: { optional?: boolean } } }
    >((c?.env ?? []).map((e: { name: string }) => [e.name, e]));
    const fromPasswords = (c?.envFrom ?? []).some(
      (e: { secretRef?: { name: string } }) => e.secretRef?.name === 'nats-passwords',
    );
    const vars = variables(natsConf(overlay));
    expect(vars.length).toBeGreaterThan(1);
    for (const v of vars) {
      const e = env.get(v);
      const supplied =
        e?.value !== undefined ||
        (e?.valueFrom?.secretKeyRef !== undefined && e.valueFrom.secretKeyRef.optional !== true) ||
        (/_PASSWORD$/.test(v) && fromPasswords);
      expect(supplied, `${overlay}: $${v} is not supplied by the nats container`).toBe(true);
    }
    // Nothing set that the configuration does not read (a stale name is a silent misconfiguration).
    for (const name of env.keys()) expect(vars, `${overlay}: env ${name}`).toContain(name);
  });

  it('listens where the Services, the probes and the leaf node port expect it', () => {
    const conf = natsConf(overlay);
    const nats = of(overlay, 'StatefulSet', 'nats')[0]!;
    const [c] = nats.spec.template.spec.containers;
    const port = (name: string) =>
      c.ports.find((p: { name: string }) => p.name === name)?.containerPort as number;
    expect(conf).toMatch(new RegExp(`^port: ${port('client')}$`, 'm'));
    expect(conf).toMatch(new RegExp(`^http_port: ${port('monitor')}$`, 'm'));
    expect(c.livenessProbe.httpGet.port).toBe('monitor');
    expect(c.readinessProbe.httpGet.port).toBe('monitor');
    expect(literalEnv(overlay).NATS_STORE_DIR).toMatch(
      new RegExp(`^${c.volumeMounts.find((m: { name: string }) => m.name === 'data').mountPath}/`),
    );
    if (overlay === 'hub') {
      expect(literalEnv('hub')).toMatchObject({
        HUB_LEAF_HOST: '0.0.0.0',
        HUB_LEAF_PORT: String(port('leafnodes')),
      });
      const leaf = of('hub', 'Service', 'nats-leafnodes')[0]!;
      expect(leaf.spec.ports).toEqual([{ name: 'leafnodes', port: 7422, targetPort: 'leafnodes' }]);
    }
  });
});

describe('NATS configurations', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'slimstad-nats-conf-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The pod's literal env, every other variable of the configuration a random password. */
  const envFor = (overlay: string, conf: string): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    ...Object.fromEntries(variables(conf).map((v) => [v, `p${randomBytes(12).toString('hex')}`])),
    ...literalEnv(overlay),
  });

  it.each(OVERLAYS)('%s: nats-server accepts the rendered configuration', (overlay) => {
    const target = join(dir, `check-${overlay}`);
    mkdirSync(target, { recursive: true });
    const conf = natsConf(overlay);
    writeFileSync(join(target, 'nats.conf'), conf);
    const env: Record<string, string> = {
      ...envFor(overlay, conf),
      NATS_STORE_DIR: join(target, 'js'),
    };
    if (env.HUB_LEAF_URL) env.HUB_LEAF_URL = 'nats-leaf://leaf:pTest@127.0.0.1:7422';
    const run = spawnSync('nats-server', ['-t', '-c', join(target, 'nats.conf')], {
      env,
      encoding: 'utf8',
    });
    expect(`${run.stdout}${run.stderr}`).toMatch(/configuration file .* is valid/);
    expect(run.status).toBe(0);
  });

  it("joins a city's NATS to the hub's account for that city, with the region's configurations", async () => {
    const city = CITIES[0] as string;
    const ACCOUNT = city.toUpperCase();
    const [hubClient, hubMonitor, leafPort, cityClient, cityMonitor] = (await Promise.all(
      Array.from({ length: 5 }, () => freePort()),
    )) as [number, number, number, number, number];
    const processes: ChildProcess[] = [];
    const start = (
      name: string,
      conf: string,
      client: number,
      monitor: number,
      env: Record<string, string>,
    ) => {
      const target = join(dir, `join-${name}`);
      mkdirSync(join(target, 'js'), { recursive: true });
      writeFileSync(join(target, 'nats.conf'), conf);
      const child = spawn(
        'nats-server',
        ['-c', join(target, 'nats.conf'), '-a', '127.0.0.1', '-p', `${client}`, '-m', `${monitor}`],
        { env: { ...env, NATS_STORE_DIR: join(target, 'js') } },
      );
      processes.push(child);
    };
    const hubConf = natsConf('hub');
    const cityConf = natsConf(city);
    // The hub pod's environment, but on loopback and a free leaf node port.
    const hubEnv: Record<string, string> = {
      ...envFor('hub', hubConf),
      HUB_LEAF_HOST: '127.0.0.1',
      HUB_LEAF_PORT: `${leafPort}`,
    };
    const cityEnv = envFor(city, cityConf);
    // The city's Secret nats-leaf: its leaf user and the password the hub's Secret holds for it.
    cityEnv.HUB_LEAF_URL = `nats-leaf://${city}:${hubEnv[`${ACCOUNT}_LEAF_PASSWORD`]}@127.0.0.1:${leafPort}`;
    const json = async <T>(url: string) => (await (await fetch(url)).json()) as T;
    let nc: Awaited<ReturnType<typeof connectNats>> | undefined;
    try {
      start('hub', hubConf, hubClient, hubMonitor, hubEnv);
      start(city, cityConf, cityClient, cityMonitor, cityEnv);
      const leafz = await eventually(async () => {
        const body = await json<{ leafs?: { account: string }[] }>(
          `http://127.0.0.1:${hubMonitor}/leafz`,
        );
        if (!body.leafs?.length) throw new Error('no leaf node connected to the hub yet');
        return body.leafs;
      }, 20_000);
      // The city's leaf user lands in the hub's account for that city, from the city's CITY account.
      expect(leafz.map((l) => l.account)).toEqual([ACCOUNT]);
      const cityLeafz = await json<{ leafs: { account: string }[] }>(
        `http://127.0.0.1:${cityMonitor}/leafz`,
      );
      expect(cityLeafz.leafs.map((l) => l.account)).toEqual(['CITY']);
      const varz = await json<{
        server_name: string;
        jetstream?: { config?: { domain?: string } };
      }>(`http://127.0.0.1:${cityMonitor}/varz`);
      expect(varz.server_name).toBe(`slimstad-${city}`);
      expect(varz.jetstream?.config?.domain).toBe(city);
      // That account carries the region's sharing: it exports only this city's region subjects.
      const accountz = await json<{
        account_detail?: { exports?: { subject: string }[]; imports?: { subject: string }[] };
      }>(`http://127.0.0.1:${hubMonitor}/accountz?acc=${ACCOUNT}`);
      const exported = (accountz.account_detail?.exports ?? []).map((e) => e.subject);
      expect(exported.length).toBeGreaterThan(0);
      for (const subject of exported) expect(subject).toMatch(new RegExp(`^region\\.${city}\\.`));
      expect(
        (accountz.account_detail?.imports ?? []).some((i) => /^region\.(?!_)/.test(i.subject)),
      ).toBe(true);
      // And the city's federation user reaches JetStream in that account at the hub (domain
      // hub) over the leaf node, as the federation service does.
      nc = await connectNats({
        url: `nats://127.0.0.1:${cityClient}`,
        name: 'kubernetes-spec',
        user: 'federation',
        password: cityEnv.FEDERATION_NATS_PASSWORD,
        log: createLogger('kubernetes-spec', 'silent'),
      });
      const info = await eventually(async () => {
        const msg = await nc!.request('$JS.hub.API.INFO', '', { timeout: 2_000 });
        return msg.json<{ type: string; domain?: string; error?: unknown }>();
      }, 20_000);
      expect(info.error).toBeUndefined();
      expect(info.type).toBe('io.nats.jetstream.api.v1.account_info_response');
      expect(info.domain).toBe('hub');
    } finally {
      await nc?.close();
      for (const p of processes) p.kill('SIGTERM');
      await Promise.all(processes.map((p) => new Promise((r) => p.once('exit', r))));
    }
  }, 60_000);
});

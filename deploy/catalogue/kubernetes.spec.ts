// Every overlay renders with `kubectl kustomize`, every object is valid against the
// Kubernetes schemas with no unknown field, and the manifests keep the services' constraints:
// probes, resources, a hardened securityContext, a PDB each, an HPA only where stateless,
// default-deny networking with a policy per workload, NATS and Postgres as StatefulSets, and
// NATS configurations that nats-server accepts.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from './generate.mjs';
import { type K8sObject, render, schemaProblems, unknownFieldProblems } from './kubernetes.js';

const CITIES = ['breda', 'roeselare', 'gent'];
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
    const objects = structuredClone(rendered.get('breda') ?? []);
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
    const sources = nats.spec.template.spec.volumes[0].projected.sources.map(
      (s: { configMap: { name: string } }) => s.configMap.name,
    );
    const [cityConfig] = of(city, 'ConfigMap').filter((c) =>
      c.metadata.name.startsWith('nats-config-'),
    );
    expect(sources).toContain(cityConfig?.metadata.name);
    expect(String((cityConfig?.data as Record<string, string> | undefined)?.['nats.conf'])).toMatch(
      /remotes/,
    );
    expect(of(city, 'StatefulSet', 'postgres')[0]?.spec.volumeClaimTemplates).toHaveLength(1);
  });
});

describe('NATS configurations', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'slimstad-nats-conf-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(OVERLAYS)('%s: nats-server accepts the rendered configuration', (overlay) => {
    const files: Record<string, string> = {};
    for (const cm of of(overlay, 'ConfigMap').filter((c) => c.metadata.name.startsWith('nats-'))) {
      Object.assign(files, cm.data);
    }
    expect(Object.keys(files)).toContain('nats.conf');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(dir, name), text);
      for (const [, variable] of text.matchAll(/\$([A-Z_][A-Z0-9_]*)/g)) {
        env[variable as string] = 'pTestPassword1';
      }
    }
    env.NATS_STORE_DIR = join(dir, 'js');
    env.HUB_LEAF_URL = 'nats://leaf:pTest@127.0.0.1:7422';
    const run = spawnSync('nats-server', ['-t', '-c', join(dir, 'nats.conf')], {
      env,
      encoding: 'utf8',
    });
    expect(`${run.stdout}${run.stderr}`).toMatch(/configuration file .* is valid/);
    expect(run.status).toBe(0);
  });

  it("joins a city's NATS to the hub over its leaf node, with the rendered configurations", async () => {
    const write = (overlay: string, sub: string) => {
      const target = join(dir, sub);
      mkdirSync(join(target, 'js'), { recursive: true });
      for (const cm of of(overlay, 'ConfigMap').filter((c) => c.metadata.name.startsWith('nats-')))
        for (const [name, text] of Object.entries(cm.data as Record<string, string>))
          writeFileSync(join(target, name), text);
      return target;
    };
    const [hubClient, hubMonitor, leafPort, cityClient, cityMonitor] = await Promise.all(
      Array.from({ length: 5 }, () => freePort()),
    );
    const hub = write('hub', 'hub');
    // Only the leaf node port has no command-line flag: point it at a free loopback port.
    const hubConf = readFileSync(join(hub, 'nats.conf'), 'utf8');
    expect(hubConf).toMatch(/port: 7422/);
    writeFileSync(join(hub, 'nats.conf'), hubConf.replace('port: 7422', `port: ${leafPort}`));
    const city = write('breda', 'breda');
    const passwords = (text: string) =>
      Object.fromEntries(
        [...text.matchAll(/\$([A-Z_][A-Z0-9_]*)/g)].map(([, v]) => [v, 'pLeafTest1']),
      );
    const processes: ChildProcess[] = [];
    const start = (conf: string, client: number, monitor: number, env: Record<string, string>) => {
      const child = spawn(
        'nats-server',
        ['-c', join(conf, 'nats.conf'), '-a', '127.0.0.1', '-p', `${client}`, '-m', `${monitor}`],
        { env: { PATH: process.env.PATH ?? '', ...env, NATS_STORE_DIR: join(conf, 'js') } },
      );
      processes.push(child);
    };
    try {
      start(hub, hubClient as number, hubMonitor as number, passwords(hubConf));
      start(city, cityClient as number, cityMonitor as number, {
        ...passwords(readFileSync(join(city, 'city.conf'), 'utf8')),
        HUB_LEAF_URL: `nats://breda:pLeafTest1@127.0.0.1:${leafPort}`,
      });
      const leafz = await eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${hubMonitor}/leafz`);
        const body = (await res.json()) as { leafs?: { account: string }[] };
        if (!body.leafs?.length) throw new Error('no leaf node connected to the hub yet');
        return body.leafs;
      }, 20_000);
      // Breda's leaf user lands in the hub's BREDA account, from Breda's CITY account.
      expect(leafz.map((l) => l.account)).toEqual(['BREDA']);
      const cityLeafz = (await (await fetch(`http://127.0.0.1:${cityMonitor}/leafz`)).json()) as {
        leafs: { account: string }[];
      };
      expect(cityLeafz.leafs.map((l) => l.account)).toEqual(['CITY']);
      const varz = (await (await fetch(`http://127.0.0.1:${cityMonitor}/varz`)).json()) as {
        server_name: string;
      };
      expect(varz.server_name).toBe('slimstad-breda');
    } finally {
      for (const p of processes) p.kill('SIGTERM');
      await Promise.all(processes.map((p) => new Promise((r) => p.once('exit', r))));
    }
  }, 60_000);
});

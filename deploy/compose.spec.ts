// deploy/compose.yaml, the laptop city. No Docker engine here, so it is not run: its structure
// is checked against the services catalogue — infrastructure present, every service built from
// deploy/Dockerfile with its SERVICE, its laptop ports, read-only, on NATS and Postgres when it
// uses them — and every file it mounts exists, as do Grafana's provisioning and dashboards.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parse } from 'yaml';

const deploy = fileURLToPath(new URL('.', import.meta.url));
const compose = parse(readFileSync(join(deploy, 'compose.yaml'), 'utf8')) as {
  services: Record<string, Record<string, unknown>>;
  volumes: Record<string, unknown>;
};
const catalogue = parse(readFileSync(join(deploy, 'catalogue/services.yaml'), 'utf8')) as {
  services: {
    name: string;
    grpcPort: number;
    opsPort: number;
    http?: { port: number };
    bus?: boolean;
    database?: boolean;
  }[];
};

it('runs NATS, Postgres, Mosquitto, Prometheus and Grafana', () => {
  for (const name of ['nats', 'postgres', 'mosquitto', 'prometheus', 'grafana'])
    expect(Object.keys(compose.services)).toContain(name);
  expect(compose.services.nats?.command).toEqual(expect.arrayContaining(['-js']));
});

it.each(catalogue.services.map((s) => [s.name, s] as const))(
  'runs %s from the Dockerfile on its laptop ports',
  (name, s) => {
    const service = compose.services[name] as {
      build: { dockerfile: string; args: { SERVICE: string }; context: string };
      ports: string[];
      read_only: boolean;
      depends_on: string[];
      environment: Record<string, string>;
    };
    expect(service.build).toEqual({
      context: '..',
      dockerfile: 'deploy/Dockerfile',
      args: { SERVICE: name },
    });
    expect(service.ports).toEqual(
      expect.arrayContaining([`${s.grpcPort}:50051`, `${s.opsPort}:9464`]),
    );
    if (s.http) expect(service.ports).toContain(`${s.http.port}:${s.http.port}`);
    expect(service.read_only).toBe(true);
    expect(service.environment.SERVICE_NAME).toBe(name);
    if (s.bus) expect(service.depends_on).toContain('nats');
    if (s.database) {
      expect(service.depends_on).toContain('postgres');
      expect(service.environment.DATABASE_URL).toMatch(/@postgres:5432\//);
    }
  },
);

it('mounts only files that exist, and declares its named volumes', () => {
  const laptopPorts = new Set<string>();
  for (const [name, service] of Object.entries(compose.services)) {
    for (const port of (service.ports as string[] | undefined) ?? []) {
      const host = port.split(':')[0] as string;
      expect(laptopPorts.has(host), `${name}: host port ${host} used twice`).toBe(false);
      laptopPorts.add(host);
    }
    for (const volume of (service.volumes as string[] | undefined) ?? []) {
      const [source] = volume.split(':') as [string];
      if (source.startsWith('.')) expect(existsSync(join(deploy, source)), volume).toBe(true);
      else expect(Object.keys(compose.volumes), volume).toContain(source);
    }
    for (const dependency of (service.depends_on as string[] | undefined) ?? [])
      expect(Object.keys(compose.services)).toContain(dependency);
  }
});

it("provisions Grafana with Prometheus and the catalogue's dashboards", () => {
  const datasource = parse(
    readFileSync(join(deploy, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
  );
  expect(datasource.datasources[0]).toMatchObject({
    type: 'prometheus',
    url: 'http://prometheus:9090',
  });
  const provider = parse(
    readFileSync(join(deploy, 'grafana/provisioning/dashboards/slimstad.yml'), 'utf8'),
  );
  expect(provider.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
  expect(compose.services.grafana?.volumes).toContain(
    './grafana/dashboards:/var/lib/grafana/dashboards:ro',
  );
  const boards = readdirSync(join(deploy, 'grafana/dashboards'));
  for (const s of catalogue.services) expect(boards).toContain(`${s.name}.json`);
  expect(boards).toContain('overview.json');
});

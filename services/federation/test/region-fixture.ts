// A whole region on loopback for tests and the benchmark: the hub and every city as real
// nats-server processes started from the *rendered* configurations (so the renderer is what is
// proven), on free ports, with random passwords from the environment, and a federation
// service per city running in-process against its own server.
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  Bus,
  type Clock,
  connectNats,
  createLogger,
  createMetrics,
  ManualClock,
  type Metrics,
} from '@slimstad/kit';
import { findNatsServer, probeNats } from '../../../deploy/local/lib/nats.mjs';
import { startChild } from '../../../deploy/local/lib/processes.mjs';
import { freePort, tempDir } from '../../../deploy/local/lib/test-support.js';
import type { Policy } from '../src/domain/policy.js';
import { digestOf, type Federation, startFederation } from '../src/federation-service.js';
import { readRegion, renderFromFiles } from '../src/region-files.js';

type Child = ReturnType<typeof startChild>;
const log = createLogger('federation-test', process.env.TEST_LOG_LEVEL ?? 'silent');

export interface Server {
  name: string;
  url: string;
  child: Child;
  conf: string;
  env: NodeJS.ProcessEnv;
  store: string;
  monitor: number;
}

export interface Violation {
  operation: string;
  subject: string;
}

export interface Session {
  nc: NatsConnection;
  bus: Bus;
  violations: Violation[];
}

export class RegionFixture {
  readonly dir = tempDir('federation-region');
  readonly servers = new Map<string, Server>();
  readonly leafPasswords = new Map<string, string>();
  /** Every `$X_NATS_PASSWORD` city.conf names, one random value each (shared by the cities). */
  readonly userPasswords = new Map<string, string>();
  readonly federations = new Map<string, Federation>();
  readonly metrics = new Map<string, Metrics>();
  readonly clock = new ManualClock(Date.parse('2026-12-03T10:00:00.000Z'));
  private readonly cleanups: (() => Promise<unknown> | unknown)[] = [];
  leafPort = 0;
  cities: string[] = [];
  policies = new Map<string, Policy>();

  constructor(
    private readonly regionFile: string,
    private readonly renderedDir: string,
  ) {}

  async start(): Promise<void> {
    const { region, policies } = readRegion(this.regionFile);
    this.policies = policies;
    this.cities = region.cities.map((c) => c.id);
    for (const c of this.cities) this.leafPasswords.set(c, `p${randomBytes(16).toString('hex')}`);
    const cityConf = readFileSync(path.join(this.renderedDir, `${this.cities[0]}.conf`), 'utf8');
    for (const [, name] of cityConf.matchAll(/\$([A-Z_]+_NATS_PASSWORD)/g)) {
      this.userPasswords.set(name as string, `p${randomBytes(16).toString('hex')}`);
    }
    this.leafPort = await freePort();
    for (const file of ['hub', ...this.cities]) {
      copyFileSync(
        path.join(this.renderedDir, `${file}.conf`),
        path.join(this.dir.dir, `${file}.conf`),
      );
    }
    await this.startServer('hub', await freePort());
    await Promise.all(this.cities.map(async (c) => this.startServer(c, await freePort())));
  }

  private envOf(name: string, store: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NATS_STORE_DIR: store };
    if (name === 'hub') {
      env.HUB_LEAF_HOST = '127.0.0.1';
      env.HUB_LEAF_PORT = String(this.leafPort);
      for (const [c, p] of this.leafPasswords) env[`${c.toUpperCase()}_LEAF_PASSWORD`] = p;
    } else {
      env.HUB_LEAF_URL = `nats-leaf://${name}:${this.leafPasswords.get(name)}@127.0.0.1:${this.leafPort}`;
      for (const [k, v] of this.userPasswords) env[k] = v;
    }
    return env;
  }

  /** Starts (or restarts, keeping its store and port) one server. */
  async startServer(name: string, port?: number): Promise<Server> {
    const previous = this.servers.get(name);
    const store = previous?.store ?? path.join(this.dir.dir, `store-${name}`);
    const conf = path.join(this.dir.dir, `${name}.conf`);
    const env = this.envOf(name, store);
    const p = port ?? Number(new URL(previous?.url ?? '').port);
    // A monitoring port of its own: with -m 0 a configuration reload fails (http_port differs).
    const monitor = previous?.monitor ?? (await freePort());
    const child = startChild({
      name: `nats-${name}`,
      command: findNatsServer() ?? 'nats-server',
      args: ['-c', conf, '-a', '127.0.0.1', '-p', String(p), '-m', String(monitor)],
      env,
    });
    const url = `nats://127.0.0.1:${p}`;
    const server = { name, url, child, conf, env, store, monitor };
    this.servers.set(name, server);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exited)
        throw new Error(`nats-server ${name} exited (${child.exitDescription}):\n${child.tail()}`);
      if ((await probeNats(url, { timeoutMs: 500 })).ok) return server;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nats-server ${name} did not answer on ${url}:\n${child.tail()}`);
  }

  async stopServer(name: string): Promise<void> {
    await this.servers.get(name)?.child.stop(10_000);
  }

  /** Re-renders from changed files into the running configuration and reloads the hub (SIGHUP). */
  reloadHub(regionFile: string, cityConf?: string): void {
    const files = renderFromFiles(regionFile, cityConf);
    writeFileSync(path.join(this.dir.dir, 'hub.conf'), files.get('hub.conf') as string);
    this.servers.get('hub')?.child.signal('SIGHUP');
  }

  /** Connects to a city's server as one of city.conf's users (`user` is the lower-case name). */
  async connect(city: string, user: string): Promise<Session> {
    const server = this.servers.get(city);
    if (!server) throw new Error(`no server ${city}`);
    const password = this.userPasswords.get(`${user.toUpperCase()}_NATS_PASSWORD`);
    const nc = await connectNats({ url: server.url, name: `${city}-${user}`, user, password, log });
    return this.session(nc);
  }

  /** Connects to the hub with a city's leaf node credentials, as a plain client. */
  async connectHubAs(city: string): Promise<Session> {
    const server = this.servers.get('hub');
    if (!server) throw new Error('no hub');
    const nc = await connectNats({
      url: server.url,
      name: `hub-as-${city}`,
      user: city,
      password: this.leafPasswords.get(city),
      inboxPrefix: '_INBOX_federation',
      log,
    });
    return this.session(nc, false);
  }

  private async session(nc: NatsConnection, withBus = true): Promise<Session> {
    const violations: Violation[] = [];
    void (async () => {
      for await (const s of nc.status()) {
        const error = (s as { error?: Error & Violation }).error;
        if (s.type === 'error' && error?.name === 'PermissionViolationError') {
          violations.push({ operation: error.operation, subject: error.subject });
        }
      }
    })();
    this.cleanups.push(() => nc.close());
    // The hub has no JetStream API for a city's credentials: a plain connection there.
    const bus = withBus ? await Bus.create(nc, { log }) : (undefined as unknown as Bus);
    return { nc, bus, violations };
  }

  /** As ingest does at start-up in every city: its streams exist before anyone consumes them. */
  async declareIngestStreams(): Promise<void> {
    const { sensorStreams } = await import('@slimstad/contracts');
    for (const c of this.cities)
      await (await this.connect(c, 'ingest')).bus.declareStreams(...sensorStreams);
  }

  /** Starts a city's federation service in-process, as its `federation` user. */
  async startFederation(
    city: string,
    options: { linkCheckMs?: number; stallAfterMs?: number; clock?: Clock } = {},
  ): Promise<Federation> {
    const { bus } = await this.connect(city, 'federation');
    const policy = this.policies.get(city) as Policy;
    const inbound = new Map<string, string[]>();
    for (const [other, p] of this.policies) {
      if (other === city) continue;
      const streams = p.shares.filter((s) => s.to.includes(city)).map((s) => s.name);
      if (streams.length) inbound.set(other, streams);
    }
    const metrics = createMetrics('federation', { defaultMetrics: false });
    const federation = await startFederation({
      bus,
      city,
      policy: { policy, text: JSON.stringify(policy), loadedAt: Date.now() },
      settings: {
        federated: true,
        linkCheckMs: options.linkCheckMs ?? 500,
        stallAfterMs: options.stallAfterMs ?? 60_000,
        windowGraceMs: 60_000,
        flushMs: 200,
        inbound,
      },
      clock: options.clock ?? this.clock,
      log: log.child({ city }),
      metrics,
    });
    this.metrics.set(city, metrics);
    this.federations.set(city, federation);
    this.cleanups.push(() => federation.stop());
    return federation;
  }

  async stop(): Promise<void> {
    for (const c of this.cleanups.reverse()) await c();
    await Promise.all([...this.servers.values()].map((s) => s.child.stop(5_000)));
    this.dir.remove();
  }
}

export { digestOf };

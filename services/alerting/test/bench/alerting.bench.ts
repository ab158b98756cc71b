// `pnpm bench:alerting`: threshold crossings through the real pipeline under background load.
// Spawns the real ingest and alerting services (one test database, one NATS namespace),
// registers devices through ingest's API, saves a threshold rule through alerting's API, then
// publishes BENCH_RATE readings/s (default 10,000) in batches to ingest's NATS intake — as
// `pnpm bench:ingest` does — while injecting BENCH_CROSSINGS crossing readings, each of its own
// device. A webhook receiver on loopback records arrivals (verifying the HMAC signature).
// Latency: from the crossing reading's publish to the webhook's receipt. The route uses
// group_wait BENCH_GROUP_WAIT_MS (default 0) and groups by device, so every crossing is one
// notification.
// Last line: p99_ms=<n> delivered=<n> lost=<n> duplicated=<n>
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { ReadingBatchSubmitted } from '@slimstad/contracts';
import { Comparison, Severity } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { AlertingServiceClient } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting_service';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { ReadingBatch } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import {
  DeviceRegistryServiceClient,
  ImportFormat,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import { busHeaders, createClient, promisifyUnary, signToken } from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  freePort,
  percentile,
  resolveInfrastructure,
  sleep,
} from '@slimstad/test-harness';
import { verifyWebhookSignature } from '../../src/notify/webhook.receiver.js';

const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const DEVICES = Number(process.env.BENCH_DEVICES ?? 1_000);
const CROSSINGS = Number(process.env.BENCH_CROSSINGS ?? 100);
const GROUP_WAIT_MS = Number(process.env.BENCH_GROUP_WAIT_MS ?? 0);
const KEY = 'bench-secret';
const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789abcdef';
const repo = fileURLToPath(new URL('../../../..', import.meta.url));
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main() {
  const infra = await resolveInfrastructure();
  const database = await createTestDatabase(infra.databaseUrl, 'benchalerting');
  const ns = createTestNamespace(infra.natsUrl, 'benchalert');

  // The webhook receiver: arrival time per crossing device, duplicates by delivery id.
  const arrivals = new Map<string, number>();
  // When alerting fired each alert (its startsAt, wall clock), to split its share.
  const firedAt = new Map<string, number>();
  const wallToPerf = (wall: number) => wall - Date.now() + performance.now();
  const deliveries = new Map<string, number>();
  let badSignatures = 0;
  let extraArrivals = 0;
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const raw = Buffer.concat(chunks).toString();
      if (
        !verifyWebhookSignature(WEBHOOK_SECRET, raw, String(req.headers['x-slimstad-signature'])).ok
      )
        badSignatures++;
      const id = String(req.headers['x-slimstad-delivery']);
      deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      const body = JSON.parse(raw) as {
        alerts: { status: string; labels: Record<string, string> }[];
      };
      for (const a of body.alerts) {
        if (a.status !== 'firing') continue;
        const device = a.labels.device ?? '';
        if (arrivals.has(device)) extraArrivals++;
        else {
          arrivals.set(device, at);
          firedAt.set(device, wallToPerf(Date.parse((a as { startsAt?: string }).startsAt ?? '')));
        }
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookPort = (hook.address() as { port: number }).port;

  const ingestPort = await freePort();
  const alertingPort = await freePort();
  const common = {
    ...process.env,
    DATABASE_URL: database.url,
    NATS_URL: infra.natsUrl,
    NATS_NAMESPACE: ns.namespace,
    AUTH_JWT_KEY: KEY,
    OPS_PORT: '0',
    LISTEN_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  const ingest = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'services/ingest/src/main.ts'],
    {
      cwd: repo,
      env: {
        ...common,
        SERVICE_NAME: 'ingest',
        GRPC_PORT: String(ingestPort),
        HTTP_PORT: String(await freePort()),
        MQTT_URL: process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883',
        MQTT_JSON_TOPIC: `${ns.namespace}/readings/+`,
        MQTT_CHIRPSTACK_TOPIC: `${ns.namespace}/application/+/device/+/event/up`,
        WEBHOOK_SECRETS: 'chirpstack=bench-webhook-secret',
        INGEST_DEVICE_RATE_PER_S: '100000',
        INGEST_DEVICE_BURST: '100000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const alerting = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'services/alerting/src/main.ts'],
    {
      cwd: repo,
      env: {
        ...common,
        SERVICE_NAME: 'alerting',
        LOG_LEVEL: process.env.BENCH_ALERTING_LOG ?? 'warn',
        GRPC_PORT: String(alertingPort),
        HTTP_PORT: '0',
        ALERTING_RECEIVERS: JSON.stringify([
          {
            type: 'webhook',
            name: 'bench',
            url: `http://127.0.0.1:${hookPort}/hook`,
            secret: WEBHOOK_SECRET,
          },
        ]),
        ALERTING_ROUTE: JSON.stringify({
          receiver: 'bench',
          group_by: ['alertname', 'device'],
          group_wait: GROUP_WAIT_MS,
          group_interval: 60_000,
          repeat_interval: 3_600_000,
        }),
        ALERTING_RULES_RELOAD_MS: '500',
        DATABASE_POOL_MAX: process.env.BENCH_POOL ?? '10',
        ALERTING_DISPATCH_POLL_MS: process.env.BENCH_POLL_MS ?? '1000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const nc = await connect({ servers: infra.natsUrl });
  try {
    const token = await signToken({ key: KEY, subject: 'bench', roles: ['admin'] });
    // 1. Devices through ingest's registry (alerting learns them from its events).
    const registry = createClient(DeviceRegistryServiceClient, `127.0.0.1:${ingestPort}`, {
      token,
      deadlineMs: 60_000,
    });
    const importDevices = promisifyUnary(registry, registry.importDevices);
    const background = Array.from({ length: DEVICES }, (_, i) => `bg-${i}`);
    const hot = Array.from({ length: CROSSINGS }, (_, i) => `hot-${i}`);
    const csv = [
      'id,type,name,latitude,longitude,zone,metrics,owner_department,classification,expected_report_interval,network_kind,network_id',
      ...[...background, ...hot].map(
        (id) =>
          `${id},water_level,${id},51.03,4.48,dyle,level:m:-10:1000,public-works,public,60,nats,${id}`,
      ),
    ].join('\n');
    await retryUnavailable(
      () =>
        importDevices({
          format: ImportFormat.IMPORT_FORMAT_CSV,
          content: Buffer.from(csv),
          dryRun: false,
        }),
      ingest,
    );
    registry.close();
    // 2. The rule, through alerting's API.
    const api = createClient(AlertingServiceClient, `127.0.0.1:${alertingPort}`, {
      token,
      deadlineMs: 10_000,
    });
    await retryUnavailable(
      () =>
        promisifyUnary(
          api,
          api.createRule,
        )({
          rule: {
            id: 'bench-level',
            version: 0n,
            name: 'bench level high',
            enabled: true,
            severity: Severity.SEVERITY_CRITICAL,
            scope: { device_type: 'water_level' },
            labels: {},
            annotations: {},
            condition: {
              $case: 'threshold',
              value: {
                metric: 'level',
                comparison: Comparison.COMPARISON_ABOVE,
                value: 2.3,
                clearValue: 2.1,
              },
            },
            updatedBy: '',
          },
        }),
      alerting,
    );
    api.close();
    await sleep(2_000); // consumers declared, rules loaded
    say(
      `services up; ${DEVICES} background devices at ${RATE} readings/s for ${SECONDS} s, ${CROSSINGS} crossings, group_wait ${GROUP_WAIT_MS} ms`,
    );

    // 3. Load and crossings.
    const js = jetstream(nc);
    const subject = `${ns.namespace}.${ReadingBatchSubmitted.subject({ source: 'bench' })}`;
    const h = () => {
      const hh = natsHeaders();
      hh.set(
        busHeaders.CONTENT_TYPE,
        busHeaders.protobufContentType(ReadingBatchSubmitted.messageType),
      );
      return hh;
    };
    const published = new Map<string, number>();
    // Where the time goes: when ingest's recorded batch with the crossing appears on the bus.
    const recorded = new Map<string, number>();
    const recordedSub = nc.subscribe(`${ns.namespace}.sensor.batch.bench`);
    void (async () => {
      for await (const m of recordedSub) {
        const at = performance.now();
        for (const r of ReadingBatch.decode(m.data).readings)
          if (r.deviceId.startsWith('hot-') && !recorded.has(r.deviceId))
            recorded.set(r.deviceId, at);
      }
    })();
    const started = performance.now();
    const totalBatches = Math.ceil((RATE * SECONDS) / BATCH);
    let seq = 0;
    const load = (async () => {
      const inFlight = new Set<Promise<unknown>>();
      for (let b = 0; b < totalBatches; b++) {
        const due = started + ((b * BATCH) / RATE) * 1000 - performance.now();
        if (due > 0) await sleep(due);
        const now = new Date();
        seq++;
        const readings = Array.from({ length: BATCH }, (_, j) => ({
          deviceId: background[(b * BATCH + j) % DEVICES]!,
          metric: 'level',
          value: 1 + ((b + j) % 10) / 10,
          unit: 'm',
          observedAt: new Date(now.getTime() - (BATCH - j)),
          sequence: BigInt(seq * BATCH + j),
          deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
        }));
        const data = ReadingBatch.encode(
          ReadingBatch.fromPartial({ source: 'bench', batchId: `bg${b}`, readings }),
        ).finish();
        const p = js
          .publish(subject, data, { msgID: `bench:bg${b}`, headers: h() })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size > 32) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    })();
    const crossings = (async () => {
      for (let i = 0; i < CROSSINGS; i++) {
        const due = started + ((i + 0.5) * SECONDS * 1000) / CROSSINGS - performance.now();
        if (due > 0) await sleep(due);
        const device = hot[i]!;
        const data = ReadingBatch.encode(
          ReadingBatch.fromPartial({
            source: 'bench',
            batchId: `x${i}`,
            readings: [
              {
                deviceId: device,
                metric: 'level',
                value: 2.9,
                unit: 'm',
                observedAt: new Date(),
                sequence: 1n,
                deviceType: DeviceType.DEVICE_TYPE_WATER_LEVEL,
              },
            ],
          }),
        ).finish();
        published.set(device, performance.now());
        await js.publish(subject, data, { msgID: `bench:x${i}`, headers: h() });
      }
    })();
    await Promise.all([load, crossings]);
    say(`published in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const deadline = Date.now() + 30_000;
    while (arrivals.size < CROSSINGS && Date.now() < deadline) await sleep(200);
    await sleep(2_000); // anything sent twice would arrive now

    const latencies = [...published]
      .flatMap(([d, t]) => (arrivals.has(d) ? [(arrivals.get(d) as number) - t] : []))
      .sort((a, b) => a - b);
    const duplicated = extraArrivals + [...deliveries.values()].reduce((n, c) => n + c - 1, 0);
    const ingestShare = [...published]
      .flatMap(([d, t]) => (recorded.has(d) ? [(recorded.get(d) as number) - t] : []))
      .sort((a, b) => a - b);
    say(
      `ingest (publish → recorded event): p50 ${Math.round(percentile(ingestShare, 50))} ms, p99 ${Math.round(percentile(ingestShare, 99))} ms`,
    );
    const alertingShare = [...recorded]
      .flatMap(([d, t]) => (arrivals.has(d) ? [(arrivals.get(d) as number) - t] : []))
      .sort((a, b) => a - b);
    say(
      `alerting (recorded event → webhook): p50 ${Math.round(percentile(alertingShare, 50))} ms, p99 ${Math.round(percentile(alertingShare, 99))} ms`,
    );
    const split = (from: Map<string, number>, to: Map<string, number>) =>
      [...from]
        .flatMap(([d, t]) => (to.has(d) ? [(to.get(d) as number) - t] : []))
        .sort((a, b) => a - b);
    const evaluation = split(recorded, firedAt);
    const dispatch = split(firedAt, arrivals);
    say(
      `  of which recorded → fired: p50 ${Math.round(percentile(evaluation, 50))} ms; fired → webhook: p50 ${Math.round(percentile(dispatch, 50))} ms, p99 ${Math.round(percentile(dispatch, 99))} ms`,
    );
    recordedSub.unsubscribe();
    say(
      `p50 ${Math.round(percentile(latencies, 50))} ms, max ${Math.round(latencies.at(-1) ?? 0)} ms, bad signatures ${badSignatures}`,
    );
    process.stdout.write(
      `p99_ms=${Math.round(percentile(latencies, 99))} delivered=${arrivals.size} lost=${CROSSINGS - arrivals.size} duplicated=${duplicated}\n`,
    );
  } finally {
    for (const child of [alerting, ingest]) child.kill('SIGTERM');
    await Promise.all(
      [alerting, ingest].map(
        (c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))),
      ),
    );
    hook.close();
    await nc.close();
    await ns.cleanup();
    await database.drop();
  }
}

async function retryUnavailable<T>(
  call: () => Promise<T>,
  child: { exitCode: number | null },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt > 240 || child.exitCode !== null || (error as { code?: unknown }).code !== 14)
        throw error;
      await sleep(500);
    }
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`[bench] failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);

// `pnpm bench:ingest`: drives readings from many simulated devices through the NATS intake
// path against the real ingest service, PostgreSQL and NATS on this machine, waits until every
// reading is stored, then COPYs the same rows into the same table as the machine's limit.
// Then smaller runs through the HTTP webhook (ChirpStack uplinks) and MQTT (plain JSON on the
// real Mosquitto), each waited for until stored.
// The NATS run offers BENCH_RATE readings/s (default 55,000) in batches of BENCH_BATCH.
// Last line: ingest_rps=<n> copy_rps=<n> ratio=<r> p99_ms=<n> lost=<n> duplicated=<n>
//            http_rps=<n> http_lost=<n> mqtt_rps=<n> mqtt_lost=<n>
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { ReadingBatchRecorded, ReadingBatchSubmitted } from '@slimstad/contracts';
import { ReadingBatch } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import {
  DeviceRegistryServiceClient,
  ImportFormat,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import { busHeaders, createClient, promisifyUnary, signToken } from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  resolveInfrastructure,
} from '@slimstad/test-harness';
import { connectAsync } from 'mqtt';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 2_000);
const READINGS = Number(process.env.BENCH_READINGS ?? 600_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 32);
// Offered load in readings/s, as adapters would send it; 0 = everything at once (the p99 then
// measures queueing behind the backlog, not the path).
const RATE = Number(process.env.BENCH_RATE ?? 55_000);
const EDGE_DEVICES = Number(process.env.BENCH_EDGE_DEVICES ?? 200);
const HTTP_READINGS = Number(process.env.BENCH_HTTP_READINGS ?? 4_000);
const MQTT_MESSAGES = Number(process.env.BENCH_MQTT_MESSAGES ?? 2_000);
const MQTT_PER_MESSAGE = 10;
const MQTT_URL = process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const KEY = 'bench-secret';
const WEBHOOK_SECRET = 'bench-webhook-secret';
const repo = fileURLToPath(new URL('../../../..', import.meta.url));
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function main() {
  const infra = await resolveInfrastructure();
  const database = await createTestDatabase(infra.databaseUrl, 'bench');
  const ns = createTestNamespace(infra.natsUrl, 'bench');
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const topicRoot = `${ns.namespace}`;
  const service = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'services/ingest/src/main.ts'],
    {
      cwd: repo,
      env: {
        ...process.env,
        SERVICE_NAME: 'ingest',
        DATABASE_URL: database.url,
        NATS_URL: infra.natsUrl,
        NATS_NAMESPACE: ns.namespace,
        AUTH_JWT_KEY: KEY,
        GRPC_PORT: String(grpcPort),
        OPS_PORT: '0',
        HTTP_PORT: String(httpPort),
        LISTEN_HOST: '127.0.0.1',
        MQTT_URL,
        MQTT_JSON_TOPIC: `${topicRoot}/readings/+`,
        MQTT_CHIRPSTACK_TOPIC: `${topicRoot}/application/+/device/+/event/up`,
        WEBHOOK_SECRETS: `chirpstack=${WEBHOOK_SECRET}`,
        LOG_LEVEL: 'warn',
        // Simulated devices report far faster than real ones; the limiter is not what is measured.
        INGEST_DEVICE_RATE_PER_S: '100000',
        INGEST_DEVICE_BURST: '100000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const nc = await connect({ servers: infra.natsUrl });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  try {
    // 1. Wait for the service, then register the devices through its API.
    const token = await signToken({ key: KEY, subject: 'bench', roles: ['admin'] });
    const registry = createClient(DeviceRegistryServiceClient, `127.0.0.1:${grpcPort}`, {
      token,
      deadlineMs: 10_000,
    });
    const importDevices = promisifyUnary(registry, registry.importDevices);
    const ids = Array.from({ length: DEVICES }, (_, i) => `bench-${i}`);
    const csv = [
      'id,type,name,latitude,longitude,zone,metrics,owner_department,classification,expected_report_interval,network_kind,network_id',
      ...ids.map((id) => deviceRow(id, 'nats', id)),
      ...edgeIds('http').map((id, i) => deviceRow(id, 'lorawan_chirpstack', devEui(i))),
      ...edgeIds('mqtt').map((id) => deviceRow(id, 'mqtt', id)),
    ].join('\n');
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await importDevices(
          { format: ImportFormat.IMPORT_FORMAT_CSV, content: Buffer.from(csv), dryRun: false },
          { deadlineMs: 60_000 },
        );
        if (result.failedCount > 0)
          throw new Error(`import failed: ${JSON.stringify(result.rows.find((r) => r.error))}`);
        break;
      } catch (error) {
        if (attempt > 120 || service.exitCode !== null || !isUnavailable(error)) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    registry.close();
    say(`service up, ${DEVICES} devices registered`);

    // 2. Encode every batch before the clock starts: adapters encode on their own machines.
    const base = Date.now() - 60_000;
    const batches: { id: string; data: Uint8Array }[] = [];
    for (let b = 0; b * BATCH < READINGS; b++) {
      const readings = [];
      for (let j = 0; j < BATCH && b * BATCH + j < READINGS; j++) {
        const n = b * BATCH + j;
        const d = n % DEVICES;
        const k = Math.floor(n / DEVICES);
        readings.push({
          deviceId: ids[d]!,
          metric: 'level',
          value: (n % 1000) / 10,
          unit: 'm',
          observedAt: new Date(base + k),
          sequence: BigInt(k + 1),
        });
      }
      batches.push({
        id: `b${b}`,
        data: ReadingBatch.encode(
          ReadingBatch.fromPartial({ source: 'bench', batchId: `b${b}`, readings }),
        ).finish(),
      });
    }

    // 3. Publish with a bounded window; a batch counts as stored when its event comes back.
    const js = jetstream(nc);
    const publishedAt = new Map<number, number>();
    const latencies: number[] = [];
    let storedBatches = 0;
    const allStored = new Promise<void>((resolve) => {
      const sub = nc.subscribe(`${ns.namespace}.sensor.batch.bench`);
      void (async () => {
        for await (const m of sub) {
          const batch = ReadingBatchRecorded.codec.decode(m.data);
          const seq = Number(batch.batchId.split(':').at(-1));
          const sent = publishedAt.get(seq);
          if (sent !== undefined) latencies.push(performance.now() - sent);
          if (++storedBatches === batches.length) {
            sub.unsubscribe();
            resolve();
          }
        }
      })();
    });
    const subject = `${ns.namespace}.${ReadingBatchSubmitted.subject({ source: 'bench' })}`;
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < batches.length) {
          const index = next++;
          const batch = batches[index]!;
          if (RATE > 0) {
            const due = started + ((index * BATCH) / RATE) * 1000 - performance.now();
            if (due > 0) await new Promise((r) => setTimeout(r, due));
          }
          const h = natsHeaders();
          h.set(
            busHeaders.CONTENT_TYPE,
            busHeaders.protobufContentType(ReadingBatchSubmitted.messageType),
          );
          const sentAt = performance.now();
          const ack = await js.publish(subject, batch.data, {
            msgID: `bench:${batch.id}`,
            headers: h,
          });
          publishedAt.set(ack.seq, sentAt);
        }
      }),
    );
    const publishSeconds = (performance.now() - started) / 1000;
    await Promise.race([
      allStored,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('timed out waiting for storage')), 300_000),
      ),
    ]);
    const ingestSeconds = (performance.now() - started) / 1000;

    // 4. What arrived in PostgreSQL, exactly.
    const { rows } = await pool.query<{ total: string; distinct: string }>(
      `select count(*) as total, count(distinct (device_id, sequence)) as distinct from ingest.reading`,
    );
    const total = Number(rows[0]!.total);
    const distinct = Number(rows[0]!.distinct);
    say(`published in ${publishSeconds.toFixed(1)} s, stored in ${ingestSeconds.toFixed(1)} s`);

    // 5. The machine's limit: COPY the same rows into the same (emptied) table.
    const copyRows = await pool.query(`select * from ingest.reading`);
    await pool.query(`truncate ingest.reading`);
    const client = await pool.connect();
    const copyStarted = performance.now();
    const stream = client.query(
      copyFrom(
        'copy ingest.reading (classification, device_id, metric, observed_at, value, unit, sequence, received_at, source, channel, intake_ref) from stdin',
      ),
    );
    const done = new Promise((resolve, reject) => stream.on('finish', resolve).on('error', reject));
    for (let i = 0; i < copyRows.rows.length; i += 1000) {
      const chunk = copyRows.rows
        .slice(i, i + 1000)
        .map((r) =>
          [
            r.classification,
            r.device_id,
            r.metric,
            r.observed_at.toISOString(),
            r.value,
            r.unit,
            r.sequence,
            r.received_at.toISOString(),
            r.source,
            '\\N',
            r.intake_ref,
          ].join('\t'),
        )
        .join('\n');
      if (!stream.write(`${chunk}\n`)) await new Promise((r) => stream.once('drain', r));
    }
    stream.end();
    await done;
    const copySeconds = (performance.now() - copyStarted) / 1000;
    client.release();

    // 6. The edges, smaller: ChirpStack uplinks over HTTP, plain JSON over MQTT.
    const http = await httpRun(httpPort, pool);
    const mqtt = await mqttRun(topicRoot, pool);

    latencies.sort((a, b) => a - b);
    const p99 =
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Number.NaN;
    const ingestRps = Math.round(READINGS / ingestSeconds);
    const copyRps = Math.round(copyRows.rows.length / copySeconds);
    process.stdout.write(
      `ingest_rps=${ingestRps} copy_rps=${copyRps} ratio=${(ingestRps / copyRps).toFixed(2)} p99_ms=${Math.round(p99)} lost=${READINGS - distinct} duplicated=${total - distinct} http_rps=${http.rps} http_lost=${http.lost} mqtt_rps=${mqtt.rps} mqtt_lost=${mqtt.lost}\n`,
    );
  } finally {
    service.kill('SIGTERM');
    await new Promise((r) => service.once('exit', r));
    await pool.end();
    await nc.close();
    await ns.cleanup();
    await database.drop();
  }
}

const edgeIds = (edge: string) => Array.from({ length: EDGE_DEVICES }, (_, i) => `${edge}-${i}`);
const devEui = (i: number) => `70B3D57E${i.toString(16).toUpperCase().padStart(8, '0')}`;
const deviceRow = (id: string, networkKind: string, networkId: string) =>
  `${id},water_level,${id},51.58,4.77,bench,level:m:-10:1000,public-works,public,60,${networkKind},${networkId}`;
const isUnavailable = (error: unknown) => (error as { code?: unknown }).code === 14;

/** Rows stored from one source, polled until `expected` or a timeout. */
async function waitStored(pool: pg.Pool, source: string, expected: number): Promise<number> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { rows } = await pool.query<{ n: string }>(
      'select count(*) as n from ingest.reading where source = $1',
      [source],
    );
    const n = Number(rows[0]!.n);
    if (n >= expected || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** ChirpStack v4 uplinks posted to the webhook, 16 at a time; one reading each. */
async function httpRun(port: number, pool: pg.Pool) {
  const base = Date.now() - 30_000;
  const devices = edgeIds('http').length;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < HTTP_READINGS) {
        const n = next++;
        const d = n % devices;
        const k = Math.floor(n / devices);
        const response = await fetch(`http://127.0.0.1:${port}/webhooks/chirpstack?event=up`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${WEBHOOK_SECRET}`,
          },
          body: JSON.stringify({
            deduplicationId: `http-${n}`,
            time: new Date(base + k).toISOString(),
            deviceInfo: { devEui: devEui(d).toLowerCase(), deviceName: `http-${d}` },
            fCnt: k + 1,
            fPort: 1,
            object: { level: (n % 100) / 10 },
          }),
        });
        if (response.status !== 202)
          throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
      }
    }),
  );
  const stored = await waitStored(pool, 'chirpstack', HTTP_READINGS);
  const seconds = (performance.now() - started) / 1000;
  say(`http: ${stored}/${HTTP_READINGS} stored in ${seconds.toFixed(1)} s`);
  return { rps: Math.round(stored / seconds), lost: HTTP_READINGS - stored };
}

/** Plain JSON messages of 10 readings each, QoS 1, to the real broker. */
async function mqttRun(topicRoot: string, pool: pg.Pool) {
  const client = await connectAsync(MQTT_URL, { clientId: `bench-${topicRoot}`, clean: true });
  const base = Date.now() - 30_000;
  const devices = edgeIds('mqtt').length;
  const expected = MQTT_MESSAGES * MQTT_PER_MESSAGE;
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < MQTT_MESSAGES) {
          const n = next++;
          const d = n % devices;
          const k = Math.floor(n / devices);
          const readings = Array.from({ length: MQTT_PER_MESSAGE }, (_, j) => ({
            metric: 'level',
            value: j / 10,
            observedAt: new Date(base + k * MQTT_PER_MESSAGE + j).toISOString(),
            sequence: k * MQTT_PER_MESSAGE + j + 1,
          }));
          await client.publishAsync(
            `${topicRoot}/readings/mqtt-${d}`,
            JSON.stringify({ messageId: `m${n}`, readings }),
            { qos: 1 },
          );
        }
      }),
    );
  } finally {
    await client.endAsync();
  }
  const stored = await waitStored(pool, 'mqtt', expected);
  const seconds = (performance.now() - started) / 1000;
  say(`mqtt: ${stored}/${expected} stored in ${seconds.toFixed(1)} s`);
  return { rps: Math.round(stored / seconds), lost: expected - stored };
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`[bench] failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);

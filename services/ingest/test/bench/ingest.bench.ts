// `pnpm bench:ingest`: drives readings from many simulated devices through the NATS intake
// path against the real ingest service, PostgreSQL and NATS on this machine, waits until every
// reading is stored, then COPYs the same rows into the same table as the machine's limit.
// Last line: ingest_rps=<n> copy_rps=<n> ratio=<r> p99_ms=<n> lost=<n> duplicated=<n>
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { ReadingBatchRecorded, ReadingBatchSubmitted } from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import { Device, DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { ReadingBatch } from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { DeviceRegistryServiceClient } from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import { busHeaders, createClient, promisifyUnary, signToken } from '@slimstad/kit';
import {
  createTestDatabase,
  createTestNamespace,
  resolveInfrastructure,
} from '@slimstad/test-harness';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 2_000);
const READINGS = Number(process.env.BENCH_READINGS ?? 600_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 32);
const KEY = 'bench-secret';
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
        HTTP_PORT: '0',
        LISTEN_HOST: '127.0.0.1',
        MQTT_URL: '',
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
    const register = promisifyUnary(registry, registry.registerDevice);
    const ids = Array.from({ length: DEVICES }, (_, i) => `bench-${i}`);
    for (let attempt = 0; ; attempt++) {
      try {
        await register({ device: device(ids[0]!) });
        break;
      } catch (error) {
        if (attempt > 120 || service.exitCode !== null) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    for (let i = 1; i < ids.length; i += 50)
      await Promise.all(ids.slice(i, i + 50).map((id) => register({ device: device(id) })));
    registry.close();
    await new Promise((r) => setTimeout(r, 6_000)); // let the directory refresh see them all
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
          const batch = batches[next++]!;
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

    latencies.sort((a, b) => a - b);
    const p99 =
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Number.NaN;
    const ingestRps = Math.round(READINGS / ingestSeconds);
    const copyRps = Math.round(copyRows.rows.length / copySeconds);
    process.stdout.write(
      `ingest_rps=${ingestRps} copy_rps=${copyRps} ratio=${(ingestRps / copyRps).toFixed(2)} p99_ms=${Math.round(p99)} lost=${READINGS - distinct} duplicated=${total - distinct}\n`,
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

function device(id: string) {
  return Device.fromPartial({
    id,
    type: DeviceType.DEVICE_TYPE_WATER_LEVEL,
    name: id,
    location: { latitude: 51.58, longitude: 4.77 },
    zone: 'bench',
    metrics: [{ name: 'level', unit: 'm', min: -10, max: 1000 }],
    ownerDepartment: 'public-works',
    classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
    expectedReportInterval: { seconds: 60n, nanos: 0 },
  });
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`[bench] failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);

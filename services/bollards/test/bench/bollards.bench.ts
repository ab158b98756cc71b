// `pnpm bench:bollards`: access requests at BENCH_RATE per second (default 1,000) for
// BENCH_SECONDS (default 30) against the real bollards service (spawned), Postgres and NATS on
// this machine, with simulated bollard controllers (their hardware interlock turned off, so
// only the service keeps bollards from rising under vehicles) and vehicles that drive over
// once their bollard is down and leave again.
// The requests: permitted delivery vans and residents (admitted), unknown plates (refused),
// emergency vehicles (admitted at once), and once per run an emergency-service call that puts
// a zone into emergency mode, which an operator clears a few seconds later.
// Measures, per admitted request whose bollard was up, the time from the request's publish to
// its lower command reaching the controller; the decisions per second the service published;
// and what would be unsafe: a raise command that reached a controller after it had reported
// its loop occupied, an emergency request refused or not decided. Races (a vehicle driving on
// while a raise is already on its way) are printed apart: the interlock's to stop.
// Last line: p99_ms=<n> decisions_per_s=<n> unsafe=<n>
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Msg } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { AccessRequested } from '@slimstad/contracts';
import {
  CredentialKind,
  FailMode,
  VehicleClass,
  type Weekday,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { BollardServiceClient } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards_service';
import {
  AccessDecided,
  Motion,
  Position,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import {
  Bus,
  createClient,
  createLogger,
  Namespace,
  promisifyUnary,
  signToken,
  systemClock,
} from '@slimstad/kit';
import {
  createReaderGateway,
  type ReaderSource,
  startBollardFleet,
} from '@slimstad/simulator/bollards/index';
import { createRandom } from '@slimstad/simulator/domain/random';
import {
  createTestDatabase,
  createTestNamespace,
  freePort,
  histogramSummary,
  percentile,
  resolveInfrastructure,
  sleep,
} from '@slimstad/test-harness';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const KEY = 'bench-bollards-secret-0123456789abcdef';
const IDENTITY_SECRET = 'bench-bollards-identity-secret-0123456789';
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
// 2,000 bollards: at 1,000 requests/s each sees one every two seconds, so that many requests
// find their bollard up (a busier bollard simply stays down for its queue of vehicles).
const ZONES = Number(process.env.BENCH_ZONES ?? 100);
const PER_ZONE = Number(process.env.BENCH_BOLLARDS_PER_ZONE ?? 20);
const PERMITS = Number(process.env.BENCH_PERMITS ?? 500);
// Travel, dwell and the raise delay: a short cycle, so that many requests find their bollard up.
const LOWER_MS = 300;
const RAISE_MS = 600;
const VEHICLE_AFTER_DOWN_MS = 150;
const VEHICLE_ON_LOOP_MS = 600;
const ADMISSION_HOLD_MS = 5_000;

const say = (message: string) => process.stderr.write(`[bench:bollards] ${message}\n`);

async function main() {
  const infra = await resolveInfrastructure();
  const database = await createTestDatabase(infra.databaseUrl, 'benchbollards');
  const ns = createTestNamespace(infra.natsUrl, 'benchbollards');
  const grpcPort = await freePort();
  const opsPort = await freePort();
  const service = spawn(
    process.execPath,
    [
      // e.g. BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the service.
      ...(process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--conditions=source',
      '--import',
      'tsx',
      'services/bollards/src/main.ts',
    ],
    {
      cwd: repo,
      env: {
        ...process.env,
        SERVICE_NAME: 'bollards',
        DATABASE_URL: database.url,
        NATS_URL: infra.natsUrl,
        NATS_NAMESPACE: ns.namespace,
        AUTH_JWT_KEY: KEY,
        GRPC_PORT: String(grpcPort),
        OPS_PORT: String(opsPort),
        LISTEN_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        BOLLARDS_IDENTITY_SECRET: IDENTITY_SECRET,
        BOLLARDS_ACK_TIMEOUT_MS: '1500',
        BOLLARDS_RAISE_DELAY_MS: '300',
        BOLLARDS_ADMISSION_HOLD_MS: String(ADMISSION_HOLD_MS),
        BOLLARDS_TICK_MS: '25',
        BOLLARDS_HEARTBEAT_MS: '2000',
        BOLLARDS_FAIL_AFTER_MS: '30000',
        BOLLARDS_RELOAD_MS: '3600000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const log = createLogger('bench', 'silent');
  const nc = await connect({ servers: infra.natsUrl });
  const bus = await Bus.create(nc, { namespace: ns.namespace, log });
  const fleetNc = await connect({ servers: infra.natsUrl });
  const namespace = new Namespace(ns.namespace);
  try {
    // 1. The zones, bollards and permits through the API, as an administrator sets them up.
    const admin = await signToken({ key: KEY, subject: 'bench-admin', roles: ['admin'] });
    const keeperToken = await signToken({
      key: KEY,
      subject: 'bench-keeper',
      roles: ['bollard-operator'],
    });
    const adminClient = createClient(BollardServiceClient, `127.0.0.1:${grpcPort}`, {
      token: admin,
      deadlineMs: 10_000,
    });
    const keeperClient = createClient(BollardServiceClient, `127.0.0.1:${grpcPort}`, {
      token: keeperToken,
      deadlineMs: 10_000,
    });
    const createZone = promisifyUnary(adminClient, adminClient.createZone);
    const createBollard = promisifyUnary(adminClient, adminClient.createBollard);
    const createPermit = promisifyUnary(keeperClient, keeperClient.createPermit);
    const setEmergencyMode = promisifyUnary(keeperClient, keeperClient.setEmergencyMode);
    const zoneIds = Array.from({ length: ZONES }, (_, z) => `zone-${z}`);
    for (let attempt = 0; ; attempt++) {
      try {
        await createZone({ zone: zone(zoneIds[0] as string) });
        break;
      } catch (error) {
        if (attempt > 120 || service.exitCode !== null) throw error;
        await sleep(500);
      }
    }
    for (const id of zoneIds.slice(1)) await createZone({ zone: zone(id) });
    const bollards: { id: string; zoneId: string }[] = [];
    for (const zoneId of zoneIds) {
      for (let b = 0; b < PER_ZONE; b++) {
        const id = `${zoneId}-b${b}`;
        bollards.push({ id, zoneId });
        await createBollard({
          bollard: {
            id,
            zoneId,
            name: id,
            location: { latitude: 50.8467 + b * 1e-4, longitude: 4.3525 },
            controllerId: `bc-${id}`,
            loopId: `loop-${id}`,
            failMode: FailMode.FAIL_MODE_SAFE,
            version: 0n,
            createTime: undefined,
            updateTime: undefined,
          },
        });
      }
    }
    const plates = Array.from({ length: PERMITS }, (_, i) => `1-BEN-${String(i).padStart(3, '0')}`);
    for (const [i, plate] of plates.entries()) {
      await createPermit({
        permit: {
          id: '',
          credentialKind: CredentialKind.CREDENTIAL_KIND_PLATE,
          credential: plate,
          credentialFingerprint: '',
          vehicleClass:
            i % 2 === 0 ? VehicleClass.VEHICLE_CLASS_DELIVERY : VehicleClass.VEHICLE_CLASS_RESIDENT,
          zoneIds,
          validFrom: new Date(Date.now() - 86_400_000),
          validUntil: new Date(Date.now() + 30 * 86_400_000),
          windows: [{ days: [1, 2, 3, 4, 5, 6, 7] as Weekday[], from: '00:00', to: '23:59' }],
          oneOff: false,
          reason: 'bench',
          useTime: undefined,
          revokeTime: undefined,
          revokeReason: '',
          createdBy: '',
          createTime: undefined,
        },
      });
    }
    say(`${ZONES} zones, ${bollards.length} bollards, ${PERMITS} permits set up`);

    // 2. The controllers, the vehicles and the reader gateway.
    const published = new Map<string, number>();
    const emergencyRequests = new Set<string>();
    const latencies: number[] = [];
    const fleet = await startBollardFleet({
      nc: fleetNc as never,
      namespace,
      clock: systemClock,
      bollards: bollards.map((b) => ({
        id: b.id,
        zoneId: b.zoneId,
        controllerId: `bc-${b.id}`,
        lowerMs: LOWER_MS,
        raiseMs: RAISE_MS,
        failAfterMs: 30_000,
        interlock: false,
      })),
      reportEveryMs: 0,
      tickMs: 50,
      recordCommands: false,
      onCommand: (_bollardId, cmd, receivedRealMs) => {
        if (cmd.motion !== Motion.MOTION_LOWER || cmd.attempt !== 1) return;
        const sent = published.get(cmd.requestId);
        if (sent !== undefined) latencies.push(receivedRealMs - sent);
      },
    });
    await fleet.tick();
    // Each admitted vehicle queues at its bollard and drives over once the bollard is down, one
    // at a time; timers only, no polling loops (the bench must not starve its own clock).
    // Admission times of the vehicles waiting; one whose admission is older than the service's
    // hold (minus a margin) would have to ask again, so it leaves the queue.
    const queues = new Map<string, { waiting: number[]; busy: boolean; since: number }>();
    let vehiclesPassed = 0;
    let vehiclesGaveUp = 0;
    let vehiclesOnTheWay = 0;
    const pump = (bollardId: string) => {
      const q = queues.get(bollardId);
      if (!q || q.busy) return;
      const now = Date.now();
      while (q.waiting.length > 0 && now - (q.waiting[0] as number) > ADMISSION_HOLD_MS - 1_000) {
        q.waiting.shift();
        vehiclesGaveUp += 1;
        vehiclesOnTheWay -= 1;
      }
      if (q.waiting.length === 0) return;
      if (fleet.controller(bollardId).position(now) !== Position.POSITION_DOWN) {
        // The bollard is not down (yet): wait a little; after 5 s the queue gives up.
        if (now - q.since > 5_000) {
          vehiclesGaveUp += q.waiting.length;
          vehiclesOnTheWay -= q.waiting.length;
          q.waiting = [];
          return;
        }
        q.busy = true;
        setTimeout(() => {
          q.busy = false;
          pump(bollardId);
        }, 100);
        return;
      }
      q.busy = true;
      q.waiting.shift();
      setTimeout(() => {
        void fleet.vehicleArrives(bollardId).then(() =>
          setTimeout(() => {
            void fleet.vehicleLeaves(bollardId).then(() => {
              vehiclesPassed += 1;
              vehiclesOnTheWay -= 1;
              q.busy = false;
              q.since = Date.now();
              pump(bollardId);
            });
          }, VEHICLE_ON_LOOP_MS),
        );
      }, VEHICLE_AFTER_DOWN_MS);
    };
    const vehicleAdmitted = (bollardId: string) => {
      const q = queues.get(bollardId) ?? { waiting: [], busy: false, since: Date.now() };
      if (q.waiting.length === 0 && !q.busy) q.since = Date.now();
      q.waiting.push(Date.now());
      vehiclesOnTheWay += 1;
      queues.set(bollardId, q);
      pump(bollardId);
    };
    const decided = new Map<string, boolean>();
    let decisionsInWindow = 0;
    let windowOpen = false;
    nc.subscribe(namespace.subject('bollards.decision.>'), {
      callback: (_e: unknown, m: Msg) => {
        const d = AccessDecided.decode(m.data);
        const admit = d.decision?.admit ?? false;
        decided.set(d.requestId, admit);
        if (windowOpen) decisionsInWindow += 1;
        if (admit && published.has(d.requestId)) vehicleAdmitted(d.bollardId);
      },
    });
    await nc.flush();
    const gateway = createReaderGateway({ bus, secret: IDENTITY_SECRET, clock: systemClock });
    await sleep(1_500);

    // 3. The load.
    const random = createRandom(42);
    const pick = <T>(items: readonly T[]): T =>
      items[Math.floor(random.next() * items.length)] as T;
    const total = Math.round(RATE * SECONDS);
    const start = Date.now();
    const inFlight = new Set<Promise<unknown>>();
    let sent = 0;
    let publishFailures = 0;
    let maxLagMs = 0;
    let emergencyZone: string | undefined;
    let nextReport = Date.now() + 5_000;
    const gauge = (text: string, pattern: string) =>
      text.match(new RegExp(`^${pattern}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'm'))?.[1] ?? '?';
    const progress = async () => {
      const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      say(
        `t=${((Date.now() - start) / 1000).toFixed(0)} s sent=${sent} decided=${decided.size} lower commands=${latencies.length} outbox oldest=${gauge(text, 'slimstad_bollards_outbox_oldest_seconds')} s requests pending=${gauge(text, 'slimstad_bollards_consumer_pending_messages(?=\\{[^}]*consumer="bollards--requests")')} commits ${histogramSummary(text, 'slimstad_bollards_commit_seconds')} units ${histogramSummary(text, 'slimstad_bollards_commit_units', 'count')}`,
      );
    };
    windowOpen = true;
    while (sent < total) {
      const due = start + (sent / RATE) * 1000;
      const wait = due - Date.now();
      // Always yield: a spin here would starve the controllers and vehicles of this process.
      if (wait > 0) await sleep(Math.max(1, wait));
      else {
        maxLagMs = Math.max(maxLagMs, -wait);
        await new Promise((r) => setImmediate(r));
      }
      // Everything due by now, in one go: the pace holds even when a timer fires late.
      const dueNow = Math.min(total, Math.floor(((Date.now() - start) / 1000) * RATE) + 1);
      for (; sent < dueNow; sent++) {
        const bollard = pick(bollards);
        const roll = random.next();
        let input: Parameters<typeof gateway.build>[0];
        if (sent === Math.floor(total / 3)) {
          emergencyZone = bollard.zoneId;
          input = {
            zoneId: bollard.zoneId,
            bollardId: bollard.id,
            source: 'emergency_service' as ReaderSource,
          };
        } else if (roll < 0.01) {
          input = {
            zoneId: bollard.zoneId,
            bollardId: bollard.id,
            plate: '1-FIRE-112',
            emergency: true,
          };
        } else if (roll < 0.75) {
          input = { zoneId: bollard.zoneId, bollardId: bollard.id, plate: pick(plates) };
        } else {
          input = {
            zoneId: bollard.zoneId,
            bollardId: bollard.id,
            plate: `2-UNK-${Math.floor(random.next() * 10_000)}`,
          };
        }
        const request = gateway.build(input);
        published.set(request.requestId, Date.now());
        if (request.emergency || input.source === 'emergency_service')
          emergencyRequests.add(request.requestId);
        const task = bus
          .publish(
            // As the gateway publishes, with the request built first so its id is known before
            // a command can come back.
            AccessRequested,
            { zone: request.zoneId, bollard: request.bollardId },
            request,
            { msgId: `req:${request.requestId}` },
          )
          .catch(() => {
            publishFailures += 1;
          })
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
      if (Date.now() > nextReport) {
        nextReport += 5_000;
        void progress().catch(() => undefined);
      }
      if (emergencyZone && Date.now() - start > (SECONDS * 1000) / 3 + 5_000) {
        await setEmergencyMode({
          zoneId: emergencyZone,
          active: false,
          reason: 'bench: intervention over',
        });
        say(`emergency mode of ${emergencyZone} cleared by an operator`);
        emergencyZone = undefined;
      }
    }
    await Promise.allSettled([...inFlight]);
    const elapsedS = (Date.now() - start) / 1000;
    // Let the last decisions come in, the vehicles pass and the bollards rise again.
    const settle = Date.now() + 15_000;
    while (decided.size < published.size && Date.now() < settle) await sleep(100);
    windowOpen = false;
    const decisionsPerS = decisionsInWindow / elapsedS;
    const drained = Date.now() + 20_000;
    while (vehiclesOnTheWay > 0 && Date.now() < drained) await sleep(100);
    await sleep(2_000);
    await fleet.tick();

    // 4. Results.
    const stats = fleet.stats();
    let emergencyRefused = 0;
    let emergencyUndecided = 0;
    for (const id of emergencyRequests) {
      const admit = decided.get(id);
      if (admit === false) emergencyRefused += 1;
      if (admit === undefined) emergencyUndecided += 1;
    }
    // What the service did wrong knowing better: a raise sent after the controller had
    // reported the vehicle, an emergency vehicle refused or left waiting. (A vehicle that
    // drives onto the loop while a raise is already on its way is the controller's interlock's
    // to stop; the bench turns that off and reports such races separately, above.)
    const unsafe = stats.unsafeRaiseCommandsAfterReport + emergencyRefused + emergencyUndecided;
    const sorted = latencies.sort((a, b) => a - b);
    const admitted = [...decided.values()].filter(Boolean).length;
    say(
      `sent ${published.size} requests in ${elapsedS.toFixed(1)} s (pace lag max ${maxLagMs.toFixed(0)} ms, ${publishFailures} publishes failed); decided ${decided.size}, admitted ${admitted}; vehicles passed ${vehiclesPassed}, gave up ${vehiclesGaveUp}`,
    );
    say(
      `controllers: ${stats.lowers} lowers, ${stats.raises} raises, ${stats.rejected} rejected, ${stats.stale} stale; raise commands during a vehicle: ${stats.unsafeRaiseCommands} (after the loop was reported: ${stats.unsafeRaiseCommandsAfterReport}); rises under a vehicle: ${stats.bollardUnderVehicle}; reached up with a vehicle: ${stats.reachedUpWithVehicle}; emergency requests ${emergencyRequests.size}, refused ${emergencyRefused}, undecided ${emergencyUndecided}`,
    );
    say(
      `request → lower command at the controller: n=${sorted.length} p50=${percentile(sorted, 50).toFixed(1)} ms p99=${percentile(sorted, 99).toFixed(1)} ms max=${(sorted.at(-1) ?? 0).toFixed(1)} ms`,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    say(
      `service-side request → command committed: ${histogramSummary(metrics, 'slimstad_bollards_request_to_command_seconds')}`,
    );
    await fleet.stop();
    adminClient.close();
    keeperClient.close();
    if (decided.size < published.size) {
      say(`${published.size - decided.size} requests were never decided`);
    }
    console.log(
      `p99_ms=${percentile(sorted, 99).toFixed(1)} decisions_per_s=${decisionsPerS.toFixed(0)} unsafe=${unsafe}`,
    );
  } finally {
    service.kill('SIGTERM');
    await new Promise((r) => service.once('exit', r));
    await bus.drain().catch(() => undefined);
    await fleetNc.drain().catch(() => undefined);
    await ns.cleanup();
    await database.drop();
  }
}

function zone(id: string) {
  return {
    id,
    name: id,
    timeZone: 'Europe/Brussels',
    emergencyMode: false,
    emergencyReason: '',
    version: 0n,
    createTime: undefined,
    updateTime: undefined,
  };
}

main().catch((error) => {
  process.stderr.write(`[bench:bollards] failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});

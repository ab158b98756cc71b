// `pnpm bench:lighting [--profile FILE]`: replays a night of walkers and cyclists through the
// real lighting service (spawned), NATS and Postgres on this machine, with simulated lamp
// controllers, on a clock BENCH_SPEED times faster than real time (default 120: a winter night
// in about seven minutes). Passers move along their routes; each lamp's presence sensor sees
// them at the profile's detection range and publishes a presence reading as ingest would; when
// a passer comes within `litWithinMeters` of a lamp, and when under it, the lamp's controller
// must show at least the presence level.
// Prints the energy saved versus always-on (from the service's energy report), the share of
// passers who found every lamp lit, and the latency from a detection being published to its
// lamp's command reaching the controller.
// Last line: saving_pct=<n> lit_pct=<n> p99_ms=<n>
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { ReadingRecorded } from '@slimstad/contracts';
import { ControlSource, ZoneKind } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { LightingServiceClient } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting_service';
import { DeviceType } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import {
  Bus,
  createClient,
  createLogger,
  Namespace,
  promisifyUnary,
  scaledClock,
  signToken,
} from '@slimstad/kit';
import { startLampFleet } from '@slimstad/simulator/lamps/index';
import {
  createTestDatabase,
  createTestNamespace,
  freePort,
  histogramSummary,
  percentile,
  resolveInfrastructure,
  sleep,
} from '@slimstad/test-harness';
import { localTime } from '../../src/domain/local-time.js';
import { distanceMeters } from '../../src/domain/path-graph.js';
import { loadBenchProfile } from '../profiles/profile-file.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const KEY = 'bench-lighting-secret-0123456789abcdef';
const SPEED = Number(process.env.BENCH_SPEED ?? 120);
const SETUP_S = Number(process.env.BENCH_SETUP_S ?? 30);

const say = (message: string) => process.stderr.write(`[bench:lighting] ${message}\n`);

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

type ReplayEvent =
  | { t: number; kind: 'detect'; lampId: string; passer: number }
  | { t: number; kind: 'check'; lampId: string; passer: number };

async function main() {
  const profilePath = resolve(
    argument('--profile') ?? resolve(repo, 'services/lighting/test/profiles/warandepark.json'),
  );
  const file = loadBenchProfile(profilePath);
  const lamps = new Map(file.lamps.map((l) => [l.id, l]));
  const replayStart = Date.parse(file.replay.start);
  const replayEnd = Date.parse(file.replay.end);
  say(
    `${file.name}: ${file.lamps.length} lamps, ${file.passers.length} passers, ${((replayEnd - replayStart) / 3_600_000).toFixed(1)} h at ${SPEED}× → ${((replayEnd - replayStart) / SPEED / 60_000).toFixed(1)} min`,
  );

  // Where each passer is when: a lamp's sensors see them at its detection range before it;
  // the checks are at `litWithinMeters` before it and under it. `start` is when a passer is
  // at the first lamp: they come from the street before that.
  const events: ReplayEvent[] = [];
  const L = file.litWithinMeters;
  file.passers.forEach((passer, index) => {
    const start = Date.parse(passer.start);
    const at = (s: number) => start + (s / passer.speedMps) * 1000;
    let along = 0;
    passer.route.forEach((lampId, k) => {
      const lamp = lamps.get(lampId);
      if (k > 0) {
        const previous = lamps.get(passer.route[k - 1] as string);
        if (previous && lamp) along += distanceMeters(previous.location, lamp.location);
      }
      const range = lamp?.detectionRangeMeters ?? file.detectionRangeMeters;
      events.push({ t: at(along - range), kind: 'detect', lampId, passer: index });
      events.push({ t: at(along - L), kind: 'check', lampId, passer: index });
      events.push({ t: at(along), kind: 'check', lampId, passer: index });
    });
  });
  events.sort((a, b) => a.t - b.t);

  const infra = await resolveInfrastructure();
  const database = await createTestDatabase(infra.databaseUrl, 'benchlighting');
  const ns = createTestNamespace(infra.natsUrl, 'benchlighting');
  const grpcPort = await freePort();
  const opsPort = await freePort();
  const anchor = Date.now() + SETUP_S * 1000;
  const clock = scaledClock({ startMs: replayStart, speed: SPEED, anchorRealMs: anchor });
  const service = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'services/lighting/src/main.ts'],
    {
      cwd: repo,
      env: {
        ...process.env,
        SERVICE_NAME: 'lighting',
        DATABASE_URL: database.url,
        NATS_URL: infra.natsUrl,
        NATS_NAMESPACE: ns.namespace,
        AUTH_JWT_KEY: KEY,
        GRPC_PORT: String(grpcPort),
        OPS_PORT: String(opsPort),
        LISTEN_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        CLOCK_START: file.replay.start,
        CLOCK_SPEED: String(SPEED),
        CLOCK_ANCHOR_MS: String(anchor),
        // Timers run in real time: scale them so holds lapse and heartbeats come on the clock's time.
        LIGHTING_TICK_MS: '50',
        LIGHTING_HEARTBEAT_MS: '250',
        LIGHTING_FAIL_SAFE_AFTER_MS: String(600_000),
        LIGHTING_PERSIST_MS: '2000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const nc = await connect({ servers: infra.natsUrl });
  const log = createLogger('bench', 'silent');
  const bus = await Bus.create(nc, { namespace: ns.namespace, log });
  const fleetNc = await connect({ servers: infra.natsUrl });
  try {
    // 1. The park through the API, as an admin would set it up.
    const token = await signToken({ key: KEY, subject: 'bench', roles: ['admin'] });
    const client = createClient(LightingServiceClient, `127.0.0.1:${grpcPort}`, {
      token,
      deadlineMs: 10_000,
    });
    const api = {
      createZone: promisifyUnary(client, client.createZone),
      createLamp: promisifyUnary(client, client.createLamp),
      getProfile: promisifyUnary(client, client.getProfile),
      setProfile: promisifyUnary(client, client.setProfile),
      energy: promisifyUnary(client, client.getEnergyReport),
    };
    const zone = {
      id: file.zone.id,
      name: file.zone.name,
      kind: {
        park: ZoneKind.ZONE_KIND_PARK,
        street: ZoneKind.ZONE_KIND_STREET,
        square: ZoneKind.ZONE_KIND_SQUARE,
      }[file.zone.kind],
      location: file.zone.location,
      timeZone: file.zone.timeZone,
      version: 0n,
      createTime: undefined,
      updateTime: undefined,
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await api.createZone({ zone });
        break;
      } catch (error) {
        if (attempt > 120 || service.exitCode !== null) throw error;
        await sleep(500);
      }
    }
    const created = new Set<string>();
    for (const lamp of file.lamps) {
      await api.createLamp({
        lamp: {
          id: lamp.id,
          zoneId: file.zone.id,
          name: lamp.id,
          location: lamp.location,
          ratedPowerWatts: lamp.ratedPowerWatts,
          minLevel: lamp.minLevel,
          controllerId: `lc-${lamp.id}`,
          // Edges are symmetric: naming the neighbours that already exist is enough.
          neighbourIds: lamp.neighbours.filter((n) => created.has(n)),
          detectorIds: lamp.detectors,
          version: 0n,
          createTime: undefined,
          updateTime: undefined,
        },
      });
      created.add(lamp.id);
    }
    const p = file.profile;
    const seconds = (s: number) => ({
      seconds: BigInt(Math.floor(s)),
      nanos: Math.round((s % 1) * 1e9),
    });
    const { profile: current } = await api.getProfile({ zoneId: file.zone.id });
    await api.setProfile({
      profile: {
        ...(current as NonNullable<typeof current>),
        duskOffsetMinutes: p.duskOffsetMinutes,
        dawnOffsetMinutes: p.dawnOffsetMinutes,
        weekday: p.weekday,
        weekend: p.weekend,
        hold: seconds(p.holdSeconds),
        rampUp: seconds(p.rampUpSeconds),
        rampDown: seconds(p.rampDownSeconds),
        pedestrian: p.pedestrian,
        cyclist: p.cyclist,
        fallbackLevel: p.fallbackLevel,
      },
    });

    // 2. The lamp controllers, on the same clock.
    const pending = new Map<string, number>();
    const latencies: number[] = [];
    const fleet = await startLampFleet({
      nc: fleetNc as never,
      namespace: new Namespace(ns.namespace),
      clock,
      lamps: file.lamps.map((l) => ({
        lampId: l.id,
        zoneId: file.zone.id,
        controllerId: `lc-${l.id}`,
        ratedPowerWatts: l.ratedPowerWatts,
        location: l.location,
      })),
      feedbackEveryMs: 15 * 60_000,
      onCommand: (lampId, cmd, receivedRealMs) => {
        if (cmd.source !== ControlSource.CONTROL_SOURCE_PRESENCE || cmd.attempt !== 1) return;
        const sent = pending.get(lampId);
        if (sent !== undefined) {
          latencies.push(receivedRealMs - sent);
          pending.delete(lampId);
        }
      },
    });
    const presence = p.weekday.presenceLevel;
    for (;;) {
      // Before the anchor the clock reads earlier (perhaps daytime): wait for the first commands.
      const commanded = file.lamps.filter(
        (l) => fleet.controller(l.id).lastAppliedSequence > 0n,
      ).length;
      if (commanded === file.lamps.length) break;
      if (Date.now() > anchor) {
        throw new Error(
          `setup took longer than BENCH_SETUP_S=${SETUP_S} s (${commanded} lamps commanded)`,
        );
      }
      await sleep(100);
    }
    say(
      `park set up, every lamp under control; replay starts in ${((anchor - Date.now()) / 1000).toFixed(1)} s`,
    );
    await sleep(anchor - Date.now());

    // 3. The night.
    const unlit = new Set<number>();
    const misses: string[] = [];
    let published = 0;
    let maxLagMs = 0;
    let nextReport = Date.now() + 30_000;
    const inFlight = new Set<Promise<unknown>>();
    for (const event of events) {
      const due = anchor + (event.t - replayStart) / SPEED;
      const wait = due - Date.now();
      if (wait > 1) await sleep(wait);
      else maxLagMs = Math.max(maxLagMs, -wait);
      if (event.kind === 'detect') {
        const lamp = lamps.get(event.lampId);
        const mode = file.passers[event.passer]?.mode ?? 'pedestrian';
        if (!lamp) continue;
        if (fleet.controller(lamp.id).targetLevel < presence && !pending.has(lamp.id))
          pending.set(lamp.id, Date.now());
        for (const detector of lamp.detectors) {
          const observedAt = new Date(clock.now());
          const task = bus
            .publish(
              ReadingRecorded,
              { type: 'presence', device: detector },
              {
                deviceId: detector,
                metric: 'occupied',
                value: 1,
                unit: '1',
                observedAt,
                receivedAt: observedAt,
                sequence: BigInt(++published),
                channel: mode === 'cyclist' ? 'bike' : 'pedestrian',
                deviceType: DeviceType.DEVICE_TYPE_PRESENCE,
              },
              { msgId: `bench:${detector}:${published}` },
            )
            .finally(() => inFlight.delete(task));
          inFlight.add(task);
        }
      } else {
        const level = fleet.levelAt(event.lampId, clock.now());
        if (level < presence - 0.5 && !unlit.has(event.passer)) {
          unlit.add(event.passer);
          if (misses.length < 5) {
            const passer = file.passers[event.passer];
            misses.push(
              `${passer?.id} (${passer?.mode}) at ${event.lampId}: ${level.toFixed(0)} %`,
            );
          }
        }
      }
      if (Date.now() > nextReport) {
        nextReport += 30_000;
        say(
          `${new Date(clock.now()).toISOString()} detections=${published} unlit=${unlit.size} commands=${fleet.commandsReceived}`,
        );
      }
      // Pending entries whose lamp was raised by someone else meanwhile are no measurement.
      for (const [lampId, at] of pending) if (Date.now() - at > 1_000) pending.delete(lampId);
    }
    await Promise.allSettled([...inFlight]);
    while (clock.now() < replayEnd)
      await sleep(Math.min(1_000, (replayEnd - clock.now()) / SPEED + 10));

    // 4. Results.
    const nightDate = localTime(replayStart - 12 * 3_600_000, file.zone.timeZone).date;
    const report = await api.energy({
      zoneId: file.zone.id,
      fromDate: nightDate,
      toDate: nightDate,
    });
    const day = report.days[0];
    client.close();
    const sorted = latencies.sort((a, b) => a - b);
    const litPct = ((file.passers.length - unlit.size) / file.passers.length) * 100;
    say(
      `energy ${nightDate}: used ${day?.usedKwh.toFixed(2)} kWh, always-on ${day?.baselineKwh.toFixed(2)} kWh over ${day?.nightHours.toFixed(2)} night hours`,
    );
    say(
      `passers lit all the way: ${file.passers.length - unlit.size}/${file.passers.length}${misses.length ? `; first misses: ${misses.join('; ')}` : ''}`,
    );
    say(
      `detection → command at the controller: n=${sorted.length} p50=${percentile(sorted, 50).toFixed(1)} ms p99=${percentile(sorted, 99).toFixed(1)} ms max=${(sorted.at(-1) ?? 0).toFixed(1)} ms; replay loop lag max ${maxLagMs.toFixed(0)} ms; ${fleet.commandsReceived} commands`,
    );
    // The service's own view: receipt of a detection to its commands published.
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    say(
      `service-side detection → commands published: ${histogramSummary(metrics, 'slimstad_lighting_detection_to_command_seconds')}`,
    );
    await fleet.stop();
    console.log(
      `saving_pct=${(day?.savingPercent ?? 0).toFixed(1)} lit_pct=${litPct.toFixed(2)} p99_ms=${percentile(sorted, 99).toFixed(1)}`,
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

main().catch((error) => {
  process.stderr.write(`[bench:lighting] failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});

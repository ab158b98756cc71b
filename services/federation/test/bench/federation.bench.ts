// pnpm bench:federation — a region on loopback (the rendered hub and cities as real
// nats-server processes, each city's federation service in-process): brugge (A) publishes
// public warnings on share.alert.cap at a steady rate; kortrijk (B) reads them from NEIGHBOURS.
// Measures the latency from A's publish to B's receipt through the hub, then cuts the link
// (stops the hub) for BENCH_CUT_S seconds while A keeps publishing, and the time B needs to
// catch up once it is back. Last line:
//   p99_ms=<n> caught_up_s=<n> lost=<n> duplicated=<n>
// Environment: BENCH_RATE (msg/s, 200), BENCH_LOAD_S (10), BENCH_CUT_S (30).
import path from 'node:path';
import { percentile, sleep } from '@slimstad/test-harness';
import { repoRoot } from '../../src/region-files.js';
import { RegionFixture } from '../region-fixture.js';

const rate = Number(process.env.BENCH_RATE ?? 200);
const loadS = Number(process.env.BENCH_LOAD_S ?? 10);
const cutS = Number(process.env.BENCH_CUT_S ?? 30);

const region = new RegionFixture(
  path.join(repoRoot, 'deploy/region.yaml'),
  path.join(repoRoot, 'deploy/nats/rendered'),
);

async function main() {
  await region.start();
  await region.declareIngestStreams();
  for (const c of region.cities) await region.startFederation(c, { linkCheckMs: 2_000 });
  while (!region.federations.get('kortrijk')?.links().hubUp) await sleep(200);
  const a = await region.connect('brugge', 'alerting');
  const b = await region.connect('kortrijk', 'alerting');

  const received = new Map<string, number>();
  const latencies: number[] = [];
  let measuring = false;
  const consumer = await b.bus.js.consumers.get('NEIGHBOURS', {
    filter_subjects: 'neighbour.brugge.alert.cap',
  });
  const messages = await consumer.consume();
  void (async () => {
    for await (const m of messages) {
      const [id, sentAt] = new TextDecoder().decode(m.data).split(' ');
      received.set(id as string, (received.get(id as string) ?? 0) + 1);
      if (measuring) latencies.push(performance.timeOrigin + performance.now() - Number(sentAt));
    }
  })();

  let n = 0;
  const sent: string[] = [];
  const publishFor = async (seconds: number) => {
    const end = Date.now() + seconds * 1000;
    const interval = 1000 / rate;
    let next = Date.now();
    while (Date.now() < end) {
      const id = `m${n++}`;
      const now = performance.timeOrigin + performance.now();
      await a.bus.js.publish('share.alert.cap', `${id} ${now}`, { msgID: id });
      sent.push(id);
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
    }
  };

  // Warm-up, then the steady load.
  await publishFor(1);
  await sleep(1_000);
  measuring = true;
  await publishFor(loadS);
  await sleep(1_000);
  measuring = false;
  latencies.sort((x, y) => x - y);
  const p99 = percentile(latencies, 99);
  process.stdout.write(
    `steady: ${latencies.length} messages at ${rate}/s, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms\n`,
  );

  // The cut.
  await region.stopServer('hub');
  await publishFor(cutS);
  const restarted = Date.now();
  await region.startServer('hub');
  const deadline = restarted + 300_000;
  while (sent.some((id) => !received.has(id)) && Date.now() < deadline) await sleep(50);
  const caughtUp = (Date.now() - restarted) / 1000;
  await sleep(2_000); // anything doubled would show by now
  const lost = sent.filter((id) => !received.has(id)).length;
  const duplicated = [...received.values()].reduce((d, count) => d + (count - 1), 0);
  process.stdout.write(`cut: ${cutS} s with ${sent.length} messages sent in all\n`);
  messages.stop();
  await region.stop();
  process.stdout.write(
    `p99_ms=${p99.toFixed(1)} caught_up_s=${caughtUp.toFixed(2)} lost=${lost} duplicated=${duplicated}\n`,
  );
}

main().then(
  () => process.exit(0),
  async (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    await region.stop().catch(() => undefined);
    process.exit(1);
  },
);

// `pnpm bench:routing [--instances DIR] [--seconds S] [--threads T] [--max-n N]`: solves every
// CVRPLIB `.vrp` in DIR (default: the first `shared/data/cvrp` found walking up from the repo,
// i.e. /work/shared/data/cvrp) for S seconds each (default 10), T instances at a time in worker
// threads (default 1), and checks every solution independently of the solver: each customer
// once, capacity, and the cost recomputed from the coordinates by the CVRPLIB convention.
// Compares with the best-known costs in DIR/bks.csv. Prints one line per instance, a summary
// for the instances up to 400 customers and one for all, and last:
// avg_gap_pct=<n> max_gap_pct=<n> instances=<n> invalid=<n>
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  cvrpCost,
  cvrpToProblem,
  parseVrp,
  solveInWorker,
  validateSolution,
} from '../../src/routing/index.js';

const { values } = parseArgs({
  options: {
    instances: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    'max-n': { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const seconds = Number(values.seconds);
const threads = Number(values.threads);
const maxN = values['max-n'] === undefined ? Number.POSITIVE_INFINITY : Number(values['max-n']);
const seed = Number(values.seed);
if (!(seconds > 0)) throw new Error('--seconds must be a positive number');
if (!Number.isInteger(threads) || threads < 1)
  throw new Error('--threads must be a positive integer');
if (!(maxN > 0)) throw new Error('--max-n must be a positive number');

function defaultDir(): string {
  let dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
  for (;;) {
    const candidate = join(dir, 'shared/data/cvrp');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir)
      throw new Error('no shared/data/cvrp above the repository: pass --instances DIR');
    dir = up;
  }
}
const dir = values.instances ?? defaultDir();

const bks = new Map<string, number>();
if (existsSync(join(dir, 'bks.csv')))
  for (const line of readFileSync(join(dir, 'bks.csv'), 'utf8').trim().split('\n').slice(1)) {
    const cols = line.split(',');
    bks.set(cols[0]!, Number(cols.at(-1)));
  }

const all = readdirSync(dir)
  .filter((f) => f.endsWith('.vrp'))
  .map((f) => {
    const inst = parseVrp(readFileSync(join(dir, f), 'utf8'));
    return { file: f, inst, name: inst.name || f.replace(/\.vrp$/, ''), n: inst.dimension - 1 };
  })
  .sort((a, b) => a.n - b.n || a.name.localeCompare(b.name));
const chosen = all.filter((x) => x.n <= maxN);
console.log(`instances from ${dir}: ${chosen.length} of ${all.length} (customers <= ${maxN})`);
console.log(`included: ${chosen.map((x) => `${x.name}(${x.n})`).join(' ')}`);
console.log(`seconds=${seconds} threads=${threads} seed=${seed}`);

interface Row {
  name: string;
  n: number;
  cost: number;
  bks: number;
  gap: number;
  seconds: number;
  valid: boolean;
  note: string;
}
const rows: Row[] = [];

async function run(item: (typeof chosen)[number]): Promise<void> {
  const problem = cvrpToProblem(item.inst);
  const started = performance.now();
  const solution = await solveInWorker(problem, { seed, timeLimitMs: seconds * 1000 });
  const wall = (performance.now() - started) / 1000;
  const elapsed = (solution.stats?.elapsedMs ?? wall * 1000) / 1000;
  let cost = Number.NaN;
  const notes: string[] = [];
  try {
    cost = cvrpCost(
      item.inst,
      solution.routes.map((r) => r.visits.map((v) => Number(v.stopId))),
    );
    if (cost !== solution.distance) notes.push(`solver says ${solution.distance}`);
  } catch (error) {
    notes.push(error instanceof Error ? error.message : String(error));
  }
  const problems = validateSolution(problem, solution);
  if (problems.length > 0) notes.push(`validator: ${problems[0]} (+${problems.length - 1})`);
  if (solution.unassigned.length > 0) notes.push(`${solution.unassigned.length} unassigned`);
  if (elapsed > seconds + 0.5) notes.push(`over the time limit (${elapsed.toFixed(2)} s)`);
  const best = bks.get(item.name) ?? Number.NaN;
  const row: Row = {
    name: item.name,
    n: item.n,
    cost,
    bks: best,
    gap: ((cost - best) / best) * 100,
    seconds: elapsed,
    valid: notes.length === 0,
    note: notes.join('; '),
  };
  rows.push(row);
  console.log(
    `${row.name.padEnd(14)} n=${String(row.n).padStart(4)} cost=${String(row.cost).padStart(7)} bks=${String(row.bks).padStart(7)} gap_pct=${row.gap.toFixed(2).padStart(5)} seconds=${row.seconds.toFixed(2)} iterations=${solution.stats?.iterations ?? '?'}${row.valid ? '' : ` INVALID ${row.note}`}`,
  );
}

let next = 0;
await Promise.all(
  Array.from({ length: Math.min(threads, chosen.length) }, async () => {
    while (next < chosen.length) await run(chosen[next++]!);
  }),
);

function summary(label: string, subset: Row[]): string {
  const gaps = subset.filter((r) => r.valid && Number.isFinite(r.gap)).map((r) => r.gap);
  const avg = gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : Number.NaN;
  const max = gaps.length ? Math.max(...gaps) : Number.NaN;
  return `${label}avg_gap_pct=${avg.toFixed(3)} max_gap_pct=${max.toFixed(3)} instances=${subset.length} invalid=${subset.filter((r) => !r.valid).length}`;
}
console.log(
  summary(
    'customers<=400: ',
    rows.filter((r) => r.n <= 400),
  ),
);
console.log(summary('all: ', rows));
console.log(summary('', rows));

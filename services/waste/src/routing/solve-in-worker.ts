// Runs solve() in a worker thread so the caller's event loop stays free during the search.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RoutingProblem, RoutingSolution, SolveOptions } from './types.js';

// Built code starts worker.js directly. From the TypeScript sources (tests, benchmarks) the
// worker registers tsx's CommonJS hook first: on Node 20 neither a worker's execArgv
// `--import tsx` nor tsx's ESM register reach a worker's module loader.
const fromSource = import.meta.url.endsWith('.ts');
const entry = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);

function startWorker(workerData: unknown): Worker {
  if (!fromSource) return new Worker(entry, { workerData });
  const tsxApi = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const boot = `require(${JSON.stringify(tsxApi)}).register(); require(${JSON.stringify(fileURLToPath(entry))});`;
  return new Worker(boot, { eval: true, workerData });
}

export function solveInWorker(
  problem: RoutingProblem,
  options: SolveOptions,
): Promise<RoutingSolution> {
  return new Promise((resolve, reject) => {
    const worker = startWorker({ problem, options });
    let settled = false;
    worker.once(
      'message',
      (msg: { ok: true; solution: RoutingSolution } | { ok: false; message: string }) => {
        settled = true;
        if (msg.ok) resolve(msg.solution);
        else reject(new Error(`routing solver: ${msg.message}`));
        void worker.terminate();
      },
    );
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled)
        reject(new Error(`routing solver worker exited with code ${code} before answering`));
    });
  });
}

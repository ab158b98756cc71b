// Worker-thread entry: solves the problem it is given and posts the solution back.
import { parentPort, workerData } from 'node:worker_threads';
import { solve } from './solver.js';
import type { RoutingProblem, SolveOptions } from './types.js';

const { problem, options } = workerData as { problem: RoutingProblem; options: SolveOptions };
try {
  parentPort!.postMessage({ ok: true, solution: solve(problem, options) });
} catch (error) {
  parentPort!.postMessage({
    ok: false,
    message: error instanceof Error ? error.message : String(error),
  });
}

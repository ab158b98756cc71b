// STAND-IN worker of `solveInWorker` (see index.ts): solves the problem it is given and posts
// the solution back.
import { parentPort, workerData } from 'node:worker_threads';
import { type RoutingProblem, type SolveOptions, solve } from './index.js';

const { problem, options } = workerData as { problem: RoutingProblem; options: SolveOptions };
parentPort?.postMessage(solve(problem, options));

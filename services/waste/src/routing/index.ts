// The routing solver's public surface: the waste service uses only what is exported here
// (the contract is ROUTING-INTERFACE.md).

export { solveInWorker } from './solve-in-worker.js';
export { solve } from './solver.js';
export type * from './types.js';
export { validateSolution } from './validator.js';
export { type CvrpInstance, cvrpCost, cvrpDistance, cvrpToProblem, parseVrp } from './vrp-file.js';

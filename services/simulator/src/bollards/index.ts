// Simulated bollard field devices: the pure model of one bollard controller, the fleet that
// plays many of them on the bus, and the reader gateway that asks for access with hashed
// identities; for the bollards service's integration tests, the demo city and benchmarks.
export * from './bollard-controller.js';
export * from './bollard-fleet.js';
export * from './reader-gateway.js';

// Simulated lamp controllers: the pure model of one controller and the fleet that plays many of
// them on the bus, for the lighting service's integration tests, the demo city and benchmarks.
export * from './lamp-controller.js';
export * from './lamp-fleet.js';

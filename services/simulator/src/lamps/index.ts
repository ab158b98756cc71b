// Simulated lamp controllers: the pure model of one controller and the fleet that plays many of
// them on the bus, for the lighting service's integration tests, the demo city and benchmarks;
// and the demo town's lighting layout (zones, lamps, profiles) they are played from.
export * from './lamp-controller.js';
export * from './lamp-fleet.js';
export * from './layout.js';

// The gRPC layer of the kit: typed handlers with declared roles, the server (auth, deadlines,
// error mapping, tracing, metrics, health, reflection) and the clients that call it.
export * from './auth.js';
export * from './client.js';
export * from './context.js';
export * from './errors.js';
export * from './handlers.js';
export * from './health.js';
export * from './paging.js';
export * from './reflection.js';
export * from './server.js';

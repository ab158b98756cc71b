// vitest global setup: resolve the real servers once and hand their addresses to every test
// file through `inject('databaseUrl')` / `inject('natsUrl')`.
// Importing 'vitest' makes it resolvable for the module augmentation below.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { resolveInfrastructure } from './infrastructure.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    natsUrl: string;
    infrastructureSource: string;
  }
}

export default async function setup(project: TestProject) {
  const infrastructure = await resolveInfrastructure();
  project.provide('databaseUrl', infrastructure.databaseUrl);
  project.provide('natsUrl', infrastructure.natsUrl);
  project.provide('infrastructureSource', infrastructure.source);
  return () => infrastructure.stop();
}

// One vitest configuration for the whole workspace. Packages resolve to their TypeScript
// sources through the "source" export condition, so tests never need a prior build.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace sources first ("source"), then Node's own conditions; no "module", which points some packages at bundler-only builds.
  resolve: { conditions: ['source', 'node', 'development|production'] },
  ssr: { resolve: { conditions: ['source', 'node', 'development|production'] } },
  test: {
    include: ['{proto,services,test,deploy}/**/*.spec.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/harness/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores, three workers: the real-service tests spend much of their time waiting on
    // processes, clocks and the network (the suite uses ~1.3 cores with two workers), so a
    // third keeps the cores busy without starving the scenarios.
    maxWorkers: 3,
    pool: 'forks',
    reporters: ['default', './test/harness/src/summary-reporter.ts'],
  },
});

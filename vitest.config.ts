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
    // Two cores: two workers keep real-service tests from starving each other (a third made
    // timing-sensitive ones flaky here).
    maxWorkers: 2,
    pool: 'forks',
    reporters: ['default', './test/harness/src/summary-reporter.ts'],
  },
});
